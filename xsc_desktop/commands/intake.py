"""`xsc-desktop intake FILE...`: take in posting docs, print the draft parser setup, optionally apply it."""

from __future__ import annotations

import sys


def register(sub) -> None:
    """Add the `intake` command."""
    p = sub.add_parser("intake", help="read posting docs (PDF, Word, Excel, CSV, HTML, e-mail, text, JSON) "
                                      "into a draft parser setup")
    p.add_argument("files", nargs="+", metavar="FILE", help="posting doc(s) to take in")
    p.add_argument("--lander", type=int, metavar="ID", help="attach the doc(s) to this lander")
    p.add_argument("--apply", action="store_true",
                   help="create/update the parser and the lander's integration from the draft (needs --lander)")
    p.add_argument("--json", action="store_true", help="print the analysis object (a list for several files)")
    p.set_defaults(handler=intake_cmd)


def intake_cmd(args, ctx) -> int:
    """Take in each file; exit 1 when any file could not be read (it is still stored with its error)."""
    from xsc_desktop.cli import print_json
    from xsc_desktop.errors import UsageError
    from xsc_desktop.intake.extract import IntakeError
    from xsc_desktop.intake.store import apply, intake_file

    if args.apply and args.lander is None:
        raise UsageError("--apply needs --lander ID to know which lander the parser is for")
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
            applied = apply(result.doc, args.lander)
            analysis["applied"] = applied
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
