"""`xsc-desktop settings ...`: typed settings (secrets masked when shown)."""

from __future__ import annotations

from xsc_desktop.cli import print_json


def register(sub) -> None:
    p = sub.add_parser("settings", help="show and change settings")
    ss = p.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    lst = ss.add_parser("list", help="every setting with its value")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=list_cmd)
    get = ss.add_parser("get", help="one setting's value")
    get.add_argument("key")
    get.set_defaults(handler=get_cmd)
    st = ss.add_parser("set", help="change a setting")
    st.add_argument("key")
    st.add_argument("value")
    st.set_defaults(handler=set_cmd)


def list_cmd(args, ctx) -> int:
    from xsc_desktop import settings

    ctx.open_database()
    values = settings.all_shown()
    if args.json:
        print_json(values)
    else:
        for key, value in values.items():
            shown = str(value).replace("\n", "\\n")
            print(f"{key:<28} {shown[:80]}")
    return 0


def get_cmd(args, ctx) -> int:
    from xsc_desktop import settings

    ctx.open_database()
    print(settings.shown(args.key))
    return 0


def set_cmd(args, ctx) -> int:
    from xsc_desktop import settings

    ctx.open_database()
    settings.set(args.key, args.value)
    print(f"{args.key} = {settings.shown(args.key)}")
    return 0
