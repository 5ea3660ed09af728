"""`xsc-desktop demo`: seed demo data into an empty database."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("demo", help="seed demo data into an empty database")
    p.set_defaults(handler=demo_cmd)


def demo_cmd(args, ctx) -> int:
    from xsc_desktop import demo
    from xsc_desktop.errors import UserError

    ctx.open_database()
    if not demo.is_empty():
        raise UserError("The database already holds clients or landers; demo data goes only into an empty one "
                        "(use --data-dir with a new folder).")
    made = demo.seed(data_dir=ctx.data_dir)
    print(f"Seeded demo data: {len(demo.DEMO_CLIENTS)} clients and {made} landers.")
    return 0
