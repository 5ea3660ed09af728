"""`xsc-desktop clients ...`: the law firms and their contacts."""

from __future__ import annotations

from xsc_desktop.cli import print_json


def register(sub) -> None:
    p = sub.add_parser("clients", help="list, add and change clients")
    cs = p.add_subparsers(dest="clients_command", metavar="ACTION", required=True)
    lst = cs.add_parser("list", help="list clients")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=list_cmd)
    add = cs.add_parser("add", help="add a client")
    add.add_argument("name")
    add.add_argument("--contact", action="append", default=[], metavar="EMAIL", help="confirmation contact (repeatable)")
    add.add_argument("--new", action="store_true", help="mark as a new client")
    add.set_defaults(handler=add_cmd)
    st = cs.add_parser("set", help="change a client's contacts or new mark")
    st.add_argument("id", type=int)
    st.add_argument("--contact", action="append", default=None, metavar="EMAIL", help="replaces the contacts")
    new = st.add_mutually_exclusive_group()
    new.add_argument("--new", dest="is_new", action="store_true", default=None)
    new.add_argument("--not-new", dest="is_new", action="store_false")
    st.set_defaults(handler=set_cmd)


def list_cmd(args, ctx) -> int:
    from xsc_desktop.clients import list_clients

    ctx.open_database()
    rows = list_clients()
    if args.json:
        print_json(rows)
        return 0
    for c in rows:
        new = " (new)" if c["new"] else ""
        print(f"{c['id']:>4}  {c['name']}{new}  {c['landers']} landers  {', '.join(c['contacts']) or 'no contacts'}")
    if not rows:
        print("No clients.")
    return 0


def add_cmd(args, ctx) -> int:
    from xsc_desktop.clients import add_client

    ctx.open_database()
    client = add_client(args.name, args.contact, is_new=args.new)
    print(f"Added client {client.id}: {client.name}.")
    return 0


def set_cmd(args, ctx) -> int:
    from xsc_desktop.clients import set_client

    ctx.open_database()
    client = set_client(args.id, contacts=args.contact, is_new=args.is_new)
    print(f"Client {client.id} ({client.name}): contacts {', '.join(client.contacts) or 'none'}"
          f"{', new' if client.is_new else ''}.")
    return 0
