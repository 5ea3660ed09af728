"""`xsc-desktop leads ...`: import lead files, pull feeds, list, resend and export leads."""

from __future__ import annotations

from xsc_desktop.cli import print_json
from xsc_desktop.states import RULE_STATES, LeadState, state_values

STATES = state_values(LeadState)


def register(sub) -> None:
    p = sub.add_parser("leads", help="import, list, resend and export leads")
    ls = p.add_subparsers(dest="leads_command", metavar="ACTION", required=True)

    imp = ls.add_parser("import", help="import a CSV, XLSX, JSON or JSON Lines file of leads for a lander")
    imp.add_argument("file")
    imp.add_argument("--lander", type=int, required=True, metavar="ID", help="the lander the leads came from")
    imp.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                     help="match a column to a canonical field (FIELD empty: keep as a custom field); repeatable")
    send = imp.add_mutually_exclusive_group()
    send.add_argument("--deliver", action="store_true",
                      help="send every lead to the client, old ones too (by default leads captured more than "
                           "leads.records_only_after_hours ago are kept for records only)")
    send.add_argument("--records-only", action="store_true",
                      help="keep every lead for records only, fresh ones too: nothing is sent to the client")
    imp.add_argument("--conflicts", choices=("skip", "new"), default="skip",
                     help="rows whose lead id belongs to an earlier lead of another person: skip them (default) or "
                          "import them as new leads")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(handler=import_cmd)

    pull = ls.add_parser("pull", help="pull new leads from the landers' feeds now")
    pull.add_argument("--lander", type=int, metavar="ID", help="only this lander's feed")
    pull.add_argument("--json", action="store_true")
    pull.set_defaults(handler=pull_cmd)

    feed = ls.add_parser("feed", help="set (or with --remove, clear) a lander's lead feed URL")
    feed.add_argument("--lander", type=int, required=True, metavar="ID")
    feed.add_argument("--url", help="the feed URL, answering [...] or {\"leads\": [...], \"next\": cursor}")
    feed.add_argument("--remove", action="store_true", help="stop pulling this lander's feed")
    feed.set_defaults(handler=feed_cmd)

    lst = ls.add_parser("list", help="list leads, newest first")
    lst.add_argument("--lander", type=int, metavar="ID")
    lst.add_argument("--state", choices=STATES, metavar="STATE", help="delivery state: " + ", ".join(STATES))
    lst.add_argument("--limit", type=int, default=None, help="at most this many leads")
    lst.add_argument("--json", action="store_true", help="print a JSON array of leads")
    lst.set_defaults(handler=list_cmd)

    show = ls.add_parser("show", help="show one lead with its delivery attempts")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=show_cmd)

    resend = ls.add_parser("resend", help="send a lead again through its lander's integration")
    resend.add_argument("id", type=int)
    resend.add_argument("--json", action="store_true")
    resend.set_defaults(handler=resend_cmd)

    mark = ls.add_parser("mark-delivered", help="record that the client has the lead (after checking)")
    mark.add_argument("id", type=int)
    mark.add_argument("--note", default="")
    mark.set_defaults(handler=mark_cmd)

    exp = ls.add_parser("export", help="write a lander's leads to a CSV file")
    exp.add_argument("--lander", type=int, required=True, metavar="ID")
    exp.add_argument("-o", "--output", required=True, metavar="FILE.csv")
    exp.set_defaults(handler=export_cmd)


def _mapping(pairs: list[str]) -> dict[str, str | None] | None:
    from parsers.fields import FIELDS_BY_NAME
    from xsc_desktop.errors import UsageError

    if not pairs:
        return None
    mapping: dict[str, str | None] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column:
            raise UsageError(f"--map takes COLUMN=FIELD, not {pair!r}.")
        target = target.strip()
        if target and target not in FIELDS_BY_NAME:
            raise UsageError(f"{target!r} is not a lead field; use one of {', '.join(FIELDS_BY_NAME)}.")
        mapping[column] = target or None
    return mapping


def import_cmd(args, ctx) -> int:
    import sys

    from xsc_desktop.leads import import_file, open_lead_file, propose_mapping, remembered_mapping

    ctx.open_database()
    mapping = None
    given = _mapping(args.map)
    if given:
        source = open_lead_file(args.file)
        mapping = propose_mapping(source.columns, remembered_mapping(args.lander)) | given
        close = getattr(source.rows, "close", None)
        if close:
            close()
    delivery = "deliver" if args.deliver else "records" if args.records_only else "auto"
    report = import_file(args.file, args.lander, mapping, delivery=delivery, on_conflict=args.conflicts)
    if args.json:
        print_json(report.as_json())
    else:
        print(report.summary())
        if report.records_only and delivery == "auto":
            print(f"  {report.records_only} older lead{'s were' if report.records_only != 1 else ' was'} kept for "
                  "records only; import again with --deliver to send them to the client.")
        for line, lead_id, differs in report.conflicts[:50]:
            print(f"  line {line}: lead id {lead_id} belongs to an earlier lead with another {differs}; "
                  "import again with --conflicts new to add it as a new lead.", file=sys.stderr)
        for line, message in report.problems[:50]:
            print(f"  line {line}: {message}", file=sys.stderr)
        if report.problem_count > 50:
            print(f"  …and {report.problem_count - 50} more (use --json for all).", file=sys.stderr)
    return 1 if report.error and not report.imported and not report.already_there else 0


