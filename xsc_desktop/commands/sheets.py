"""`xsc-desktop sheets ...`: generate spreadsheet reports, list templates and runs, manage 05:00 UTC schedules."""

from __future__ import annotations

from pathlib import Path

from xsc_desktop.cli import print_json
from xsc_desktop.errors import UsageError, UserError


def register(sub) -> None:
    p = sub.add_parser("sheets", help="spreadsheet reports: generate, templates, history, schedules")
    ss = p.add_subparsers(dest="sheets_command", metavar="ACTION", required=True)

    run = ss.add_parser("run", help="generate a report now (with no lander or client: run the due schedules)")
    target = run.add_mutually_exclusive_group()
    target.add_argument("--lander", type=int, metavar="ID", help="report on one lander")
    target.add_argument("--client", type=int, metavar="ID", help="report on every lander of a client")
    run.add_argument("--template", default="Generic", metavar="NAME", help="template name (default: Generic)")
    run.add_argument("--out", metavar="DIR", help="folder for the file (default: DATA_DIR/reports)")
    run.add_argument("--pattern", metavar="PATTERN",
                     help="file name with {client}, {lander}, {date}, {time}, {template}; for a client, a pattern "
                          "with {lander} writes one file per lander instead of a sheet per lander")
    run.add_argument("--since-last", action="store_true", help="only leads received since the last such report")
    run.add_argument("--json", action="store_true", help="print JSON")
    run.set_defaults(handler=run_cmd)

    tpl = ss.add_parser("templates", help="list report templates")
    tpl.add_argument("--json", action="store_true", help="print JSON (full specs)")
    tpl.set_defaults(handler=templates_cmd)

    exp = ss.add_parser("export", help="write a template as JSON")
    exp.add_argument("name")
    exp.add_argument("-o", "--output", metavar="FILE", help="file to write (default: print it)")
    exp.set_defaults(handler=export_cmd)

    imp = ss.add_parser("import", help="add a template from exported JSON")
    imp.add_argument("file")
    imp.add_argument("--name", help="name to give it (default: the name in the file)")
    imp.set_defaults(handler=import_cmd)

    pre = ss.add_parser("preview", help="show the first rows a template gives for a lander")
    pre.add_argument("--template", default="Generic", metavar="NAME")
    pre.add_argument("--lander", type=int, metavar="ID", help="default: the lander with the newest lead")
    pre.add_argument("--rows", type=int, default=10)
    pre.add_argument("--json", action="store_true")
    pre.set_defaults(handler=preview_cmd)

    hist = ss.add_parser("history", help="reports generated, newest first")
    hist.add_argument("--limit", type=int, default=50)
    hist.add_argument("--json", action="store_true", help="print JSON")
    hist.set_defaults(handler=history_cmd)

    sched = ss.add_parser("schedule", help="daily report schedules (05:00 UTC by default)")
    sa = sched.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    add = sa.add_parser("add", help="add a schedule for a lander or a client")
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--lander", type=int, metavar="ID")
    who.add_argument("--client", type=int, metavar="ID")
    add.add_argument("--out", required=True, metavar="DIR", help="folder the files are written to")
    add.add_argument("--template", default="Generic", metavar="NAME")
    add.add_argument("--time", metavar="HH:MM", help="UTC time (default: the reports.time_utc setting, 05:00)")
    add.add_argument("--period", choices=("all", "since_last"), default="since_last")
    add.add_argument("--pattern", metavar="PATTERN", help="file name pattern ({client}, {lander}, {date}, {time})")
    add.add_argument("--email", action="store_true", help="e-mail the file to the client's contacts")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=schedule_add_cmd)
    lst = sa.add_parser("list", help="list schedules with their next run")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=schedule_list_cmd)
    rm = sa.add_parser("remove", help="delete a schedule")
    rm.add_argument("id", type=int)
    rm.set_defaults(handler=schedule_remove_cmd)


def _print_runs(runs, as_json: bool) -> int:
    from xsc_desktop import sheets

    failed = [r for r in runs if r.state != "done"]
    if as_json:
        print_json([sheets.run_as_json(r) for r in runs])
    else:
        if not runs:
            print("No report was due.")
        for r in runs:
            if r.state == "done":
                note = f" Note: {r.error}" if r.error else ""
                print(f"Wrote {r.rows} row{'s' if r.rows != 1 else ''} to {r.file} "
                      f"({sheets.duration_seconds(r):.1f} s).{note}")
    for r in failed:
        import sys

        print(f"xsc-desktop: report {r.id} failed: {r.error}", file=sys.stderr)
    return 1 if failed else 0


