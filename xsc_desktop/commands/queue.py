"""`xsc-desktop queue ...`: gather the to-do list, run the queue, list tasks."""

from __future__ import annotations

from xsc_desktop.cli import print_json


def register(sub) -> None:
    p = sub.add_parser("queue", help="the integration queue: gather, run, list")
    cs = p.add_subparsers(dest="queue_command", metavar="ACTION", required=True)
    g = cs.add_parser("gather", help="build the to-do list of the next run now")
    g.add_argument("--json", action="store_true")
    g.set_defaults(handler=gather_cmd)
    r = cs.add_parser("run", help="run every pending integrate task now and send the confirmations")
    r.add_argument("--task", type=int, action="append", metavar="ID", help="run only this task (repeatable)")
    r.add_argument("--json", action="store_true")
    r.set_defaults(handler=run_cmd)
    ls = cs.add_parser("list", help="list tasks (newest run date first)")
    ls.add_argument("--date", metavar="YYYY-MM-DD", help="only the tasks planned for that date")
    ls.add_argument("--log", action="store_true", help="include each task's attempt log (with --json)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=list_cmd)


def gather_cmd(args, ctx) -> int:
    from xsc_desktop import queue

    ctx.open_database()
    result = queue.gather()
    if args.json:
        print_json(result.as_json())
        return 0
    print(f"To-do list for {result.planned_for}: {result.summary()}.")
    for lander_id, missing in result.needs_info.items():
        print(f"  lander {lander_id} needs info: {'; '.join(missing)}")
    return 0


def run_cmd(args, ctx) -> int:
    from xsc_desktop import queue
    from xsc_desktop.errors import UserError

    ctx.open_database()
    result = queue.run(task_ids=args.task, include_future=True)
    if result.busy:
        raise UserError("Another queue run is in progress (in the app or the daemon); wait for it to finish.")
    if args.json:
        print_json(result.as_json())
    else:
        print(f"Queue run: {result.summary()}; {result.emails_sent} confirmation(s) sent.")
        for row in queue.list_tasks(task_ids=result.tasks, with_log=False):
            print(f"  task {row.id:>4}  {row.status:<8} {row.lander}: {row.reason}")
    return 1 if result.failed else 0


def list_cmd(args, ctx) -> int:
    from xsc_desktop import queue

    ctx.open_database()
    rows = queue.list_tasks(args.date, with_log=args.log)
    if args.json:
        print_json([r.as_json(with_log=args.log) for r in rows])
        return 0
    if not rows:
        print("No tasks." if not args.date else f"No tasks planned for {args.date}.")
    for r in rows:
        label = queue.KIND_LABELS.get(r.kind, r.kind)
        print(f"{r.id:>5}  {r.planned_for}  {label:<13} {r.status:<8} {r.client} / {r.lander}"
              + (f"  — {r.reason}" if r.reason else ""))
    return 0
