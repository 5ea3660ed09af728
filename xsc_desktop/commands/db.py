"""`xsc-desktop db ...`: which database the app is on, and copying a solo database onto a team's server."""

from __future__ import annotations

import sys

from xsc_desktop.cli import print_json


def register(sub) -> None:
    p = sub.add_parser("db", help="the database: where it is, and copying it onto a team's PostgreSQL server")
    ds = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    info = ds.add_parser("info", help="engine, URL (password masked), schema version and row counts")
    info.add_argument("--json", action="store_true")
    info.set_defaults(handler=info_cmd)
    copy = ds.add_parser("copy", help="copy every table into an empty database (ids kept, one transaction)")
    copy.add_argument("--to", metavar="URL", required=True,
                      help="the empty target database, e.g. postgresql://operator@db.example:5432/xsc")
    copy.add_argument("--quiet", action="store_true", help="no progress lines")
    copy.set_defaults(handler=copy_cmd)


def info_cmd(args, ctx) -> int:
    from xsc_desktop import dbtools

    ctx.open_database()
    found = dbtools.info(ctx.database_url)
    if args.json:
        print_json(found.as_json())
        return 0
    print(f"engine          {found.engine}")
    print(f"database        {found.url}")
    newer = "" if found.schema_version == found.app_schema_version else f" (this app: {found.app_schema_version})"
    print(f"schema version  {found.schema_version}{newer}")
    print("rows")
    for table, count in found.rows.items():
        print(f"  {table:<18} {count:>10,}")
    return 0


def copy_cmd(args, ctx) -> int:
    from xsc_desktop import dbtools, storage

    storage.engine_of(args.to)  # an unknown scheme is told before anything is opened
    ctx.open_database()
    shown = storage.mask_url(args.to)
    last_line: dict[str, int] = {}

    def progress(table: str, done: int, total: int) -> None:
        if args.quiet:
            return
        # One line per table, plus one every tenth of a big table.
        step = max(1, total // 10)
        if done in (0, total) or done - last_line.get(table, 0) >= step:
            last_line[table] = done
            print(f"copying {table}: {done:,} of {total:,} rows", file=sys.stderr, flush=True)

    copied = dbtools.copy_to(ctx.database_url, args.to, progress)
    total = sum(copied.values())
    print(f"Copied {total:,} rows in {len(copied)} tables into {shown}; open it by giving that URL to --database "
          "(or XSC_DATABASE_URL).")
    return 0
