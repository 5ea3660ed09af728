"""`xsc-desktop parsers ...`: list, show, import, export, preview and test-send parsers headless.

    parsers list [--json]
    parsers show NAME [--json]
    parsers import FILE.json [--name NAME]
    parsers export NAME [-o FILE] [--with-secrets]
    parsers preview NAME --lead LEAD.json [--settings S.json] [--test] [--json]
    parsers test NAME --lead LEAD.json [--settings S.json] [--live] [--timeout S] [--json]

S.json holds the integration's settings as an object; secrets go under a "secrets" key
({"firm": "smithlaw", "secrets": {"apikey": "..."}}), or use {"settings": {...}, "secrets": {...}}.
LEAD.json is one lead object (canonical field names; other names are matched to them when clear).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from xsc_desktop.cli import print_json
from xsc_desktop.errors import UserError


def register(sub) -> None:
    """Add `parsers` and its actions to the CLI."""
    p = sub.add_parser("parsers", help="list, show, import, export, preview and test-send parsers")
    ps = p.add_subparsers(dest="parsers_command", metavar="ACTION", required=True)

    lst = ps.add_parser("list", help="list saved parsers and the read-only presets")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(handler=list_cmd)

    show = ps.add_parser("show", help="show one parser: endpoint, mappings, settings needed, problems, versions")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print the spec as JSON (secret values masked)")
    show.set_defaults(handler=show_cmd)

    imp = ps.add_parser("import", help="import a parser JSON file (a new parser, or a new version of one)")
    imp.add_argument("file", metavar="FILE.json")
    imp.add_argument("--name", help="save it under this name instead of the one in the file")
    imp.set_defaults(handler=import_cmd)

    exp = ps.add_parser("export", help="write a parser as JSON (secret values left out unless asked)")
    exp.add_argument("name")
    exp.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of the screen")
    exp.add_argument("--with-secrets", action="store_true", help="include the parser's own secret values")
    exp.set_defaults(handler=export_cmd)

    for action, helptext, handler in (
        ("preview", "print the exact request a lead makes (secrets masked)", preview_cmd),
        ("test", "send a test lead to the endpoint and print the outcome (exit 1 unless accepted)", test_cmd),
    ):
        cmd = ps.add_parser(action, help=helptext)
        cmd.add_argument("name")
        cmd.add_argument("--lead", required=True, metavar="LEAD.json", help="the lead as a JSON object")
        cmd.add_argument("--settings", metavar="S.json", help="integration settings (and secrets) as JSON")
        cmd.add_argument("--json", action="store_true", help="print JSON")
        if action == "preview":
            cmd.add_argument("--test", action="store_true", help="apply the parser's test mode")
        else:
            cmd.add_argument("--live", action="store_true", help="send it as a real lead (no test mode)")
            cmd.add_argument("--timeout", type=float, metavar="S", help="seconds to wait (default: the parser's)")
        cmd.set_defaults(handler=handler)


# ---- handlers -----------------------------------------------------------------------------------------------
def list_cmd(args, ctx) -> int:
    """`parsers list [--json]`: saved parsers then presets; JSON is a list of ParserSummary.to_dict()."""
    from xsc_desktop.parsers_store import list_parsers

    ctx.open_database()
    rows = list_parsers()
    if args.json:
        print_json([r.to_dict() for r in rows])
        return 0
    for r in rows:
        kind = "preset" if r.is_preset else f"v{r.version}"
        problems = f"  {r.problems} problem(s)" if r.problems else ""
        print(f"{r.name:<28} {r.system:<12} {kind:<7}{problems}")
    return 0


def show_cmd(args, ctx) -> int:
    """`parsers show NAME [--json]`: the spec (secret values masked), settings needed, problems, versions."""
    from parsers.render import MASK
    from parsers.spec import secrets_needed, settings_needed, validate
    from xsc_desktop.parsers_store import get_parser, get_summary, history, parser_secret_names

    ctx.open_database()
    spec = get_parser(args.name)
    summary = get_summary(args.name)
    kept = set() if summary.is_preset else set(parser_secret_names(args.name))
    for item in spec.static:
        if item.secret and (item.value or item.name in kept):
            item.value = MASK  # shows that a value is kept, never the value
    if args.json:
        data = spec.to_dict()
        print_json(data)
        return 0
    kind = "read-only preset" if summary.is_preset else f"saved parser, version {summary.version}"
    print(f"{spec.name} ({kind}; system {spec.system}{'; from preset ' + spec.preset if spec.preset and spec.preset != spec.name else ''})")
    if spec.description:
        print(f"  {spec.description}")
    print(f"  {spec.method} {spec.url or '(no endpoint)'}  [{spec.body_format}{' <' + spec.xml_root + '>' if spec.body_format == 'xml' else ''}]")
    if spec.auth.kind != "none":
        print(f"  auth: {spec.auth.kind} (secret {spec.auth.secret})")
    print(f"  test mode: {_test_text(spec)}")
    print("  fields:")
    for m in spec.mappings:
        chain = " → ".join(t.name for t in m.transforms)
        source = {"field": m.source, "constant": repr(m.source), "template": f'"{m.source}"'}.get(m.kind, m.source)
        flags = (" *required" if m.required else "") + (f" (default {m.default!r})" if m.default else "")
        print(f"    {m.target:<26} ← {source}{' | ' + chain if chain else ''}{flags}")
    for item in spec.static:
        value = item.value or f"({'secret' if item.secret else 'setting'} {item.name} of the integration)"
        print(f"    {item.name:<26} = {value} [{item.location}{', secret' if item.secret else ''}]")
    needed = settings_needed(spec)
    secrets = secrets_needed(spec)
    if needed or secrets:
        print(f"  each integration fills: {', '.join(needed + [s + ' (secret)' for s in secrets])}")
    for i, rule in enumerate(spec.rules, 1):
        conditions = [c for c in (rule.status and f"status {rule.status}", rule.body_regex and f"body ~ /{rule.body_regex}/",
                                  rule.json_path and f"{rule.json_path}{' = ' + rule.equals if rule.equals is not None else ''}",
                                  rule.xpath and f"{rule.xpath}{' = ' + rule.equals if rule.equals is not None else ''}") if c]
        print(f"  rule {i}: {' and '.join(conditions)} → {rule.outcome}")
    problems = validate(spec)
    for p in problems:
        print(f"  {p.severity}: {p}")
    if not summary.is_preset:
        print("  versions:")
        for v in history(spec.name)[:10]:
            print(f"    v{v.version}  {v.created_at:%Y-%m-%d %H:%M}  {v.author}  {v.note}")
    return 0


def import_cmd(args, ctx) -> int:
    """`parsers import FILE.json [--name NAME]`: save the file as a parser (a malformed file saves nothing)."""
    from parsers.spec import errors
    from xsc_desktop.parsers_store import get_parser, import_parser

    ctx.open_database()
    summary = import_parser(args.file, name=args.name)
    problems = errors(get_parser(summary.name))
    print(f"Imported parser {summary.name} as version {summary.version}."
          + (f" It has {len(problems)} problem(s); `xsc-desktop parsers show {summary.name}` lists them." if problems else ""))
    return 0


def export_cmd(args, ctx) -> int:
    """`parsers export NAME [-o FILE] [--with-secrets]`: the parser as JSON."""
    from xsc_desktop.parsers_store import export_parser

    ctx.open_database()
    text = export_parser(args.name, with_secrets=args.with_secrets)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"Cannot write {args.output}: {exc.strerror or exc}.") from None
        print(f"Exported parser {args.name} to {args.output}"
              + (" (with its secret values: keep the file safe)." if args.with_secrets else " (without secret values)."))
    else:
        sys.stdout.write(text)
    return 0


def preview_cmd(args, ctx) -> int:
    """`parsers preview NAME --lead LEAD.json`: the exact request, secrets masked; JSON keys method, url, headers, body."""
    ctx.open_database()
    spec, request = _render(args, test=args.test)
    if args.json:
        print_json(request.to_dict(masked=True))
        return 0
    masked = request.masked()
    print(f"{masked.method} {masked.url}")
    for name, value in masked.headers.items():
        print(f"{name}: {value}")
    print()
    if masked.body:
        print(masked.body_text())
    return 0


def test_cmd(args, ctx) -> int:
    """`parsers test NAME --lead LEAD.json`: send it (test mode unless --live), print the outcome; exit 1 unless accepted."""
    from parsers.spec import errors
    from xsc_desktop.posting import post

    ctx.open_database()
    spec, request = _render(args, test=not args.live)
    problems = errors(spec)
    if problems:
        raise UserError(f"Parser {spec.name} has {len(problems)} problem(s), first: {problems[0]}; "
                        "fix them before sending.")
    attempt = post(request, spec, timeout=args.timeout)
    if args.json:
        print_json({"request": request.to_dict(masked=True), "attempt": attempt.to_dict()})
    else:
        outcome = attempt.outcome
        where = f"HTTP {attempt.status}" if attempt.status is not None else "no answer"
        print(f"{outcome.kind.upper()}: {outcome.summary()}")
        print(f"  {request.method} {request.masked().url} → {where} in {attempt.elapsed:.2f} s")
        if attempt.body_excerpt:
            excerpt = " ".join(attempt.body_excerpt.split())
            print(f"  answer: {excerpt[:300]}{'…' if len(excerpt) > 300 or attempt.truncated else ''}")
    return 0 if attempt.outcome.ok else 1


# ---- helpers ------------------------------------------------------------------------------------------------
def _render(args, *, test: bool):
    from parsers.render import RenderError, render
    from parsers.transforms import TransformError
    from xsc_desktop.parsers_store import get_parser, parser_secrets

    spec = get_parser(args.name)
    lead = _read_lead(args.lead)
    settings, secrets = _read_settings(args.settings) if args.settings else ({}, {})
    if not _is_preset_only(args.name):
        secrets = {**parser_secrets(args.name), **secrets}
    try:
        return spec, render(spec, lead, settings, secrets, test=test)
    except RenderError as exc:
        raise UserError(str(exc)) from None
    except TransformError as exc:
        raise UserError(f"Parser {spec.name} has a bad transform ({exc}); fix it in the editor.") from None


def _is_preset_only(name: str) -> bool:
    from xsc_desktop.models import Parser

    return Parser.get_or_none(Parser.name == name) is None


def _read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise UserError(f"There is no {what} file {path}; check the path.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Cannot read the {what} file {path}: {exc}.") from None
    except ValueError as exc:
        raise UserError(f"The {what} file {path} is not valid JSON ({exc}); fix it and try again.") from None


def _read_lead(path: str) -> dict[str, Any]:
    from parsers.fields import FIELD_NAMES, canonical_name

    data = _read_json(path, "lead")
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict):
        raise UserError(f"The lead file {path} must hold one JSON object of field: value.")
    lead: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        name = key if key in FIELD_NAMES else (canonical_name(key) or key)
        if name in lead and name != key:
            name = key  # two columns claim one field: keep the second under its own name
        lead[name] = value
    return lead


def _read_settings(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    data = _read_json(path, "settings")
    if not isinstance(data, dict):
        raise UserError(f"The settings file {path} must hold a JSON object of name: value.")
    secrets = data.get("secrets") or {}
    settings = data.get("settings") if isinstance(data.get("settings"), dict) else \
        {k: v for k, v in data.items() if k != "secrets"}
    if not isinstance(secrets, dict):
        raise UserError(f"In {path}, \"secrets\" must be an object of name: value.")
    return settings, secrets


def _test_text(spec) -> str:
    test = spec.test
    if test.kind == "field":
        return f"send {test.field}={test.value}"
    if test.kind == "url":
        return f"post to {spec.test_url}"
    if test.kind == "label":
        return "send a lead labelled TEST (the system has no test switch)"
    return "none"
