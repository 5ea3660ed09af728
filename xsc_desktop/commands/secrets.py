"""`xsc-desktop secrets ...`: where secrets are kept and whether they can be read here (values never shown)."""

from __future__ import annotations

from pathlib import Path

from xsc_desktop.cli import print_json


def register(sub) -> None:
    p = sub.add_parser("secrets", help="where secrets are kept, how many, whether they can be read here")
    ss = p.add_subparsers(dest="secrets_command", metavar="ACTION", required=True)
    st = ss.add_parser("status", help="the store (keyring, key file or team key), how many secrets, which are readable")
    st.add_argument("--json", action="store_true")
    st.set_defaults(handler=status_cmd)
    rk = ss.add_parser("rekey", help="seal every readable secret again where new ones go now (a fresh key file key, "
                       "or the team key once it is set)")
    rk.set_defaults(handler=rekey_cmd)
    nk = ss.add_parser("new-key", help="write a new team key file (readable only by you) to share with the team")
    nk.add_argument("path", help="the new key file (an existing file is never overwritten)")
    nk.set_defaults(handler=new_key_cmd)


def status_cmd(args, ctx) -> int:
    from xsc_desktop import secrets

    ctx.open_database()
    state = secrets.status()
    if args.json:
        print_json(state.as_json())
        return 0
    print(f"New secrets go to: {state.where or 'nowhere'}")
    if state.problem:
        print(f"  {state.problem}")
    print(f"Team key:          {state.team_key or 'none (XSC_SECRET_KEY, XSC_SECRET_KEY_FILE or setting secrets.key_file)'}")
    print(f"System keyring:    {state.keyring or 'none usable'}")
    print(f"Key file:          {state.key_file or '-'} ({state.key_file_state})")
    kept = ", ".join(f"{where} {count}" for where, count in state.by_store.items())
    print(f"Saved secrets:     {state.count}" + (f" ({kept})" if kept else ""))
    print(f"Readable here:     {state.readable} of {state.count}")
    for item in state.unreadable:
        print(f"  {item['reason']}")
    return 0


def rekey_cmd(args, ctx) -> int:
    from xsc_desktop import secrets

    ctx.open_database()
    report = secrets.rekey()
    print(f"Sealed {report.resealed} secret(s) again into {report.where}.")
    for sentence in report.unreadable:
        print(f"  Left as it was: {sentence}")
    return 1 if report.unreadable else 0


def new_key_cmd(args, ctx) -> int:
    from xsc_desktop import secrets

    key = secrets.write_new_key_file(Path(args.path))
    print(f"Wrote a new team key (key {key.id}) to {Path(args.path).expanduser()}, readable only by you. Give it to "
          "each operator privately, point the setting secrets.key_file (or XSC_SECRET_KEY_FILE) at it, then run "
          "`xsc-desktop secrets rekey` once.")
    return 0
