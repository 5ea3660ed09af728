"""`xsc-desktop landers ...`: list, add, import and move landers through the pipeline."""

from __future__ import annotations

from xsc_desktop.cli import print_json

FLAG_CHOICES = ("rightsignature", "reroute", "dq", "other")


def register(sub) -> None:
    p = sub.add_parser("landers", help="list, add, import landers and change their status")
    ls = p.add_subparsers(dest="landers_command", metavar="ACTION", required=True)

    lst = ls.add_parser("list", help="list landers")
    lst.add_argument("--status", help="only landers in this status")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(handler=list_cmd)

    add = ls.add_parser("add", help="add a lander")
    add.add_argument("--client", required=True)
    add.add_argument("--campaign", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--url", required=True)
    add.add_argument("--status", default="in_production")
    add.add_argument("--new-client", action="store_true", help="mark the client as new")
    add.add_argument("--flag", action="append", choices=FLAG_CHOICES, default=[], help="exception flag (repeatable)")
    add.add_argument("--flag-note", default="", help="what the 'other' custom script is")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=add_cmd)

    imp = ls.add_parser("import", help="import landers from a CSV file")
    imp.add_argument("file")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(handler=import_cmd)

    st = ls.add_parser("set-status", help="move a lander to another status")
    st.add_argument("id", type=int)
    st.add_argument("status")
    st.add_argument("--note", default="")
    st.set_defaults(handler=set_status_cmd)


def list_cmd(args, ctx) -> int:
    from xsc_desktop.landers import list_landers

    ctx.open_database()
    rows = list_landers(status=args.status)
    if args.json:
        print_json([r.as_json() for r in rows])
        return 0
    if not rows:
        print("No landers.")
        return 0
    for r in rows:
        flags = f" [{', '.join(r.flags)}]" if r.flags else ""
        new = " (new client)" if r.new_client else ""
        print(f"{r.id:>5}  {r.status:<13} {r.client}{new} / {r.campaign} / {r.name}  {r.url}{flags}")
    return 0


def add_cmd(args, ctx) -> int:
    from xsc_desktop.landers import add_lander

    ctx.open_database()
    lander = add_lander(client=args.client, campaign=args.campaign, name=args.name, url=args.url,
                        status=args.status, flags=args.flag, flag_note=args.flag_note, new_client=args.new_client)
    if args.json:
        print_json({"id": lander.id, "status": lander.status})
    else:
        print(f"Added lander {lander.id}: {lander.name} ({lander.status}).")
    return 0


def import_cmd(args, ctx) -> int:
    from xsc_desktop.lander_import import import_landers

    ctx.open_database()
    report = import_landers(args.file)
    if args.json:
        print_json(report.as_json())
    else:
        print(report.summary())
        for line, reason in report.problems:
            print(f"  line {line}: {reason}")
    return 0


def set_status_cmd(args, ctx) -> int:
    from xsc_desktop.landers import set_status

    ctx.open_database()
    lander = set_status(args.id, args.status, note=args.note)
    print(f"Lander {lander.id} is now {lander.status}.")
    return 0
