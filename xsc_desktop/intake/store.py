"""The posting-doc store: each doc kept once in the data dir by content hash, with its draft spec.

`intake_file()` is the one path every entry point uses (drop, File > Import, `xsc-desktop intake`):
read → store the file → extract → analyze → save the row. A file that cannot be read is still stored,
with its error, so the operator can see what arrived. `apply()` turns a stored draft into a parser and the
lander's integration settings.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from xsc_desktop.intake.extract import _EXTENSION_FORMAT, MAX_FILE_BYTES, IntakeError, extract_bytes

DOCS_FOLDER = "postingdocs"


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
        if path.is_dir():
            raise IntakeError(f"{path.name} is a folder, not a file; drop the posting doc itself.")
    except OSError as exc:
        raise IntakeError(f"Cannot open {path.name}: {exc.strerror or exc}; check the path and try again.") from exc
    if size > MAX_FILE_BYTES:
        # Refused before reading: a huge file is neither copied nor hashed in full.
        message = (f"{path.name} is {size / 1048576:.0f} MB, over the 50 MB limit for posting docs; "
                   "ask the client for a smaller file.")
        digest = hashlib.sha256(f"oversize:{path.name}:{size}".encode()).hexdigest()
        return _save(digest, path.name, b"", size, data_dir, lander_id, now, error=message, fmt="")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IntakeError(f"Cannot read {path.name}: {exc.strerror or exc}; check the file and try again.") from exc
    return intake_bytes(data, path.name, data_dir, lander_id=lander_id, now=now)


def intake_bytes(data: bytes, name: str, data_dir: Path, *, lander_id: int | None = None,
                 now: datetime | None = None) -> IntakeResult:
    """Store, extract and analyze one posting doc held in memory."""
    from xsc_desktop.intake.analyze import analyze

    digest = hashlib.sha256(data).hexdigest()
    error = ""
    analysis = None
    text = ""
    fmt = ""
    try:
        extracted = extract_bytes(data, name)
        fmt = extracted.format
        text = extracted.text
        analysis = analyze(extracted, name)
    except IntakeError as exc:
        error = str(exc)
        fmt = _EXTENSION_FORMAT.get(Path(name).suffix.lower(), "")
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
        tmp.write_bytes(data)
        tmp.replace(target)
    doc = PostingDoc.get_or_none(PostingDoc.sha256 == digest)
    duplicate = doc is not None
    if doc is None:
        doc = PostingDoc(sha256=digest, original_name=name, received_at=now or utcnow())
    doc.format = fmt
    doc.size = size
    doc.path = str(target) if data else ""
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


def list_docs(lander_id: int | None = None) -> list[dict]:
    """Stored posting docs, newest first, as plain rows (no text, no secrets)."""
    from xsc_desktop.models import PostingDoc

    query = PostingDoc.select().order_by(PostingDoc.received_at.desc(), PostingDoc.id.desc())
    if lander_id is not None:
        query = query.where(PostingDoc.lander == lander_id)
    rows = []
    for d in query:
        draft = d.draft or {}
        rows.append({
            "id": d.id, "name": d.original_name, "format": d.format, "received_at": d.received_at,
            "sha256": d.sha256, "lander_id": d.lander_id, "campaign_id": d.campaign_id, "client_id": d.client_id,
            "system": draft.get("system"), "endpoint": draft.get("endpoint"), "fields": len(draft.get("fields") or []),
            "error": d.error,
        })
    return rows


def copy_out(doc, folder: Path) -> Path:  # noqa: ANN001 - a models.PostingDoc
    """Copy a stored doc back out under its original name (for "Open original")."""
    target = Path(folder) / doc.original_name
    shutil.copyfile(doc.path, target)
    return target


def apply(doc, lander_id: int) -> dict:  # noqa: ANN001 - a models.PostingDoc
    """Turn the doc's draft into a parser and the lander's integration; filled in below."""
    raise IntakeError("Applying a draft is not available yet; set up the parser by hand.")
