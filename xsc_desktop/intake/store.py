"""The posting-doc store: each doc kept once in the data dir by content hash, with its draft spec.

`intake_file()` is the one path every entry point uses (drop, File > Import, `xsc-desktop intake`):
read → store the file → extract → analyze → save the row. A file that cannot be read is still stored,
with its error, so the operator can see what arrived. `apply()` turns a stored draft into a parser and the
lander's integration settings.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from xsc_desktop.intake.extract import (
    _EXTENSION_FORMAT,
    MAX_FILE_BYTES,
    Budget,
    IntakeError,
    extract_bytes,
    read_doc_file,
)
from xsc_desktop.paths import write_private

DOCS_FOLDER = "postingdocs"
log = logging.getLogger(__name__)


@dataclass
class IntakeResult:
    """One posting doc taken in: its stored row, the draft (the analysis object) or the error sentence."""

    doc: object  # models.PostingDoc
    analysis: dict | None
    error: str = ""
    duplicate: bool = False


def doc_folder(data_dir: Path) -> Path:
    """The folder holding the stored posting-doc files."""
    folder = Path(data_dir) / DOCS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keeps_bytes() -> bool:
    """Whether posting docs keep their bytes in the database: on a shared (PostgreSQL) one, so every operator can
    open a doc another took in. A solo SQLite database keeps them as files in the data dir only."""
    from xsc_desktop import storage
    from xsc_desktop.models import database

    return storage.is_postgresql(database)


def local_path(doc_id: int) -> str:
    """Where this computer can open the doc's file: the copy it took in, else one written now from the bytes the
    shared database keeps (into this data dir's posting-doc folder); "" when neither exists."""
    from xsc_desktop.models import PostingDoc
    from xsc_desktop.paths import current_data_dir

    row = (PostingDoc.select(PostingDoc.path, PostingDoc.sha256, PostingDoc.original_name, PostingDoc.format)
           .where(PostingDoc.id == doc_id).first())
    if row is None:
        return ""
    if row.path and Path(row.path).is_file():
        return row.path
    content = PostingDoc.select(PostingDoc.content).where(PostingDoc.id == doc_id).scalar()
    if not content:
        return ""
    folder = doc_folder(current_data_dir()) / "shared" / row.sha256[:16]
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / (Path(row.original_name).name or f"{row.sha256}{_suffix(row.original_name, row.format)}")
    if not target.is_file():
        tmp = target.with_name(target.name + ".part")
        write_private(tmp, bytes(content))
        tmp.replace(target)
    return str(target)


def _suffix(name: str, fmt: str) -> str:
    suffix = Path(name).suffix.lower()
    if fmt and fmt != "unknown":
        return "." + fmt
    if suffix and len(suffix) <= 6 and suffix[1:].isalnum():
        return suffix
    return ".bin"


def intake_file(path: str | Path, data_dir: Path, *, lander_id: int | None = None,
                now: datetime | None = None) -> IntakeResult:
    """Store, extract and analyze one posting doc from disk; never raises for a bad file, only records it."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IntakeError(f"Cannot open {path.name}: {exc.strerror or exc}; check the path and try again.") from exc
    if size > MAX_FILE_BYTES and path.is_file():
        # Refused before reading: a huge file is neither copied nor hashed in full.
        message = (f"{path.name} is {size / 1048576:.0f} MB, over the 50 MB limit for posting docs; "
                   "ask the client for a smaller file.")
        digest = hashlib.sha256(f"oversize:{path.name}:{size}".encode()).hexdigest()
        return _save(digest, path.name, b"", size, data_dir, lander_id, now, error=message, fmt="")
    data = read_doc_file(path)  # refuses folders, devices and pipes; reads at most one byte over the limit
    if len(data) > MAX_FILE_BYTES:  # the file grew after it was measured
        message = f"{path.name} is over the 50 MB limit for posting docs; ask the client for a smaller file."
        digest = hashlib.sha256(f"oversize:{path.name}:{len(data)}".encode()).hexdigest()
        return _save(digest, path.name, b"", len(data), data_dir, lander_id, now, error=message, fmt="")
    return intake_bytes(data, path.name, data_dir, lander_id=lander_id, now=now)


def intake_bytes(data: bytes, name: str, data_dir: Path, *, lander_id: int | None = None,
                 now: datetime | None = None, budget: Budget | None = None) -> IntakeResult:
    """Store, extract and analyze one posting doc held in memory.

    Extraction runs under `budget` (the default `extract.LIMITS`); a limit reached is the doc's error
    sentence, and the file is stored all the same.
    """
    from xsc_desktop.intake.pipeline import analyze

    digest = hashlib.sha256(data).hexdigest()
    error = ""
    analysis = None
    text = ""
    fmt = ""
    try:
        extracted = extract_bytes(data, name, budget=budget)
        fmt = extracted.format
        text = extracted.text
        analysis = analyze(extracted, name)
    except IntakeError as exc:
        error = str(exc)
        fmt = fmt or _EXTENSION_FORMAT.get(Path(name).suffix.lower(), "")
    except Exception:  # an analysis bug must not lose the doc: keep the text, say what to do
        log.exception("analysing posting doc %s failed", name)
        error = f"{name} was read but could not be analysed; enter the fields by hand from its text."
    return _save(digest, name, data, len(data), data_dir, lander_id, now, error=error, fmt=fmt, text=text,
                 analysis=analysis)


def _save(digest: str, name: str, data: bytes, size: int, data_dir: Path, lander_id: int | None,
          now: datetime | None, *, error: str, fmt: str, text: str = "", analysis: dict | None = None) -> IntakeResult:
    from xsc_desktop import activity
    from xsc_desktop.landers import get_lander
    from xsc_desktop.models import PostingDoc, utcnow

    lander = get_lander(lander_id) if lander_id is not None else None
    target = doc_folder(data_dir) / f"{digest}{_suffix(name, fmt)}"
    if data and not target.exists():
        tmp = target.with_suffix(target.suffix + ".part")
        write_private(tmp, data)  # 0600: a posting doc may carry a client's keys
        tmp.replace(target)
    doc = PostingDoc.get_or_none(PostingDoc.sha256 == digest)
    duplicate = doc is not None
    if doc is not None and doc.kind == "summary":  # our own posting summary dropped back in: kept as it is
        return IntakeResult(doc=doc, analysis=None, duplicate=True,
                            error=f"{name} is the posting summary sent to the client, not a posting doc from them; "
                                  "it was not analysed.")
    if doc is None:
        doc = PostingDoc(sha256=digest, original_name=name, received_at=now or utcnow())
    doc.format = fmt
    doc.size = size
    doc.path = str(target) if data else ""
    if data and keeps_bytes():
        doc.content = data
    doc.text = text
    doc.draft = analysis
    doc.error = error
    if lander is not None:
        doc.lander = lander
        doc.campaign = lander.campaign
        doc.client = lander.campaign.client
    doc.save()
    if not duplicate:
        activity.record("posting_doc", doc.id, "received", note=f"{name}{' — ' + error if error else ''}")
    return IntakeResult(doc=doc, analysis=analysis, error=error, duplicate=duplicate)


# ---- findings: what the analysis doubts or had to correct, shown first in the review ------------------------
#
# A draft may carry `findings: [{kind, message, evidence, blocking, resolved, key}]`:
#   kind      "safety" (a safety rule fired: a test value, a negated instruction, a thank-you URL ...),
#             "conflict" (two places in the doc disagree), "doubt" (a guess), "dropped" (a table row left out);
#   message   one sentence for the operator;
#   evidence  {"start", "end"}: character offsets in the doc's text (the stored `PostingDoc.text`), or null;
#   blocking  true when Apply must wait until a person has checked it;
#   resolved  set true by the review when the operator marked it checked;
#   key       optional draft key it is about ("endpoint", "field:3", "static:1", "test").
# Values may carry their own `evidence` the same way: `fields[i].evidence`, `static[i].evidence`,
# `test.evidence`, and `evidence: {"endpoint"|"method"|"format"|"system": {start, end}}` at the top.
FINDING_KINDS = ("safety", "conflict", "doubt", "dropped")
_FINDING_ORDER = {kind: n for n, kind in enumerate(FINDING_KINDS)}


def findings(draft: dict | None) -> list[dict]:
    """The draft's findings, each with every key present, blocking ones first, then by kind (as listed)."""
    out = []
    for raw in (draft or {}).get("findings") or []:
        if not isinstance(raw, dict) or not str(raw.get("message") or "").strip():
            continue
        kind = raw.get("kind") if raw.get("kind") in FINDING_KINDS else "doubt"
        out.append({"kind": kind, "message": str(raw["message"]).strip(), "evidence": span(raw.get("evidence")),
                    "blocking": bool(raw.get("blocking")), "resolved": bool(raw.get("resolved")),
                    "key": str(raw["key"]) if raw.get("key") else None})
    return sorted(out, key=lambda f: (not (f["blocking"] and not f["resolved"]), _FINDING_ORDER[f["kind"]]))


def check_findings(doc) -> list[str]:
    """Headless "I checked it": every finding that holds Apply back is marked checked (the draft remembers it).
    Returns their messages."""
    draft = dict(doc.draft or {})
    items = [dict(f) if isinstance(f, dict) else f for f in draft.get("findings") or []]
    checked = []
    for f in items:
        if isinstance(f, dict) and f.get("blocking") and not f.get("resolved"):
            f["resolved"] = True
            checked.append(str(f.get("message", "")))
    if checked:
        draft["findings"] = items
        save_draft(doc, draft)
    return checked


def unresolved_blocking(draft: dict | None) -> list[dict]:
    """Findings that hold Apply back until a person marks them checked."""
    return [f for f in findings(draft) if f["blocking"] and not f["resolved"]]


def span(evidence: object) -> tuple[int, int] | None:
    """(start, end) of an evidence object {"start", "end"} (a list: its first span), or None when unusable."""
    if isinstance(evidence, list):
        evidence = evidence[0] if evidence else None
    if not isinstance(evidence, dict):
        return None
    try:
        start, end = int(evidence["start"]), int(evidence["end"])
    except (KeyError, TypeError, ValueError):
        return None
    return (start, end) if 0 <= start < end else None


def list_docs(lander_id: int | None = None) -> list[dict]:
    """Stored posting docs, newest first, as plain rows (no text, no secrets)."""
    from xsc_desktop.models import PostingDoc

    columns = [f for f in PostingDoc._meta.sorted_fields if f.name != "content"]  # never every doc's bytes
    query = PostingDoc.select(*columns).order_by(PostingDoc.received_at.desc(), PostingDoc.id.desc())
    if lander_id is not None:
        query = query.where(PostingDoc.lander == lander_id)
    rows = []
    for d in query:
        draft = d.draft or {}
        rows.append({
            "id": d.id, "name": d.original_name, "format": d.format, "received_at": d.received_at,
            "sha256": d.sha256, "lander_id": d.lander_id, "campaign_id": d.campaign_id, "client_id": d.client_id,
            "system": draft.get("system"), "endpoint": draft.get("endpoint"), "fields": len(draft.get("fields") or []),
            "error": d.error, "kind": d.kind,
        })
    return rows


def get_doc(doc_id: int):  # a models.PostingDoc
    """The stored posting doc with that id, or IntakeError."""
    from xsc_desktop.models import PostingDoc

    doc = PostingDoc.get_or_none(PostingDoc.id == doc_id)
    if doc is None:
        raise IntakeError(f"There is no posting doc {doc_id}; drop the file again to store it.")
    return doc


def save_draft(doc, draft: dict) -> None:  # a models.PostingDoc
    """Keep the operator's edits of a draft (review dialog) before applying it."""
    doc.draft = draft
    doc.save()



@dataclass
class ParserSetup:
    """What a draft becomes: a parser spec plus the lander's integration settings and secrets."""

    spec: object  # parsers.spec.ParserSpec
    settings: dict[str, str]
    secrets: dict[str, str]
    missing: list[str]


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _names_a_credential(draft: dict) -> bool:
    """Whether the doc gives (or asks for) a key, token or password: a secret static or an auth header."""
    for item in draft.get("static") or []:
        if item.get("secret") or str(item.get("name", "")).lower() in ("authorization", "x-api-key", "api_key"):
            return True
    return bool(draft.get("auth"))


def build_parser_setup(draft: dict, name: str) -> ParserSetup:
    """Turn a draft (the analysis object) into a parser spec from the detected system's preset.

    Pure: the preset gives the shape (auth, defaults, rules, transforms); the draft gives endpoint,
    method, format, the field mappings, static values (their values go to settings or secrets, so the
    parser stays reusable across landers) and the test switch.
    """
    import re

    from parsers.presets import SYSTEM_ALIASES, load_presets, preset_for_system
    from parsers.spec import (
        SYSTEMS,
        Mapping,
        ResponseRule,
        SpecError,
        StaticField,
        TestMode,
        TransformStep,
        missing_settings,
    )

    system = draft.get("system") or "generic"
    system = SYSTEM_ALIASES.get(system, system)
    fmt = draft.get("format") or "json"
    spec = preset_for_system(system, fmt)
    spec.name = name
    spec.preset = spec.preset or system
    spec.system = system if system in SYSTEMS else "generic"
    spec.method = (draft.get("method") or spec.method or "POST").upper()
    spec.body_format = fmt
    if draft.get("xml_root"):
        spec.xml_root = draft["xml_root"]
    spec.description = f"From posting doc {draft.get('file', '')}".strip()
    settings: dict[str, str] = {}
    secrets: dict[str, str] = {}

    endpoint = draft.get("endpoint") or ""
    preset_url = spec.url
    if endpoint:
        url_settings = _match_url_template(spec.url, endpoint)
        if url_settings is None:
            spec.url = endpoint  # the doc's own address: a client-specific endpoint
            if spec.auth.kind != "none" and _host(endpoint) != _host(preset_url) and not _names_a_credential(draft):
                # The preset's sign-in belongs to the system's API on the preset's host; another host of the same
                # system (its public web forms, say) whose doc names no credential takes none.
                spec.auth.kind, spec.auth.secret, spec.auth.username = "none", "", ""
        else:
            settings.update(url_settings)

    # Transforms per lead field, taken from the presets so they stay one source of truth.
    transforms_for: dict[str, list] = {}
    for other in load_presets().values():
        for m in other.mappings:
            if m.kind == "field" and m.source and m.source not in transforms_for:
                transforms_for[m.source] = m.transforms
    preset_mappings = {m.target.lower(): m for m in spec.mappings}
    mappings = []
    for f in draft.get("fields") or []:
        target = f["name"]
        known = preset_mappings.get(target.lower())
        source = f.get("maps_to") or (known.source if known else "") or target
        transforms = list(known.transforms) if known and known.source == source else [
            TransformStep(t.name, dict(t.args)) for t in transforms_for.get(source, [])]
        note = "" if f.get("maps_to") else "not mapped by the posting doc: reads the lead's custom field of this name"
        mappings.append(Mapping(target=target, source=source, kind="field", transforms=transforms,
                                required=bool(f.get("required")), note=note))
    if mappings:
        spec.mappings = mappings

    statics = []
    preset_static = {s.name.lower(): s for s in spec.static}
    for item in draft.get("static") or []:
        secret = bool(item.get("secret")) or bool(preset_static.get(item["name"].lower()) and
                                                  preset_static[item["name"].lower()].secret)
        location = item.get("location") or "body"
        if location == "header" and item["name"].lower() == "authorization" and spec.auth.kind == "bearer":
            secrets[spec.auth.secret or "token"] = re.sub(r"^bearer\s+", "", item["value"], flags=re.I)
            continue
        statics.append(StaticField(name=item["name"], value="", location=location, secret=secret))
        (secrets if secret else settings)[item["name"]] = str(item.get("value", ""))
    # Preset static fields the doc did not mention stay, so the queue can say what is still missing.
    named = {s.name.lower() for s in statics}
    statics += [s for s in spec.static if s.name.lower() not in named]
    spec.static = statics
    if mappings:
        # The doc's own names replace the preset's: a field the system insists on keeps that rule under the doc's
        # name for the same lead field ("Phone" where the preset says "Primary_Phone"), else it is not required.
        sent = {m.target.lower(): m.target for m in mappings} | {st.name.lower(): st.name for st in statics}
        by_source = {m.source: m.target for m in mappings}
        required = []
        for req_name in spec.required_fields:
            known = preset_mappings.get(req_name.lower())
            target = sent.get(req_name.lower()) or (by_source.get(known.source) if known else None)
            if target and target not in required:
                required.append(target)
        spec.required_fields = required

    test = draft.get("test")
    if test:
        spec.test = TestMode(kind="field", field=test["name"], value=str(test["value"]))
    rules = []
    for raw in draft.get("response_rules") or []:
        try:
            rules.append(ResponseRule.from_dict(raw))
        except SpecError:
            continue
    spec.rules = rules + [r for r in spec.rules if r not in rules]
    missing = missing_settings(spec, settings, secrets)
    return ParserSetup(spec=spec, settings=settings, secrets=secrets, missing=missing)


def _match_url_template(template: str, endpoint: str) -> dict[str, str] | None:
    """`https://{firm}.leaddocket.com/x/{form_id}` against the doc's URL → {"firm": ..., "form_id": ...}."""
    import re

    if not template:
        return None
    names = re.findall(r"\{(\w+)\}", template)
    if not names:
        return {} if template.rstrip("/") == endpoint.rstrip("/") else None
    pattern = re.escape(template)
    for n in names:
        pattern = pattern.replace(re.escape("{" + n + "}"), f"(?P<{n}>.+?)", 1)
    # A template that ends in a setting ("{endpoint}") takes the doc's URL whole, trailing slash and all.
    m = re.fullmatch(pattern if template.endswith("}") else pattern + "/?", endpoint)
    return dict(m.groupdict()) if m else None


def apply(doc, lander_id: int | None = None, *, now: datetime | None = None) -> dict:  # PostingDoc
    """Create or update the parser from the doc's draft and wire the lander's integration to it.

    Goes through the parser store (a new version only when the spec changed) and the integration service
    (settings merged, secrets to the secret store). Returns a summary naming, never showing, what was set:
    `missing` lists the parser settings still empty, `lander_missing` everything the queue would still ask for.
    """
    from parsers.spec import ParserSpec
    from xsc_desktop import activity, integrations, parsers_store
    from xsc_desktop.landers import get_lander, set_status
    from xsc_desktop.models import Parser, database

    if doc.error or not doc.draft:
        raise IntakeError(f"{doc.original_name} has no draft to apply ({doc.error or 'nothing was read'}).")
    held = unresolved_blocking(doc.draft)
    if held:
        raise IntakeError(f"{doc.original_name} was not applied: {held[0]['message'].rstrip('.')} — check it in the "
                          "review (window) and mark it checked, or fix the value, then apply again.")
    lander_id = lander_id if lander_id is not None else doc.lander_id
    if lander_id is None:
        raise IntakeError("Pick the lander this posting doc is for before applying it.")
    lander = get_lander(lander_id)
    client = lander.campaign.client
    draft = doc.draft
    name = f"{client.name} ({draft.get('system') or 'generic'})"
    setup = build_parser_setup(draft, name)
    ParserSpec.from_dict(setup.spec.to_dict())  # the same shape check an import does
    with database.atomic():
        existed = Parser.get_or_none(Parser.name == name) is not None
        summary = parsers_store.save_parser(setup.spec, note=f"from posting doc {doc.original_name}")
        integration = integrations.set_integration(lander, parser=name, settings=setup.settings,
                                                   secrets=setup.secrets)
        if doc.lander_id != lander.id:
            doc.lander = lander
            doc.campaign = lander.campaign
            doc.client = client
            doc.save()
        # Never the values: the note names what was set, so secrets stay out of the activity log.
        activity.record("lander", lander.id, "posting doc applied",
                        note=f"{doc.original_name} → parser {name} v{summary.version}; settings "
                             f"{', '.join(setup.settings) or 'none'}; secrets {', '.join(setup.secrets) or 'none'}")
        lander_missing = integrations.missing_info(lander)
        # A lander waiting for this information is ready again once nothing is missing.
        if not lander_missing and get_lander(lander.id).status == "needs_info":
            set_status(lander.id, "ready", note=f"posting doc {doc.original_name} applied")
    missing = setup.missing
    if missing:
        state = f"still missing: {', '.join(missing)}"
    elif lander_missing:
        state = f"the lander still needs: {', '.join(lander_missing)}"
    else:
        state = "complete for the next gather"
    text = (f"parser {name} v{summary.version} ({'updated' if existed else 'created'}), integration "
            f"{integration.id} for lander {lander.id}; {state}")
    return {"parser_id": Parser.get(Parser.name == name).id, "parser": name, "version": summary.version,
            "integration_id": integration.id, "settings": sorted(setup.settings), "secrets": sorted(setup.secrets),
            "missing": missing, "lander_missing": lander_missing, "summary": text}