def pull_cmd(args, ctx) -> int:
    from xsc_desktop.leads import pull_all_feeds, pull_feed

    ctx.open_database()
    reports = [pull_feed(args.lander)] if args.lander else pull_all_feeds()
    if args.json:
        print_json([r.as_json() for r in reports])
    else:
        if not reports:
            print("No lander has a lead feed.")
        for r in reports:
            print(f"Lander {r.lander_id}: {r.summary()}")
    return 1 if any(r.error for r in reports) else 0


def feed_cmd(args, ctx) -> int:
    from xsc_desktop.errors import UsageError
    from xsc_desktop.leads import set_feed

    if bool(args.url) == bool(args.remove):
        raise UsageError("Give either --url URL or --remove.")
    ctx.open_database()
    lander = set_feed(args.lander, None if args.remove else args.url)
    print(f"Lander {lander.id} feed: {lander.feed_url or 'none'}.")
    return 0


def list_cmd(args, ctx) -> int:
    from xsc_desktop.leads import lead_json, list_leads

    ctx.open_database()
    leads = _with_rules(list_leads(args.lander, args.state, args.limit), args.state in RULE_STATES)
    if args.json:
        import json
        import sys

        # Streamed, so a million leads never sit in memory at once.
        out = sys.stdout
        out.write("[")
        written = 0
        for lead, rule in leads:
            data = lead_json(lead)
            if args.state in RULE_STATES:
                data["rule"] = rule
            out.write(("," if written else "") + "\n  " + json.dumps(data, ensure_ascii=False, default=str))
            written += 1
        out.write("\n]\n" if written else "]\n")
        return 0
    count = 0
    for lead, rule in leads:
        count += 1
        name = " ".join(filter(None, [lead.first_name, lead.last_name])) or lead.full_name or ""
        print(f"{lead.id:>7}  {lead.delivery_state:<10} lander {lead.lander_id:<4} {lead.external_id or '':<14} "
              f"{name:<24} {lead.phone or '':<11} {lead.email or ''}" + (f"  — {rule}" if rule else ""))
    if not count:
        print("No leads.")
    return 0


def _with_rules(leads, wanted: bool):
    """(lead, the rule that stopped it or "") for each lead, the rules read 500 leads at a time."""
    if not wanted:
        for lead in leads:
            yield lead, ""
        return
    from xsc_desktop.delivery_gate import rule_notes

    batch = []
    for lead in leads:
        batch.append(lead)
        if len(batch) == 500:
            notes = rule_notes([row.id for row in batch])
            yield from ((row, notes.get(row.id, "")) for row in batch)
            batch = []
    notes = rule_notes([row.id for row in batch])
    yield from ((row, notes.get(row.id, "")) for row in batch)


def show_cmd(args, ctx) -> int:
    from xsc_desktop.delivery import attempts_of, delivery_json
    from xsc_desktop.errors import UserError
    from xsc_desktop.leads import lead_json
    from xsc_desktop.models import Lead

    ctx.open_database()
    lead = Lead.get_or_none(Lead.id == args.id)
    if lead is None:
        raise UserError(f"There is no lead with id {args.id}; `xsc-desktop leads list` shows them.")
    data = lead_json(lead)
    data["deliveries"] = [delivery_json(d) for d in attempts_of(lead.id)]
    if args.json:
        print_json(data)
        return 0
    for key, value in data.items():
        if key != "deliveries" and value not in (None, "", {}):
            print(f"{key:>22}: {value}")
    for d in data["deliveries"]:
        print(f"  {d['at']}  attempt {d['attempt']}  {d['state']:<10} HTTP {d['http_status'] or '-'}  "
              f"{d['latency_ms'] or '-'} ms  {d['reason']}")
    return 0


def resend_cmd(args, ctx) -> int:
    from xsc_desktop.delivery import resend
    from xsc_desktop.models import Lead

    ctx.open_database()
    report = resend(args.id)
    state = Lead.get_by_id(args.id).delivery_state
    if args.json:
        print_json({"id": args.id, "delivery_state": state, "pass": report.as_json()})
    elif report.skipped:
        print(f"Lead {args.id} is queued again; the delivery run working now will send it.")
    else:
        print(f"Lead {args.id} sent again: {state}.")
    return 0 if state in ("delivered", "duplicate", "new", "retry") else 1


def mark_cmd(args, ctx) -> int:
    from xsc_desktop.delivery import mark_delivered

    ctx.open_database()
    mark_delivered(args.id, note=args.note)
    print(f"Lead {args.id} marked delivered.")
    return 0


def export_cmd(args, ctx) -> int:
    from xsc_desktop.leads import _check_lander, export_csv

    ctx.open_database()
    _check_lander(args.lander)
    count = export_csv(args.output, lander_id=args.lander)
    print(f"Wrote {count} lead{'s' if count != 1 else ''} to {args.output}.")
    return 0
