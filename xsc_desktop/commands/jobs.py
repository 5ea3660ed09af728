"""`xsc-desktop jobs list`: the scheduled jobs with their next and last runs."""

from __future__ import annotations

from xsc_desktop.cli import print_json


def register(sub) -> None:
    p = sub.add_parser("jobs", help="the scheduled jobs")
    cs = p.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    ls = cs.add_parser("list", help="each job with its next run and its last run")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=list_cmd)


def list_cmd(args, ctx) -> int:
    from xsc_desktop import jobs, settings
    from xsc_desktop.scheduled import default_jobs

    ctx.open_database()
    infos = jobs.describe(default_jobs())
    if args.json:
        print_json([i.as_json() for i in infos])
        return 0
    if settings.get("jobs.paused"):
        print("The scheduler is paused (settings set jobs.paused no resumes it).")
    width = max((len(i.name) for i in infos), default=8)
    for i in infos:
        last = (f"last {i.last_state} {i.last_slot}" + (f": {i.last_detail}" if i.last_detail else "")
                if i.last_state else "never ran")
        print(f"{i.name:<{width}}  next {jobs.show_time(i.next_run):<16} {last}")
    return 0