def run_cmd(args, ctx) -> int:
    from xsc_desktop import sheets

    ctx.open_database()
    default_dir = sheets.default_folder(ctx.data_dir)
    if default_dir == ctx.data_dir / "reports":
        default_dir = ctx.path("reports")  # created when missing; a shared folder must exist already
    if args.lander is None and args.client is None:
        if args.out or args.pattern or args.since_last or args.template != "Generic":
            raise UsageError("--out, --pattern, --since-last and --template need --lander or --client")
        return _print_runs(sheets.run_due_reports(default_dir=default_dir), args.json)
    runs = sheets.run_report(lander_id=args.lander, client_id=args.client, template=args.template,
                             out_dir=Path(args.out) if args.out else default_dir, file_pattern=args.pattern,
                             since_last=True if args.since_last else None)
    return _print_runs(runs, args.json)


def templates_cmd(args, ctx) -> int:
    from xsc_desktop import sheets

    ctx.open_database()
    rows = sheets.list_templates()
    if args.json:
        print_json([{"name": t.name, "builtin": t.builtin, **sheets.normalise_spec(t.spec)} for t in rows])
        return 0
    for t in rows:
        spec = sheets.normalise_spec(t.spec)
        columns = "every field with data" if spec["auto"] else f"{len(spec['columns'])} columns"
        mark = " (built in)" if t.builtin else ""
        print(f"{t.name}{mark}: {columns}. {spec['description']}".rstrip())
    return 0


def export_cmd(args, ctx) -> int:
    import json

    from xsc_desktop import sheets

    ctx.open_database()
    data = sheets.export_template(args.name)
    if args.output:
        try:
            Path(args.output).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        except OSError as exc:
            raise UserError(f"Cannot write {args.output} ({exc.strerror or exc}); check that its folder exists "
                            "and can be written to.") from None
        print(f"Wrote the template {data['name']} to {args.output}.")
    else:
        print_json(data)
    return 0


def import_cmd(args, ctx) -> int:
    from xsc_desktop import sheets

    ctx.open_database()
    row = sheets.import_template(Path(args.file), name=args.name)
    print(f"Added the template {row.name}.")
    return 0


def preview_cmd(args, ctx) -> int:
    from xsc_desktop import sheets

    ctx.open_database()
    titles, rows = sheets.preview(sheets.get_template(args.template).spec, lander_id=args.lander, limit=args.rows)
    if args.json:
        print_json({"columns": titles, "rows": rows})
        return 0
    print(" | ".join(titles))
    for row in rows:
        print(" | ".join(row))
    return 0


def history_cmd(args, ctx) -> int:
    from xsc_desktop import sheets

    ctx.open_database()
    runs = sheets.history(limit=args.limit)
    if args.json:
        print_json([sheets.run_as_json(r) for r in runs])
        return 0
    if not runs:
        print("No reports yet.")
    for r in runs:
        what = r.file or r.error
        print(f"{r.id:>5}  {r.started_at:%Y-%m-%d %H:%M}  {r.state:<9} {r.rows:>8} rows  {r.template_name}  {what}")
    return 0


def schedule_add_cmd(args, ctx) -> int:
    from xsc_desktop import sheets

    ctx.open_database()
    row = sheets.add_schedule(template=args.template, lander_id=args.lander, client_id=args.client,
                              period=args.period, time_utc=args.time, out_dir=args.out, file_pattern=args.pattern,
                              email=args.email)
    if args.json:
        print_json(sheets.schedule_as_json(row))
    else:
        print(f"Added schedule {row.id}: {sheets.describe_schedule(row)}.")
    return 0


def schedule_list_cmd(args, ctx) -> int:
    from xsc_desktop import sheets
    from xsc_desktop.models import utcnow

    ctx.open_database()
    rows = sheets.list_schedules()
    now = utcnow()
    if args.json:
        print_json([{**sheets.schedule_as_json(r), "next_run_at": sheets.next_slot(r.time_utc, now).isoformat()}
                    for r in rows])
        return 0
    if not rows:
        print("No report schedules.")
    for r in rows:
        state = "" if r.active else " (paused)"
        print(f"{r.id:>4}  {sheets.describe_schedule(r)}{state}")
    return 0


def schedule_remove_cmd(args, ctx) -> int:
    from xsc_desktop import sheets

    ctx.open_database()
    sheets.delete_schedule(args.id)
    print(f"Deleted schedule {args.id}.")
    return 0
