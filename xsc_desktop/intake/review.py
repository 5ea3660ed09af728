"""Reviewing a posting doc before it becomes a parser: what the review shows, and applying the edited draft.

`read_for_review(path, ...)` takes a file in through `store.intake_file` and returns a `Review`: the doc's
text with secret values masked, the draft, and where each extracted value sits in the text (`Mark`s), so
the window only has to build widgets. `apply_reviewed(doc_id, draft, lander_id)` saves the operator's
edited draft on the doc and hands it to `store.apply`. `docs_overview()` lists the stored docs with their
client and lander names and a state. No Qt here: the CLI and tests use the same functions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from parsers.spec import BODY_FORMATS, LOCATIONS, SYSTEMS
from xsc_desktop.events import Topic

FIELD_TYPES = ("string", "number", "boolean", "date", "datetime", "email", "phone", "state", "zip", "choice", "url")

# Words a doc uses for each body format, for finding the format in the text.
_FORMAT_WORDS = {
    "json": r"JSON|application/json",
    "form": r"x-www-form-urlencoded|form[- ]?(?:data|post|encoded)?",
    "xml": r"XML|text/xml|application/xml",
    "query": r"query[- ]?string|GET",
}

STATE_UNREADABLE = "unreadable"
STATE_APPLIED = "applied"
STATE_TO_REVIEW = "to_review"
STATE_SUMMARY = "summary"  # the posting summary sent to the client: opened as a file, never reviewed
STATE_LABELS = {STATE_UNREADABLE: "Unreadable", STATE_APPLIED: "Applied", STATE_TO_REVIEW: "To review",
                STATE_SUMMARY: "Sent to client"}


@dataclass(frozen=True)
class Mark:
    """One extracted value found in the doc's text: [start, end) and what it is.

    `kind` is endpoint, method, format, field, example, static, test; `key` names the draft item it belongs
    to ("endpoint", "method", "format", "field:3", "static:1", "test"), so a click on a draft value can
    find its place in the text.
    """

    start: int
    end: int
    kind: str
    key: str


@dataclass
class Review:
    """Everything the review dialog shows for one posting doc."""

    doc_id: int
    name: str
    format: str
    received_at: datetime | None
    text: str  # secret values replaced by bullets of the same length, so marks still line up
    draft: dict[str, Any] | None
    lander_id: int | None
    error: str = ""
    duplicate: bool = False
    path: str = ""  # the stored copy ("" when the file was refused before reading)
    marks: list[Mark] = field(default_factory=list)
    landers: list[tuple[int, str]] = field(default_factory=list)  # (id, "client / campaign / lander")


@dataclass
class DocRow:
    """One stored posting doc as the lists show it (no text, no secrets)."""

    id: int
    name: str
    received_at: datetime | None
    format: str
    client: str
    lander: str
    lander_id: int | None
    system: str
    state: str
    error: str
    unmapped: int = 0
    path: str = ""  # the stored file (a posting summary opens it)

    @property
    def state_text(self) -> str:
        """The state in the operators' words; an unreadable doc shows its one sentence."""
        if self.state == STATE_UNREADABLE:
            return f"Unreadable: {self.error}"
        if self.state == STATE_TO_REVIEW and self.unmapped:
            return f"To review ({self.unmapped} unmapped)"
        return STATE_LABELS.get(self.state, self.state)


# ---- locating extracted values in the text ---------------------------------------------------------------------
def secret_values(draft: dict | None) -> list[str]:
    """The secret values of a draft (static values flagged secret, bearer tokens), longest first."""
    values = []
    for item in (draft or {}).get("static") or []:
        value = str(item.get("value") or "")
        if not value:
            continue
        if item.get("secret"):
            values.append(value)
            token = re.sub(r"^bearer\s+", "", value, flags=re.I)
            if token != value:
                values.append(token)
    return sorted(set(v for v in values if len(v) >= 3), key=len, reverse=True)


def mask_text(text: str, draft: dict | None) -> str:
    """The text with every secret value replaced by bullets of the same length (positions stay put)."""
    for value in secret_values(draft):
        text = text.replace(value, "•" * len(value))
    return text


def _word_pattern(word: str, flags: int = 0) -> re.Pattern:
    # Word edges only where the word itself starts/ends with a word character ("X-Api-Key", "lp_test").
    left = r"(?<![\w.])" if word[0].isalnum() or word[0] == "_" else ""
    right = r"(?![\w])" if word[-1].isalnum() or word[-1] == "_" else ""
    return re.compile(left + re.escape(word) + right, flags)


