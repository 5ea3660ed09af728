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
    _register_rules(cs)
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
        print(f"Integration {view.integration_id} (delivery rules: `xsc-desktop integrations rules show "
              f"{view.integration_id}`)")
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


# ---- delivery rules ---------------------------------------------------------------------------------------------
def _register_rules(cs) -> None:
    rp = cs.add_parser("rules", help="show or set an integration's delivery rules (caps, hours, filters, checks)")
    rs = rp.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    show = rs.add_parser("show", help="show an integration's delivery rules and today's counts")
    show.add_argument("integration_id", type=int, metavar="ID", help="the integration's id (`integrations show`)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=rules_show_cmd)
    st = rs.add_parser("set", help="change an integration's delivery rules; parts not given stay as they are")
    st.add_argument("integration_id", type=int, metavar="ID", help="the integration's id (`integrations show`)")
    for period in ("hour", "day", "week", "month"):
        st.add_argument(f"--cap-{period}", metavar="N", help=f"at most N accepted leads a {period} (0 pauses, "
                                                             "\"none\" removes the cap)")
        st.add_argument(f"--client-cap-{period}", metavar="N",
                        help=f"at most N a {period} over all the client's landers")
    st.add_argument("--tz", metavar="ZONE", help="IANA time zone such as America/Chicago (\"client\": the client's)")
    st.add_argument("--hours", action="append", metavar="RANGE",
                    help='delivery hours such as "mon-fri 08:00-18:00" (repeatable; replaces the hours)')
    st.add_argument("--holiday", action="append", metavar="YYYY-MM-DD", help="a closed day (repeatable; replaces)")
    st.add_argument("--filter", action="append", metavar="RULE",
                    help='a filter such as "state in TX,OK", "has_attorney is no", "age < 24", '
                         '"required phone,email" (repeatable; replaces the filters)')
    st.add_argument("--require", action="append", metavar="CHECK",
                    help="a compliance check: trustedform, jornaya, tcpa, phone or email (repeatable; replaces)")
    st.add_argument("--trustedform-hours", metavar="N", help="oldest TrustedForm certificate accepted (default 72)")
    st.add_argument("--posts-per-minute", metavar="N", help="pacing (\"default\": the delivery.posts_per_minute "
                                                             "setting)")
    st.add_argument("--clear", action="store_true", help="start from no rules (alone: remove every rule)")
    st.add_argument("--json", action="store_true")
    st.set_defaults(handler=rules_set_cmd)


def _rules_json(integration_id: int) -> dict:
    from xsc_desktop import delivery_gate
    from xsc_desktop import delivery_rules as dr

    rules = delivery_gate.rules_of(integration_id)
    _, zone = delivery_gate.client_of(integration_id)
    return {"integration_id": integration_id, "rules": rules.as_dict(),
            "time_zone_used": getattr(rules.zone(zone), "key", "UTC"), "described": dr.describe(rules, zone),
            "status": delivery_gate.cap_status(integration_id)}


def rules_show_cmd(args, ctx) -> int:
    ctx.open_database()
    data = _rules_json(args.integration_id)
    if args.json:
        print_json(data)
        return 0
    print(f"Integration {args.integration_id} delivery rules:")
    for line in data["described"]:
        print(f"  {line}")
    words = {"hour": "this hour", "day": "today", "week": "this week", "month": "this month"}
    for part, whose in (("caps", ""), ("client_caps", "client-wide ")):
        for period, info in data["status"][part].items():
            print(f"  {info['count']} of {info['cap']} {whose}{words[period]} (the window ends "
                  f"{info['reopens']} UTC)")
    if not data["status"]["open"] and data["status"]["opens_at"]:
        print(f"  Closed now; opens {data['status']['opens_at']} UTC.")
    return 0


def _cap(text, flag: str):
    from xsc_desktop import delivery_rules as dr

    if text is None:
        return ...
    if text.strip().lower() in ("none", "off", "no", ""):
        return None
    try:
        return dr._cap_value(text.strip(), flag)
    except dr.RuleError:
        raise UsageError(f"{flag} takes a whole number of leads (0 pauses, \"none\" removes it), not {text!r}.") from None


def _number(text, flag: str, *, default_word: str | None = None):
    if text is None:
        return ...
    if default_word and text.strip().lower() == default_word:
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise UsageError(f"{flag} takes a whole number above 0, not {text!r}.")
    return value


def build_rules(current, args):
    """The rules `integrations rules set` asks for: `current` (or none with --clear) with the given parts replaced;
    UsageError with one sentence for anything unreadable (nothing is saved then)."""
    from dataclasses import replace

    from xsc_desktop import delivery_rules as dr

    rules = dr.DeliveryRules() if args.clear else current
    try:
        for attr, prefix in (("caps", "cap"), ("client_caps", "client-cap")):
            caps = getattr(rules, attr)
            changes = {}
            for period in dr.PERIODS:
                value = _cap(getattr(args, f"{prefix.replace('-', '_')}_{period}"), f"--{prefix}-{period}")
                if value is not ...:
                    changes[period] = value
            if changes:
                rules = replace(rules, **{attr: replace(caps, **changes)})
        if args.tz is not None:
            zone = None if args.tz.strip().lower() in ("client", "") else dr.parse_zone(args.tz)
            rules = replace(rules, time_zone=zone)
        if args.hours is not None:
            rules = replace(rules, hours=tuple(dr.parse_hours(text) for text in args.hours if text.strip()))
        if args.holiday is not None:
            rules = replace(rules, holidays=tuple(sorted({dr.parse_holiday(t) for t in args.holiday if t.strip()})))
        if args.filter is not None:
            rules = replace(rules, filters=tuple(dr.parse_filter(text) for text in args.filter if text.strip()))
        if args.require is not None:
            rules = replace(rules, require=tuple(dict.fromkeys(dr.parse_check(n) for n in args.require if n.strip())))
        age = _number(args.trustedform_hours, "--trustedform-hours")
        if age is not ...:
            rules = replace(rules, trustedform_max_age_hours=age)
        pace = _number(args.posts_per_minute, "--posts-per-minute", default_word="default")
        if pace is not ...:
            rules = replace(rules, posts_per_minute=pace)
    except dr.RuleError as exc:
        raise UsageError(str(exc)) from None
    return rules


def rules_set_cmd(args, ctx) -> int:
    from xsc_desktop import delivery_gate

    ctx.open_database()
    rules = build_rules(delivery_gate.rules_of(args.integration_id), args)
    try:
        notices = delivery_gate.save_rules(args.integration_id, rules)
    except UserError as exc:
        if "no integration with id" in str(exc):
            raise
        raise UsageError(str(exc)) from None
    if args.json:
        data = _rules_json(args.integration_id)
        data["notices"] = [str(n) for n in notices]
        print_json(data)
        return 0
    for notice in notices:
        print(f"Note: {notice}")
    print(f"Integration {args.integration_id} delivery rules saved:")
    for line in _rules_json(args.integration_id)["described"]:
        print(f"  {line}")
    return 0
