"""`xsc-desktop mail ...`: send a test e-mail, look at the outbox."""

from __future__ import annotations

from xsc_desktop.cli import print_json


def register(sub) -> None:
    p = sub.add_parser("mail", help="e-mail: test the SMTP settings, show or send the outbox")
    cs = p.add_subparsers(dest="mail_command", metavar="ACTION", required=True)
    t = cs.add_parser("test", help="send a test e-mail now with the smtp.* settings")
    t.add_argument("to", metavar="TO")
    t.set_defaults(handler=test_cmd)
    o = cs.add_parser("outbox", help="list the outbox (newest first)")
    o.add_argument("--json", action="store_true")
    o.add_argument("--limit", type=int, default=200)
    o.set_defaults(handler=outbox_cmd)
    s = cs.add_parser("send", help="send the queued messages that are due now")
    s.set_defaults(handler=send_cmd)
    r = cs.add_parser("resend", help="put a message back in the queue and send it")
    r.add_argument("id", type=int)
    r.set_defaults(handler=resend_cmd)


def test_cmd(args, ctx) -> int:
    from xsc_desktop import mail

    ctx.open_database()
    email = mail.send_test(args.to)
    print(f"Test e-mail sent to {', '.join(email.to)}.")
    return 0


def outbox_cmd(args, ctx) -> int:
    from xsc_desktop import mail

    ctx.open_database()
    rows = mail.list_outbox(args.limit)
    if args.json:
        print_json([mail.email_json(e) for e in rows])
        return 0
    if not rows:
        print("The outbox is empty.")
    for e in rows:
        print(f"{e.id:>5}  {e.state:<8} {e.kind:<13} {', '.join(e.to)}  {e.subject}"
              + (f"  — {e.last_error}" if e.last_error else ""))
    return 0


def send_cmd(args, ctx) -> int:
    from xsc_desktop import mail

    ctx.open_database()
    summary = mail.send_pending()
    print(f"Outbox: {summary.line()}.")
    return 1 if summary.failed else 0


def resend_cmd(args, ctx) -> int:
    from xsc_desktop import mail

    ctx.open_database()
    mail.resend(args.id)
    summary = mail.send_pending(only_ids=[args.id])
    print(f"Message {args.id}: {summary.line()}.")
    return 0 if summary.sent else 1