def _find_word(text: str, word: str, start: int = 0, flags: int = 0) -> re.Match | None:
    return _word_pattern(word, flags).search(text, start) if word else None


# What may stand before a name that opens its own line: indentation, bullets, quotes, pipes, numbering.
_LINE_OPENING = re.compile(r"[\s\-*•\"'|>#\d.)]*")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _occurrences(haystack: str, word: str, limit: int = 50) -> Iterator[int]:
    """Offsets of `word` in `haystack` standing as a word of its own (str.find, not a regex: a long doc with
    hundreds of fields is searched again on every edit)."""
    n, size = len(word), len(haystack)
    check_left, check_right = _is_word_char(word[0]), _is_word_char(word[-1])
    found = tries = 0
    at = haystack.find(word)
    while at >= 0 and found < limit and tries < 5000:
        tries += 1
        before = haystack[at - 1] if at else ""
        after = haystack[at + n] if at + n < size else ""
        if not (check_left and before and (_is_word_char(before) or before == ".")) and \
                not (check_right and after and _is_word_char(after)):
            found += 1
            yield at
        at = haystack.find(word, at + 1)


class _Searchable:
    """The text once, with its lower-case twin for case-blind searches (when lowering keeps every offset)."""

    def __init__(self, text: str) -> None:
        self.text = text
        lowered = text.lower()
        self.lower = lowered if len(lowered) == len(text) else None

    def line_opening(self, word: str, case_blind: bool = False) -> tuple[int, int] | None:
        """The word where it opens a line (a table row, a list item, a JSON key), else its first appearance: the
        first appearance is often a column heading or a sentence naming several fields."""
        if case_blind and self.lower is None:
            return None
        haystack, needle = (self.lower, word.lower()) if case_blind else (self.text, word)
        first = None
        for at in _occurrences(haystack, needle):
            if first is None:
                first = at
            line_start = self.text.rfind("\n", 0, at) + 1
            if _LINE_OPENING.fullmatch(self.text, line_start, at):
                return at, at + len(word)
        return (first, first + len(word)) if first is not None else None

    def name(self, name: str) -> tuple[int, int] | None:
        """A field name as the doc writes it: exact first, then case-blind, then its last dotted part."""
        if not name:
            return None
        found = self.line_opening(name) or self.line_opening(name, case_blind=True)
        if found is None and "." in name:
            found = self.line_opening(name.rsplit(".", 1)[1])
        return found


def locate(text: str, draft: dict | None) -> list[Mark]:
    """Where the draft's endpoint, method, format, fields (and their examples), static values and test switch
    appear in the text; values not found are simply not marked."""
    if not draft or not text:
        return []
    marks: list[Mark] = []
    endpoint = draft.get("endpoint") or ""
    anchor = 0
    if endpoint:
        at = text.find(endpoint)
        if at < 0:
            at = text.find(endpoint.split("?", 1)[0])
            length = len(endpoint.split("?", 1)[0])
        else:
            length = len(endpoint)
        if at >= 0:
            marks.append(Mark(at, at + length, "endpoint", "endpoint"))
            anchor = at
    method = draft.get("method") or ""
    if method:
        # The method stated after the endpoint (where docs put it), else anywhere.
        found = _find_word(text, method, anchor) or _find_word(text, method)
        if found:
            marks.append(Mark(found.start(), found.end(), "method", "method"))
    fmt = draft.get("format") or ""
    if fmt in _FORMAT_WORDS:
        found = re.compile(r"(?<!\w)(?:" + _FORMAT_WORDS[fmt] + r")(?!\w)", re.I).search(text, anchor) or \
            re.compile(r"(?<!\w)(?:" + _FORMAT_WORDS[fmt] + r")(?!\w)", re.I).search(text)
        if found:
            marks.append(Mark(found.start(), found.end(), "format", "format"))
    searchable = _Searchable(text)
    for i, f in enumerate(draft.get("fields") or []):
        found = searchable.name(str(f.get("name") or ""))
        if not found:
            continue
        start, end = found
        marks.append(Mark(start, end, "field", f"field:{i}"))
        example = str(f.get("example") or "")
        if len(example) >= 2:
            # The example on the same line (a table row) or shortly after (a sample payload).
            line_end = text.find("\n", end)
            window_end = len(text) if line_end < 0 else min(len(text), max(line_end, end + 200))
            at = text.find(example, end, window_end)
            if at >= 0:
                marks.append(Mark(at, at + len(example), "example", f"field:{i}"))
    for i, s in enumerate(draft.get("static") or []):
        name = str(s.get("name") or "")
        found = searchable.name(name)
        if found:
            marks.append(Mark(found[0], found[1], "static", f"static:{i}"))
        value = str(s.get("value") or "")
        if s.get("secret"):
            value = "•" * len(value)  # the text shown has its secrets masked
            bare = re.sub(r"^bearer\s+", "", str(s.get("value") or ""), flags=re.I)
            if bare and bare != s.get("value") and "•" * len(value) not in text:
                value = "•" * len(bare)
        if len(value) >= 2:
            at = text.find(value, found[1] if found else 0)
            if at < 0:
                at = text.find(value)
            if at >= 0:
                marks.append(Mark(at, at + len(value), "static", f"static:{i}"))
    test = draft.get("test")
    if test and test.get("name"):
        found = _find_word(text, str(test["name"]))
        if found:
            marks.append(Mark(found.start(), found.end(), "test", "test"))
    marks.sort(key=lambda m: (m.start, m.end))
    return marks


