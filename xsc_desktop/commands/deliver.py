"""`xsc-desktop deliver [--once]`: post new leads of active integrations through their parsers."""

from __future__ import annotations

from xsc_desktop.cli import print_json


def register(sub) -> None:
    p = sub.add_parser("deliver", help="deliver new leads now (--once) or keep delivering until stopped")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    p.add_argument("--resume", type=int, metavar="INTEGRATION", help="resume a paused integration first")
    p.add_argument("--json", action="store_true", help="print each pass's report as JSON")
    p.set_defaults(handler=deliver_cmd)


def deliver_cmd(args, ctx) -> int:
    import sys
    import threading

    from xsc_desktop import delivery, reconnect

    ctx.open_database()
    reconnect.tell_changes(lambda line: print(f"xsc-desktop: {line}", file=sys.stderr, flush=True))
    if args.resume:
        delivery.resume_integration(args.resume)
        print(f"Integration {args.resume} resumed.")

    def show(report) -> None:
        if args.json:
            print_json(report.as_json())
        else:
            print(report.summary(), flush=True)
        for sentence in held_now():
            print(f"xsc-desktop: {sentence}", file=sys.stderr, flush=True)

    said: set[str] = set()

    def held_now() -> list[str]:
        from xsc_desktop.integrations import held_by_secrets

        fresh = [s for s in held_by_secrets() if s not in said]
        said.update(fresh)
        return fresh

    if args.once:
        report = delivery.deliver_once()
        show(report)
        return 0
    stop = threading.Event()
    try:
        delivery.run_forever(stop, on_pass=show)
    except KeyboardInterrupt:
        stop.set()
        print("Stopped delivering.")
    return 0
