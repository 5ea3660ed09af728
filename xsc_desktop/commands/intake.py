"""`xsc-desktop intake FILE...`: take in posting docs, print the draft parser setup, optionally apply it."""

from __future__ import annotations

import os
import re
import sys
from urllib.parse import parse_qsl, urlsplit

MASK = "••••••"
# Scoring the analyzer against test docs with known values (../shared/tools/score_intake.py) needs the values;
# this variable, set by hand for such a run, is the only way to print them.
REVEAL_ENV = "XSC_INTAKE_REVEAL_SECRETS"
# Names whose values are secrets wherever they appear: in a URL's query, as a header or a body field.
_SECRET_NAME = re.compile(r"(?:^|[^a-z])(?:api_?key|key|token|secret|password|passwd|pwd|pass|auth\w*|signature|sig|"
                          r"credentials?|bearer)(?:$|[^a-z])|apikey|accesskey|apitoken|authtoken", re.I)


def register(sub) -> None:
    """Add the `intake` command."""
    p = sub.add_parser("intake", help="read posting docs (PDF, Word, Excel, CSV, HTML, e-mail, text, JSON) "
                                      "into a draft parser setup")
    p.add_argument("files", nargs="+", metavar="FILE", help="posting doc(s) to take in")
    p.add_argument("--lander", type=int, metavar="ID", help="attach the doc(s) to this lander")
    p.add_argument("--apply", action="store_true",
                   help="create/update the parser and the lander's integration from the draft (needs --lander)")
    p.add_argument("--checked", action="store_true",
                   help="with --apply: the findings that hold Apply back were read and are right (as \"I checked it\" "
                        "in the review); the draft keeps them as checked")
    p.add_argument("--json", action="store_true", help="print the analysis object (a list for several files)")
    p.set_defaults(handler=intake_cmd)


def intake_cmd(args, ctx) -> int:
    """Take in each file; exit 1 when any file could not be read (it is still stored with its error)."""
    from xsc_desktop.cli import print_json
    from xsc_desktop.errors import UsageError
    from xsc_desktop.intake.extract import IntakeError
    from xsc_desktop.intake.store import apply, check_findings, intake_file

    if args.apply and args.lander is None:
        raise UsageError("--apply needs --lander ID to know which lander the parser is for")
    if args.checked and not args.apply:
        raise UsageError("--checked goes with --apply")
    ctx.open_database()
    outputs: list[dict] = []
    failures = 0
    for name in args.files:
        try:
            result = intake_file(name, ctx.data_dir, lander_id=args.lander)
        except IntakeError as exc:
            print(f"xsc-desktop: {exc}", file=sys.stderr)
            failures += 1
            continue
        if result.error:
            print(f"xsc-desktop: {result.error}", file=sys.stderr)
            failures += 1
            continue
        analysis = dict(result.analysis or {})
        analysis["doc_id"] = result.doc.id
        if args.apply:
            if args.checked:
                check_findings(result.doc)
            applied = apply(result.doc, args.lander)
            analysis["applied"] = applied
        if os.environ.get(REVEAL_ENV) != "1":
            analysis = mask_secrets(analysis)
        outputs.append(analysis)
        if not args.json:
            _print_summary(analysis)
    if args.json:
        if len(args.files) == 1:
            if outputs:
                print_json(outputs[0])
        else:
            print_json(outputs)
    return 1 if failures else 0


def mask_secrets(draft: dict) -> dict:
    """A copy of a draft fit to print: every secret value (a static marked secret or named like a key/token,
    a secret-named query parameter of the endpoint, a secret-named field's example) replaced by a mask."""
    out = dict(draft)
    statics = []
    for item in draft.get("static") or []:
        item = dict(item)
        if (item.get("secret") or _SECRET_NAME.search(str(item.get("name", "")))) and item.get("value"):
            item["value"] = MASK
            item["secret"] = True
        statics.append(item)
    if "static" in draft:
        out["static"] = statics
    if draft.get("fields"):
        out["fields"] = [dict(f, example=MASK) if f.get("example") and _SECRET_NAME.search(str(f.get("name", "")))
                         else f for f in draft["fields"]]
    if draft.get("endpoint"):
        out["endpoint"] = _mask_url(str(draft["endpoint"]))
    test = draft.get("test")
    if isinstance(test, dict) and _SECRET_NAME.search(str(test.get("name", ""))):
        out["test"] = dict(test, value=MASK)
    # A warning or finding may quote a secret value (a URL with its key): mask it there too.
    values = sorted({str(s.get("value")) for s, m in zip(draft.get("static") or [], statics, strict=False)
                     if m.get("value") == MASK and len(str(s.get("value") or "")) >= 3}, key=len, reverse=True)
    if values:
        def scrub(text: str) -> str:
            for value in values:
                text = text.replace(value, MASK)
            return text

        out["warnings"] = [scrub(str(w)) for w in draft.get("warnings") or []]
        if draft.get("findings"):
            out["findings"] = [dict(f, message=scrub(str(f.get("message", "")))) if isinstance(f, dict) else f
                               for f in draft["findings"]]
    return out


def _mask_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        url = url.replace(f":{parts.password}@", f":{MASK}@", 1)
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if value and _SECRET_NAME.search(name):
            url = re.sub(rf"([?&]{re.escape(name)}=)[^&#]*", lambda m: m.group(1) + MASK, url)
    return url


def _print_summary(a: dict) -> None:
    print(f"{a['file']}  (posting doc {a['doc_id']})")
    print(f"  system    {a['system']}    confidence {a['confidence']:.2f}")
    print(f"  endpoint  {a['method']} {a['endpoint'] or '(none found)'}    body {a['format']}")
    print(f"  fields    {len(a['fields'])}")
    for f in a["fields"]:
        req = "required" if f["required"] else "optional"
        print(f"    {f['name']:<28} {req:<9} → {f['maps_to'] or '(unmapped)'}")
    if a["static"]:
        print("  static values")
        for s in a["static"]:
            value = "••••••" if s["secret"] else s["value"]
            print(f"    {s['name']:<28} {value}  ({s['location']})")
    print(f"  test      {a['test']['name'] + '=' + a['test']['value'] if a['test'] else 'none'}")
    if a.get("applied"):
        print(f"  applied   {a['applied'].get('summary', '')}")
    for w in a["warnings"]:
        print(f"  ! {w}")