def unmapped_fields(draft: dict | None) -> list[str]:
    """Names of the draft's fields with no lead field to fill them."""
    return [str(f.get("name")) for f in (draft or {}).get("fields") or [] if not f.get("maps_to")]


# ---- taking a doc in for review --------------------------------------------------------------------------------
def lander_choices() -> list[tuple[int, str]]:
    """Every lander not archived as (id, "client / campaign / lander"), sorted by that label."""
    from xsc_desktop.models import Campaign, Client, Lander

    rows = (Lander.select(Lander.id, Client.name, Campaign.name, Lander.name)
            .join(Campaign).join(Client).where(Lander.status != "archived").tuples())
    return sorted(((i, f"{c} / {p} / {n}") for i, c, p, n in rows), key=lambda r: r[1].lower())


def review_of(doc, *, duplicate: bool = False) -> Review:  # a models.PostingDoc
    """The Review of a stored doc (its saved draft, masked text and marks)."""
    from xsc_desktop.intake.store import local_path

    draft = doc.draft if isinstance(doc.draft, dict) else None
    text = mask_text(doc.text or "", draft)
    return Review(doc_id=doc.id, name=doc.original_name, format=doc.format or "", received_at=doc.received_at,
                  text=text, draft=draft, lander_id=doc.lander_id, error=doc.error or "", duplicate=duplicate,
                  path=local_path(doc.id), marks=locate(text, draft), landers=lander_choices())


def read_for_review(path: str | Path, data_dir: Path, *, lander_id: int | None = None,
                    now: datetime | None = None) -> Review:
    """Take one file in (stored even when unreadable) and return what the review shows.

    A file that cannot even be opened raises `IntakeError` (nothing to store); every other problem comes back
    as `Review.error`, one sentence.
    """
    from xsc_desktop import events
    from xsc_desktop.intake.extract import MAX_FILE_BYTES
    from xsc_desktop.intake.store import intake_bytes, intake_file

    path = Path(path)
    try:
        small = path.is_file() and path.stat().st_size <= MAX_FILE_BYTES
    except OSError:
        small = False
    if not small:
        result = intake_file(path, data_dir, lander_id=lander_id, now=now)  # refusals and oversize files
    else:
        data = path.read_bytes()
        reviewed = _reviewed_draft(hashlib.sha256(data).hexdigest())
        result = intake_bytes(data, path.name, data_dir, lander_id=lander_id, now=now)
        if reviewed is not None and not result.error:
            # The same file again: the operator's reviewed draft stays, not a fresh analysis over it.
            result.doc.draft = reviewed
            result.doc.save()
    review = review_of(result.doc, duplicate=result.duplicate)
    events.publish(Topic.POSTING_DOC_CHANGED, doc_id=result.doc.id, lander_id=result.doc.lander_id)
    return review


def _reviewed_draft(sha256: str) -> dict[str, Any] | None:
    """The draft of an already stored doc when an operator applied it (so it holds their edits), else None."""
    from xsc_desktop.models import PostingDoc

    row = PostingDoc.select(PostingDoc.draft).where(PostingDoc.sha256 == sha256).first()
    draft = row.draft if row is not None else None
    return draft if isinstance(draft, dict) and draft.get("applied") else None


def load_review(doc_id: int) -> Review:
    """The Review of a stored doc by id (opening it again from a list)."""
    from xsc_desktop.errors import UserError
    from xsc_desktop.models import PostingDoc

    doc = PostingDoc.get_or_none(PostingDoc.id == doc_id)
    if doc is None:
        raise UserError(f"Posting doc {doc_id} is no longer stored; drop the file again.")
    return review_of(doc)


