"""`xsc-desktop integrations ...`: wire a lander to a parser with its settings, secrets and sample lead."""

from __future__ import annotations

from xsc_desktop.cli import print_json
from xsc_desktop.errors import UsageError, UserError


def register(sub) -> None:
    p = sub.add_parser("integrations", help="set and show a lander's integration (parser, settings, secrets)")
    cs = p.add_subparsers(dest="integrations_command", metavar="ACTION", required=True)
    st = cs.add_parser("set", help="wire a lander to a parser and fill its settings and secrets")
    st.add_argument("lander_id", type=int, metavar="LANDER_ID")
    st.add_argument("--parser", metavar="NAME", help="saved parser or preset (a preset is copied for the client)")
    st.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="settings",
                    help="an integration setting such as CaptorraId=310775 (repeatable)")
    st.add_argument("--secret", action="append", default=[], metavar="KEY=VALUE", dest="secrets",
                    help="a secret such as apikey=... (repeatable; never printed; empty value forgets it)")
    st.add_argument("--sample-lead", metavar="LEAD.json", help="the lead test posts are built from")
    st.set_defaults(handler=set_cmd)
    sh = cs.add_parser("show", help="show a lander's integration (secrets masked)")
    sh.add_argument("lander_id", type=int, metavar="LANDER_ID")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(handler=show_cmd)
    sm = cs.add_parser("summary", help="write the one-page posting summary (PDF) the client gets when it goes live")
    sm.add_argument("ident", type=int, metavar="LANDER_OR_INTEGRATION_ID",
                    help="a lander id (or the id of its integration)")
    sm.add_argument("-o", "--output", required=True, metavar="FILE", help="the PDF file to write")
    sm.set_defaults(handler=summary_cmd)


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{what} takes KEY=VALUE, not {item!r}")
        out[key.strip()] = value
    return out


def set_cmd(args, ctx) -> int:
    import json
    from pathlib import Path

    from xsc_desktop import integrations

    settings = _pairs(args.settings, "--set")
    secrets = _pairs(args.secrets, "--secret")
    sample = None
    if args.sample_lead:
        try:
            sample = json.loads(Path(args.sample_lead).read_text(encoding="utf-8"))
        except OSError as exc:
            raise UserError(f"The sample lead {args.sample_lead} cannot be read ({exc.strerror}).") from None
        except ValueError:
            raise UserError(f"The sample lead {args.sample_lead} is not valid JSON; give one object of "
                            "field: value.") from None
        if not isinstance(sample, dict):
            raise UserError("The sample lead must be one JSON object of field: value.")
    ctx.open_database()
    integrations.set_integration(args.lander_id, parser=args.parser, settings=settings or None,
                                 secrets=secrets or None, sample_lead=sample)
    view = integrations.view(args.lander_id)
    print(f"Lander {view.lander_id} ({view.lander}) posts through {view.parser}.")
    _print_missing(view)
    return 0


def _print_missing(view) -> None:
    if view.missing:
        print("Still missing: " + "; ".join(view.missing) + ".")
    else:
        print("Complete: the next gather puts it on the to-do list.")


def show_cmd(args, ctx) -> int:
    from xsc_desktop import integrations

    ctx.open_database()
    view = integrations.view(args.lander_id)
    if args.json:
        print_json(view.as_json())
        return 0
    print(f"Lander {view.lander_id}: {view.lander} ({view.client})")
    if view.integration_id is None:
        print("No integration yet.")
    else:
        print(f"Parser: {view.parser}" + (f" (from preset {view.preset})" if view.preset else ""))
        for key, value in sorted(view.settings.items()):
            print(f"  {key} = {value}")
        for key, value in sorted(view.secrets.items()):
            print(f"  {key} = {value or '(empty)'}  [secret]")
    print("Sample lead: " + ("yes" if view.sample_lead else "none (a made-up one is used)"))
    _print_missing(view)
    return 0


def summary_cmd(args, ctx) -> int:
    from xsc_desktop import summary

    ctx.open_database()
    lander_id = summary.resolve_lander(args.ident)
    path = summary.write(lander_id, args.output)
    print(f"Posting summary of lander {lander_id} written to {path}.")
    return 0