def clean_draft(draft: dict[str, Any]) -> dict[str, Any]:
    """The edited draft tidied for saving: names trimmed, empty rows dropped, enums checked."""
    out = dict(draft)
    out["endpoint"] = str(out.get("endpoint") or "").strip()
    out["method"] = str(out.get("method") or "POST").upper()
    out["format"] = out.get("format") if out.get("format") in BODY_FORMATS else "json"
    out["system"] = out.get("system") if out.get("system") in SYSTEMS else "generic"
    out["fields"] = [{**f, "name": str(f.get("name") or "").strip(), "maps_to": f.get("maps_to") or None}
                     for f in out.get("fields") or [] if str(f.get("name") or "").strip()]
    out["static"] = [{**s, "name": str(s.get("name") or "").strip(), "value": str(s.get("value") or ""),
                      "location": s.get("location") if s.get("location") in LOCATIONS else "body",
                      "secret": bool(s.get("secret"))}
                     for s in out.get("static") or [] if str(s.get("name") or "").strip()]
    test = out.get("test")
    out["test"] = ({"name": str(test.get("name")).strip(), "value": str(test.get("value") or "")}
                   if test and str(test.get("name") or "").strip() else None)
    return out


def apply_reviewed(doc_id: int, draft: dict[str, Any], lander_id: int | None, *,
                   now: datetime | None = None) -> dict[str, Any]:
    """Save the reviewed draft on the doc, then create/update the parser and the lander's integration from it.

    Returns `store.apply`'s summary (secrets named, never shown). The doc remembers it was applied.
    """
    from xsc_desktop import events
    from xsc_desktop.errors import UserError
    from xsc_desktop.intake.store import apply
    from xsc_desktop.models import PostingDoc, database, utcnow

    doc = PostingDoc.get_or_none(PostingDoc.id == doc_id)
    if doc is None:
        raise UserError(f"Posting doc {doc_id} is no longer stored; drop the file again.")
    reviewed = clean_draft(draft)
    reviewed.pop("applied", None)
    stamp = now or utcnow()
    with database.atomic():
        doc.draft = reviewed
        doc.save()
        summary = apply(doc, lander_id, now=stamp)
        doc = PostingDoc.get_by_id(doc_id)
        doc.draft = {**reviewed, "applied": {"at": stamp.isoformat(timespec="seconds"), "parser": summary["parser"],
                                             "version": summary["version"], "lander_id": lander_id or doc.lander_id}}
        doc.save()
    events.publish(Topic.LANDER_CHANGED, lander_id=doc.lander_id)
    events.publish(Topic.POSTING_DOC_CHANGED, doc_id=doc.id, lander_id=doc.lander_id)
    return summary


# ---- the lists -------------------------------------------------------------------------------------------------
def docs_overview(lander_id: int | None = None) -> list[DocRow]:
    """Stored posting docs, newest first, with client and lander names and a state (no text is read)."""
    from peewee import JOIN

    from xsc_desktop.models import Client, Lander, PostingDoc

    query = (PostingDoc.select(PostingDoc.id, PostingDoc.original_name, PostingDoc.received_at, PostingDoc.format,
                               PostingDoc.error, PostingDoc.draft, PostingDoc.lander, Client.name, Lander.name,
                               PostingDoc.kind, PostingDoc.path)
             .join(Client, JOIN.LEFT_OUTER, on=(PostingDoc.client == Client.id))
             .switch(PostingDoc).join(Lander, JOIN.LEFT_OUTER, on=(PostingDoc.lander == Lander.id))
             .order_by(PostingDoc.received_at.desc(), PostingDoc.id.desc()))
    if lander_id is not None:
        query = query.where(PostingDoc.lander == lander_id)
    rows = []
    for doc_id, name, received_at, fmt, error, draft, doc_lander, client, lander, kind, path in query.tuples():
        draft = draft if isinstance(draft, dict) else {}
        if kind == "summary":
            state = STATE_SUMMARY
        elif error:
            state = STATE_UNREADABLE
        elif draft.get("applied"):
            state = STATE_APPLIED
        else:
            state = STATE_TO_REVIEW
        rows.append(DocRow(id=doc_id, name=name, received_at=received_at, format=fmt or "", client=client or "",
                           lander=lander or "", lander_id=doc_lander, system=draft.get("system") or "", state=state,
                           error=error or "", unmapped=len(unmapped_fields(draft)), path=path or ""))
    return rows
