"""Posting-doc text extraction: any common file format → plain text plus tables.

`extract_file(path)` and `extract_bytes(data, name)` detect the format from the content (magic bytes,
ZIP members, sniffing), not only from the extension, and return an `Extracted`. Everything that goes
wrong with the file itself raises `IntakeError` with one plain sentence; softer doubts become warnings.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
import re
import stat
import time
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from xsc_desktop.errors import UserError

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
# A DOCX/XLSX whose members unpack beyond this is treated as a ZIP bomb and never opened.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_PACK_RATIO = 200
# An e-mail's attachments are processed in turn, but an attachment that is itself an e-mail
# only this many levels deep.
MAX_NESTING = 3
# The longest e-mail header read (a long thread's References header stays far below it).
MAX_HEADER_CHARS = 64 * 1024


FORMATS = ("pdf", "docx", "xlsx", "odt", "ods", "csv", "html", "eml", "txt", "md", "json")
_EXTENSION_FORMAT = {
    ".pdf": "pdf", ".docx": "docx", ".docm": "docx", ".xlsx": "xlsx", ".xlsm": "xlsx", ".csv": "csv",
    ".tsv": "csv", ".htm": "html", ".html": "html", ".xhtml": "html", ".eml": "eml", ".msg": "eml",
    ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".json": "json", ".odt": "odt", ".ods": "ods",
}


class IntakeError(UserError):
    """A posting doc that cannot be read; the message is one sentence an operator can act on."""


class BudgetExceeded(IntakeError):
    """Reading a posting doc would cost more than `Limits` allows; the sentence names the file and the limit."""


@dataclass(frozen=True)
class Limits:
    """What reading one posting doc may cost, attachments included; each is checked while the doc is read."""

    seconds: float = 8.0  # wall time for the whole doc
    unpacked_mb: int = 32  # XML unpacked from DOCX/XLSX/ODF members (their text, tables and sheets)
    text_mb: int = 20  # text held in memory
    cells: int = 100_000  # table cells (XLSX, CSV, DOCX, ODF, HTML)
    rows: int = 20_000  # rows of one sheet that hold anything
    columns: int = 200  # columns of a sheet that are read (cells further right are ignored)
    pages: int = 500  # PDF pages
    elements: int = 300_000  # HTML elements
    memory_mb: int = 512  # growth of the process's resident memory while the doc is read (where the OS tells it)


LIMITS = Limits()


class Budget:
    """The running cost of reading one posting doc (and its attachments) against `Limits`.

    Readers call the `check_*`/`add_*` methods as they go, so a hostile file stops at the limit instead
    of after it has been read whole. `clock` is injectable so tests can run the time limit without waiting.
    """

    def __init__(self, limits: Limits = LIMITS, clock: Callable[[], float] = time.monotonic,
                 memory: Callable[[], int | None] | None = None) -> None:
        self.limits = limits
        self.clock = clock
        self.memory = memory or _resident_bytes
        self.deadline = clock() + limits.seconds
        self.memory_start = self.memory()
        self.unpacked = 0
        self.text = 0
        self.cells = 0
        self.elements = 0

    def check_time(self, name: str) -> None:
        """Checks the wall time, and the memory grown since reading began."""
        if self.clock() > self.deadline:
            raise BudgetExceeded(
                f"Reading {_label(name)} was stopped at the {self.limits.seconds:g} s limit for one posting doc; "
                "ask the client for a simpler copy or for the posting instructions as text."
            )
        now = self.memory()
        if now is not None and self.memory_start is not None and \
                now - self.memory_start > self.limits.memory_mb * 1048576:
            raise BudgetExceeded(
                f"Reading {_label(name)} was stopped at the {self.limits.memory_mb} MB memory limit for one posting "
                "doc; ask the client for a simpler copy or for the posting instructions as text."
            )

    def add_unpacked(self, size: int, name: str) -> None:
        self.unpacked += size
        if self.unpacked > self.limits.unpacked_mb * 1048576:
            raise BudgetExceeded(
                f"{_label(name)} unpacks to more than {self.limits.unpacked_mb} MB of text, the limit for one "
                "posting doc; it was not read — ask the client for a normal copy."
            )

    def add_text(self, size: int, name: str) -> None:
        self.text += size
        if self.text > self.limits.text_mb * 1048576:
            raise BudgetExceeded(
                f"{_label(name)} holds more than {self.limits.text_mb} MB of text, the limit for one posting doc; "
                "ask the client for the posting instructions alone."
            )

    def add_cells(self, count: int, name: str) -> None:
        self.cells += count
        if self.cells > self.limits.cells:
            raise BudgetExceeded(
                f"{_label(name)} has more than {self.limits.cells:,} table cells, the limit for one posting doc; "
                "ask the client for the posting instructions alone."
            )
        if count and self.cells % 2000 < count:
            self.check_time(name)

    def check_rows(self, row: int, name: str) -> None:
        if row > self.limits.rows:
            raise BudgetExceeded(
                f"{_label(name)} has a sheet with more than {self.limits.rows:,} rows, the limit for one posting doc; "
                "ask the client for the posting instructions alone."
            )

    def check_pages(self, pages: int, name: str) -> None:
        if pages > self.limits.pages:
            raise BudgetExceeded(
                f"{_label(name)} has {pages:,} pages, over the {self.limits.pages} page limit for one posting doc; "
                "ask the client for the posting instructions alone."
            )

    def add_elements(self, count: int, name: str) -> None:
        self.elements += count
        if self.elements > self.limits.elements:
            raise BudgetExceeded(
                f"{_label(name)} has more than {self.limits.elements:,} HTML elements, the limit for one posting doc; "
                "ask the client for the posting instructions alone."
            )
        if self.elements % 5000 < count:
            self.check_time(name)


def _resident_bytes() -> int | None:
    """This process's resident memory, where the system tells it cheaply (Linux); else None (not checked)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


try:
    _PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):  # not a POSIX system
    _PAGE_SIZE = 4096


def _label(name: str) -> str:
    return name or "The file"


@dataclass
class FormInput:
    """One named control of an HTML form found in a posting doc."""

    name: str
    kind: str  # the input type: text, hidden, email, select, textarea ...
    value: str = ""
    required: bool = False
    label: str = ""


@dataclass
class HtmlForm:
    """An HTML `<form>`: where it posts and its controls."""

    action: str
    method: str
    enctype: str
    inputs: list[FormInput] = field(default_factory=list)


@dataclass
class Extracted:
    """What a posting doc says: its text, its tables (rows of cells), the detected format and warnings."""

    text: str
    tables: list[list[list[str]]] = field(default_factory=list)
    format: str = "txt"
    warnings: list[str] = field(default_factory=list)
    forms: list[HtmlForm] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- entry points


def extract_file(path: str | Path, *, budget: Budget | None = None) -> Extracted:
    """Read a posting doc from disk and extract it; files over 50 MB are refused."""
    path = Path(path)
    data = read_doc_file(path)
    if len(data) > MAX_FILE_BYTES:
        raise IntakeError(
            f"{path.name} is over the 50 MB limit for posting docs; ask the client for a smaller file."
        )
    return extract_bytes(data, path.name, budget=budget)


def read_doc_file(path: Path) -> bytes:
    """The bytes of a posting doc on disk, at most one byte over the 50 MB limit (so the caller can refuse it).

    Only regular files are read: a device (`/dev/zero`), a pipe or a socket never ends or never answers.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise IntakeError(f"Cannot open {path.name}: {exc.strerror or exc}; check the path and try again.") from exc
    if stat.S_ISDIR(info.st_mode):
        raise IntakeError(f"{path.name} is a folder, not a file; drop the posting doc itself.")
    if not stat.S_ISREG(info.st_mode):
        raise IntakeError(f"{path.name} is not a regular file (a device or pipe); save the posting doc to a file "
                          "and take in that file.")
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise IntakeError(f"Cannot read {path.name}: {exc.strerror or exc}; check the file and try again.") from exc


def extract_bytes(data: bytes, name: str = "", _depth: int = 0, *, budget: Budget | None = None) -> Extracted:
    """Extract a posting doc held in memory; `name` only helps when the content is ambiguous.

    `budget` (a fresh `Budget()` when not given) bounds time, unpacked size, text, cells, pages and elements;
    an e-mail's attachments share the e-mail's budget.
    """
    budget = budget or Budget()
    if len(data) > MAX_FILE_BYTES:
        raise IntakeError(f"{name or 'The file'} is over the 50 MB limit for posting docs; ask for a smaller file.")
    if not data.strip():
        raise IntakeError(f"{name or 'The file'} is empty; ask the client to send the posting doc again.")
    budget.check_time(name)
    fmt = detect_format(data, name)
    reader = _READERS[fmt]
    try:
        with warnings.catch_warnings():
            # Readers warn about files they repair; the operator only needs the outcome.
            warnings.simplefilter("ignore")
            result = reader(data, name, budget, _depth) if fmt == "eml" else reader(data, name, budget)
    except IntakeError:
        raise
    except (MemoryError, RecursionError) as exc:
        raise IntakeError(f"{name or 'The file'} is too complex to read; ask the client for a simpler copy.") from exc
    except Exception as exc:  # a damaged file can break a reader in ways no list of exceptions covers
        log.warning("reading %s failed", name, exc_info=True)
        raise IntakeError(
            f"{name or 'The file'} is damaged and cannot be read as {fmt.upper()}; ask the client to send it again."
        ) from exc
    result.format = fmt
    # Windows and mail line ends ("\r\n") would leave a "\r" on every line the analysis reads.
    result.text = result.text.replace("\r\n", "\n").replace("\r", "\n")
    claimed = _EXTENSION_FORMAT.get(Path(name).suffix.lower()) if name else None
    if claimed and claimed != fmt and {claimed, fmt} not in ({"txt", "md"}, {"txt", "csv"}, {"md", "csv"}):
        result.warnings.insert(0, f"{name} is named as {claimed.upper()} but holds {fmt.upper()}; read it as {fmt.upper()}.")
    return result


def detect_format(data: bytes, name: str = "") -> str:
    """The posting-doc format of `data`, judged by content first and by the file name only to break ties."""
    ext = _EXTENSION_FORMAT.get(Path(name).suffix.lower()) if name else None
    head = data[:2048]
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(data, name)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise IntakeError(
            f"{name or 'The file'} is an old binary Word/Excel/Outlook file; save it as DOCX, XLSX or EML and drop it again."
        )
    if head.startswith(b"{\\rtf"):
        return "txt"
    if head[:4] in (b"\x89PNG", b"GIF8") or head[:3] == b"\xff\xd8\xff":
        raise IntakeError(
            f"{name or 'The file'} is an image — OCR is not supported; enter the fields by hand."
        )
    text = _decode_text(data[:8192])[0]
    _refuse_binary(data, text, name, ext)
    stripped = text.lstrip("\ufeff \t\r\n")
    low = stripped[:1024].lower()
    if stripped[:1] in "{[" and (ext in (None, "json", "txt") or _is_json(data)):
        if _is_json(data):
            return "json"
    if re.match(r"<!doctype html|<html|<\?xml[^>]*>\s*<html", low) or (
        ext in ("html", None, "txt") and re.search(r"<(body|table|div|p|h1|h2)[\s>]", low) and ext != "md"
    ):
        return "html"
    if _looks_like_email(stripped):
        return "eml"
    if ext == "csv" or (ext is None and _looks_like_csv(stripped)):
        return "csv"
    if ext == "md" or re.search(r"^#{1,6} \S|^\|.*\|\s*$\n^\|?\s*:?-{3,}", stripped[:4096], re.M):
        return "md"
    return "txt"


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f\ufffd]")


def _refuse_binary(data: bytes, text: str, name: str, ext: str | None) -> None:
    """No known document format and no text either: say so, instead of reviewing garbled bytes as text.

    `text` is the decoded head of `data`."""
    if not data[:8192].strip(b"\x00") and not data.strip(b"\x00"):
        raise IntakeError(f"{name or 'The file'} holds only NUL bytes, no text; ask the client to send the posting "
                          "doc again.")
    text = text.replace("\x00", "")  # NUL padding is dropped when text is read; judge what is left
    binary_name = ext in ("pdf", "docx", "xlsx", "odt", "ods")
    readable = len(_CONTROL.findall(text)) <= len(text) // 20
    # A file named as a document format that holds a few stray bytes of "text" is no doc either.
    if readable and not (binary_name and not re.search(r"[^\W\d_]{3}", text)):
        return
    if ext in ("pdf", "docx", "xlsx", "odt", "ods"):
        raise IntakeError(f"{name} is named as {ext.upper()} but is not one, nor any other document or text; "
                          "ask the client to send the posting doc again.")
    raise IntakeError(f"{name or 'The file'} is not a document or text that can be read; ask the client to send "
                      "the posting doc again as PDF, Word, Excel, HTML, e-mail or text.")


def _is_json(data: bytes) -> bool:
    try:
        json.loads(_decode_text(data)[0].lstrip("\ufeff"))
    except (ValueError, RecursionError):
        return False
    return True


def _looks_like_email(text: str) -> bool:
    head = text[:4096]
    headers = re.findall(r"^(From|To|Subject|Date|MIME-Version|Received|Message-ID|Content-Type|Return-Path|Delivered-To):",
                         head, re.M | re.I)
    names = {h.lower() for h in headers}
    return len(names) >= 3 and ("from" in names or "received" in names) and re.match(r"^[\w-]+:", text) is not None


def _looks_like_csv(text: str) -> bool:
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if len(lines) < 2:
        return False
    for delim in (",", ";", "\t"):
        counts = [ln.count(delim) for ln in lines]
        if min(counts) >= 1 and len(set(counts)) == 1:
            return True
    return False


def _zip_kind(data: bytes, name: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except Exception as exc:  # zipfile raises BadZipFile, NotImplementedError, ValueError... on damaged archives
        raise IntakeError(f"{name or 'The file'} is a damaged ZIP/Office file; ask the client to send it again.") from exc
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names:
        # OpenDocument (LibreOffice): the mimetype member says text or spreadsheet.
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                mimetype = archive.read("mimetype")[:100].decode("ascii", "replace") if "mimetype" in names else ""
        except Exception:  # a damaged mimetype member only loses the hint
            mimetype = ""
        return "ods" if "spreadsheet" in mimetype else "odt"
    raise IntakeError(
        f"{name or 'The file'} is a ZIP archive, not a Word or Excel posting doc; unpack it and drop the doc inside."
    )


# --------------------------------------------------------------------------- text


def _decode_text(data: bytes) -> tuple[str, str | None]:
    """Decode text bytes; returns the text and a warning when it was not UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), None
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return data.decode("utf-16", errors="replace"), None
    sample = data[:4000]
    # UTF-16 without a BOM: every other byte of ASCII text is a NUL.
    # (A run of NULs fills both halves alike: that is padding, not UTF-16.)
    odd_nuls = sample[1::2].count(b"\x00")
    even_nuls = sample[0::2].count(b"\x00")
    if len(sample) >= 4 and odd_nuls + even_nuls > len(sample) // 4 and min(odd_nuls, even_nuls) * 9 < max(odd_nuls,
                                                                                                         even_nuls):
        codec = "utf-16-le" if odd_nuls > even_nuls else "utf-16-be"
        return data.decode(codec, errors="replace"), None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "The text is not UTF-8; it was read as Windows-1252 — check accented letters."
    except UnicodeDecodeError:
        return data.decode("latin-1"), "The text is not UTF-8; it was read as Latin-1 — check accented letters."


def _read_text(data: bytes, name: str, budget: Budget) -> Extracted:
    text, warning = _decode_text(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        raise IntakeError(f"{name or 'The file'} holds no readable text (only NUL or blank characters); ask the "
                          "client to send the posting doc again.")
    budget.add_text(len(text), name)
    if text.lstrip().startswith("{\\rtf"):
        text = _strip_rtf(text)
    result = Extracted(text=text)
    if warning:
        result.warnings.append(warning)
    return result


def _strip_rtf(text: str) -> str:
    text = re.sub(r"\\par[d]?\b ?", "\n", text)
    text = re.sub(r"\\tab\b ?", "\t", text)
    text = re.sub(r"\\'([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]).decode("cp1252", "replace"), text)
    text = re.sub(r"\\[a-z]+-?\d* ?", "", text)
    return re.sub(r"[{}]", "", text)


def _read_json(data: bytes, name: str, budget: Budget) -> Extracted:
    text, warning = _decode_text(data)
    try:
        payload = json.loads(text.lstrip("\ufeff"))
    except (ValueError, RecursionError) as exc:
        raise IntakeError(f"{name or 'The file'} is not valid JSON; ask the client for the sample again.") from exc
    pretty = json.dumps(payload, indent=2, ensure_ascii=False)
    budget.add_text(len(pretty), name)
    result = Extracted(text=pretty)
    if warning:
        result.warnings.append(warning)
    return result


def _read_csv(data: bytes, name: str, budget: Budget) -> Extracted:
    text, warning = _decode_text(data)
    text = text.lstrip("\ufeff")
    try:
        # The sniffer's regexes are quadratic on some inputs (",\"" repeated: 3 s for 8 KB): a short sample.
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    budget.add_text(len(text), name)
    rows = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append(_trim_row([c.strip() for c in row]))
            budget.add_cells(len(rows[-1]), name)
    except csv.Error as exc:
        raise IntakeError(f"{name or 'The CSV file'} cannot be read as CSV ({exc}); open and re-save it.") from exc
    result = Extracted(text=_table_text(rows), tables=[[r for r in rows]])
    if warning:
        result.warnings.append(warning)
    return result


def _trim_row(row: list[str]) -> list[str]:
    while row and not row[-1]:
        row = row[:-1]
    return row


def _table_text(rows: list[list[str]]) -> str:
    """Lay a table out as text lines, cells joined by ' | ', so text rules see one row per line."""
    return "\n".join(" | ".join(c.replace("\n", " ") for c in row) for row in rows)


# --------------------------------------------------------------------------- PDF


PDF_TEXT_CAP = 120_000  # as much text as the analysis reads (pipeline.TEXT_BUDGET): later pages are not extracted


def _read_pdf(data: bytes, name: str, budget: Budget) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

    # pypdf logs every repair it makes (cross-references, fonts); those are not the operator's concern.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    label = name or "The PDF"
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # pypdf raises several kinds here (missing crypto, bad key)
                raise IntakeError(
                    f"{label} is password-protected; ask the client for an unprotected copy."
                ) from exc
            if not opened:
                raise IntakeError(f"{label} is password-protected; ask the client for an unprotected copy.")
        count = len(reader.pages)
        budget.check_pages(count, name)
        pages = list(reader.pages)
    except IntakeError:
        raise
    except LimitReachedError as exc:
        raise BudgetExceeded(f"{label} holds a stream that unpacks past pypdf's size limit; it was not read — "
                             "ask the client for a normal copy.") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError) as exc:
        raise IntakeError(f"{label} is damaged or truncated and cannot be read; ask the client to send it again.") from exc
    texts = []
    failed = 0
    read = 0
    for page in pages:
        if sum(len(t) for t in texts) >= PDF_TEXT_CAP:
            break  # the analysis reads no further: the pages after this are not extracted at all
        read += 1
        budget.check_time(name)
        before = len(texts)
        try:
            # Layout mode keeps columns apart, so field tables survive as aligned text rows.
            texts.append(page.extract_text(extraction_mode="layout"))
        except LimitReachedError as exc:
            raise BudgetExceeded(f"{label} holds a stream that unpacks past pypdf's size limit; it was not read — "
                                 "ask the client for a normal copy.") from exc
        except Exception:  # one bad page must not lose the whole doc
            try:
                texts.append(page.extract_text())
            except Exception:
                failed += 1
        budget.add_text(len(texts[-1]) if len(texts) > before else 0, name)
    text = "\n\n".join(t for t in texts if t)
    # Trailing blanks go line by line: a regex such as "[ \t]+\n" is quadratic on a long run of spaces.
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    budget.check_time(name)
    if not text.strip():
        if failed:
            raise IntakeError(f"{label} is damaged and no page could be read; ask the client to send it again.")
        raise IntakeError(f"{label} has no text layer — OCR is not supported; enter the fields by hand.")
    result = Extracted(text=text)
    if failed:
        result.warnings.append(f"{failed} page(s) of {label} could not be read; check the draft against the doc.")
    if read < len(pages):
        result.warnings.append(f"Only the first {read} of {len(pages)} pages of {label} were read (the analysis reads "
                               f"about {PDF_TEXT_CAP // 1000} KB of text); check the rest by hand.")
    return result


# --------------------------------------------------------------------------- ZIP-based Office files


def _open_office_zip(data: bytes, name: str, budget: Budget | None = None,
                     members: Callable[[str], bool] | None = None) -> zipfile.ZipFile:
    """Open a DOCX/XLSX/ODF archive; with `budget`, the members `members` picks (all XML by default) are charged
    to its unpacked-size limit by their declared size, which zipfile never reads past."""
    label = name or "The file"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:  # see _zip_kind
        raise IntakeError(f"{label} is damaged or truncated; ask the client to send it again.") from exc
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    # zipfile never unpacks past a member's declared size, so checking the declared sizes is enough.
    if total > MAX_UNPACKED_BYTES or (total > 10 * 1024 * 1024 and total / packed > MAX_PACK_RATIO):
        archive.close()
        raise BudgetExceeded(
            f"{label} unpacks to {total / 1048576:.0f} MB, far more than a posting doc could hold; "
            "it was not opened — ask the client for a normal copy."
        )
    if budget is not None:
        wanted = members or (lambda n: n.endswith((".xml", ".rels")))
        try:
            budget.add_unpacked(sum(i.file_size for i in infos if wanted(i.filename)), name)
        except BudgetExceeded:
            archive.close()
            raise
    return archive


def _read_member(archive: zipfile.ZipFile, member: str, name: str) -> bytes:
    try:
        return archive.read(member)
    except KeyError:
        return b""
    except Exception as exc:  # zlib.error, BadZipFile (bad CRC), EOFError, NotImplementedError ...
        raise IntakeError(f"{name or 'The file'} is damaged or truncated; ask the client to send it again.") from exc


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _read_docx(data: bytes, name: str, budget: Budget) -> Extracted:
    wanted = ("word/document.xml", "word/_rels/document.xml.rels")
    with _open_office_zip(data, name, budget, lambda n: n in wanted) as archive:
        body = _read_member(archive, "word/document.xml", name)
        rels = _read_member(archive, "word/_rels/document.xml.rels", name)
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise IntakeError(f"{name or 'The Word file'} is damaged and its text cannot be read; ask for it again.") from exc
    links: dict[str, str] = {}
    if rels:
        try:
            for rel in ElementTree.fromstring(rels):
                if rel.get("TargetMode") == "External":
                    links[rel.get("Id", "")] = rel.get("Target", "")
        except ElementTree.ParseError:
            pass
    lines: list[str] = []
    tables: list[list[list[str]]] = []
    doc_body = root.find(f"{_W}body")
    if doc_body is None:
        doc_body = root
    for number, block in enumerate(doc_body):
        if number % 200 == 0:
            budget.check_time(name)
        if block.tag == f"{_W}p":
            lines.append(_docx_paragraph(block, links))
        elif block.tag == f"{_W}tbl":
            rows = _docx_table(block, links, tables, budget, name)
            tables.insert(len(tables) - _count_nested(block), rows)
            lines.append(_table_text(rows))
        elif block.tag == f"{_W}sdt":
            for para in block.iter(f"{_W}p"):
                lines.append(_docx_paragraph(para, links))
    return Extracted(text="\n".join(lines), tables=tables)


def _count_nested(table: ElementTree.Element) -> int:
    return sum(1 for t in table.iter(f"{_W}tbl")) - 1


def _docx_paragraph(para: ElementTree.Element, links: dict[str, str]) -> str:
    parts: list[str] = []

    def walk(node: ElementTree.Element) -> None:
        for child in node:
            tag = child.tag
            if tag == f"{_W}t":
                parts.append(child.text or "")
            elif tag == f"{_W}tab":
                parts.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
            elif tag == f"{_W}hyperlink":
                start = len(parts)
                walk(child)
                target = links.get(child.get(f"{_R}id", ""), "")
                shown = "".join(parts[start:])
                if target.startswith(("http://", "https://")) and target not in shown:
                    parts.append(f" <{target}>")
            elif tag in (f"{_W}tbl", f"{_W}pPr"):
                continue
            else:
                walk(child)

    walk(para)
    text = "".join(parts)
    # Word keeps list numbering out of the text; mark list items so they read as a list.
    if para.find(f"{_W}pPr/{_W}numPr") is not None and text.strip():
        text = "- " + text
    return text


def _docx_table(table: ElementTree.Element, links: dict[str, str], out: list[list[list[str]]], budget: Budget,
                name: str) -> list[list[str]]:
    rows: list[list[str]] = []
    for tr in table.findall(f"{_W}tr"):
        row = []
        for tc in tr.findall(f"{_W}tc"):
            paras = []
            for child in tc:
                if child.tag == f"{_W}p":
                    paras.append(_docx_paragraph(child, links))
                elif child.tag == f"{_W}tbl":
                    out.append(_docx_table(child, links, out, budget, name))
            row.append(" ".join(p.strip() for p in paras if p.strip()))
        budget.add_cells(len(row), name)
        rows.append(row)
    return rows


def _read_xlsx(data: bytes, name: str, budget: Budget) -> Extracted:
    import warnings

    import openpyxl

    label = name or "The spreadsheet"
    _open_office_zip(data, name, budget).close()
    limits = budget.limits
    tables: list[list[list[str]]] = []
    lines: list[str] = []
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not matter for the text.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                for sheet in book.worksheets:
                    budget.check_time(name)
                    # The sheet's stated size ("A1:XFD1048576") is not trusted: only rows and cells that are
                    # there are read, at most `limits.columns` wide, and the rows stop one past the limit.
                    sheet.reset_dimensions()
                    rows = []
                    for number, values in enumerate(sheet.iter_rows(max_row=limits.rows + 1, max_col=limits.columns,
                                                                    values_only=True), start=1):
                        row = [] if values.count(None) == len(values) else _trim_row([_cell_text(v) for v in values])
                        if row:
                            budget.check_rows(number, name)
                            budget.add_cells(sum(1 for c in row if c), name)
                        elif number % 2000 == 0:
                            budget.check_time(name)
                        rows.append(row)
                    while rows and not rows[-1]:
                        rows.pop()
                    if not rows:
                        continue
                    tables.append(rows)
                    lines.append(f"[{sheet.title}]")
                    lines.append(_table_text(rows))
            finally:
                book.close()
    except IntakeError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on broken workbooks
        raise IntakeError(f"{label} is damaged and cannot be read; ask the client to send it again.") from exc
    return Extracted(text="\n".join(lines), tables=tables)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    return str(value).strip()


# --------------------------------------------------------------------------- HTML

_SKIP_TAGS = {"script", "style", "nav", "header", "footer", "noscript", "template", "svg", "head", "iframe", "aside"}
_SKIP_MARKERS = re.compile(r"(^|[\s_-])(nav|navbar|navigation|menu|breadcrumbs?|sidebar|cookie|site-header|site-footer)($|[\s_-])", re.I)
_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "pre",
               "section", "article", "blockquote", "dt", "dd", "dl", "hr", "form", "main", "title", "caption"}
_VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"}


class _HtmlText:
    """An lxml parser target: libxml2's HTML parser (linear, tolerant of any tag soup) calls `start`, `end` and
    `data` as it reads, and this turns the events into page text, tables and forms without building a tree."""

    def __init__(self, budget: Budget | None = None, name: str = "") -> None:
        self.budget = budget
        self.name = name
        self.out: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.forms: list[HtmlForm] = []
        self._skip: list[str] = []
        self._pre = 0
        self._table_stack: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self._cells_stack: list[list[str] | None] = []
        self._select: FormInput | None = None
        self._textarea: FormInput | None = None
        self._label: list[str] | None = None
        self._label_for = ""
        self._labels: list[str] = []
        self._labels_for: dict[str, str] = {}  # <label for="id"> text by the id of its control
        self._controls_by_id: dict[str, FormInput] = {}
        self._dl_rows: list[list[str]] = []
        self._dt: list[str] | None = None
        self._dd: list[str] | None = None
        self._dt_text = ""
        self._href: str | None = None
        self._link_start = 0

    # Text goes to the current table cell when inside one, and always to the page text.
    def _emit(self, text: str) -> None:
        self.out.append(text)
        if self._cell is not None:
            self._cell.append(text)
        for part in (self._dt, self._dd):
            if part is not None:
                part.append(text)

    # lxml's target interface
    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self.budget is not None:
            self.budget.add_elements(1, self.name)
        if not isinstance(tag, str):
            return
        self.handle_starttag(tag.lower(), {str(k).lower(): (v or "") for k, v in attrib.items()})

    def end(self, tag: str) -> None:
        # libxml2 closes void elements (<br>, <input>) itself; their start already did all there is to do.
        if isinstance(tag, str) and tag.lower() not in _VOID_TAGS:
            self.handle_endtag(tag.lower())

    def data(self, data: str) -> None:
        self.handle_data(data)

    def comment(self, text: str) -> None:
        pass

    def close(self) -> None:
        return None

    def handle_starttag(self, tag: str, a: dict[str, str]) -> None:
        if self._skip:
            if tag == self._skip[0] and tag not in _VOID_TAGS:
                self._skip.append(tag)
            return
        marker = " ".join((a.get("class", ""), a.get("id", ""), a.get("role", "")))
        if tag in _SKIP_TAGS or (tag not in ("body", "html", "main", "table", "td", "th", "tr") and _SKIP_MARKERS.search(marker)):
            if tag not in _VOID_TAGS:
                self._skip.append(tag)
            return
        if tag == "dd" and self._dt_text:
            # A definition list is a list of settings: "<dt>Key</dt><dd>abc</dd>" reads as "Key: abc".
            while self.out and not self.out[-1].strip():
                self.out.pop()
            self._emit(": ")
            self._dd = []
        elif tag in _BLOCK_TAGS:
            self._emit("\n")
        if tag == "dt":
            self._dt = []
            self._dt_text = ""
        if tag == "pre":
            self._pre += 1
        elif tag == "table":
            self._table_stack.append([])
            self._cells_stack.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._table_stack:
            self._table_stack[-1].append([])
        elif tag in ("td", "th") and self._table_stack:
            if not self._table_stack[-1]:
                self._table_stack[-1].append([])
            self._cell = []
            self.out.append(" | ")
        elif tag == "form":
            self.forms.append(HtmlForm(a.get("action", ""), (a.get("method") or "GET").upper(), a.get("enctype", "")))
        elif tag == "label":
            self._label = []
            self._label_for = a.get("for", "")
        elif tag in ("input", "select", "textarea", "button"):
            self._form_control(tag, a)
        elif tag == "option" and self._select is not None and ("selected" in a or not self._select.value):
            self._select.value = a.get("value", "")
        elif tag == "a":
            self._href = a.get("href", "")
            self._link_start = len(self.out)

    def _form_control(self, tag: str, a: dict[str, str]) -> None:
        name = a.get("name", "")
        if not name or tag == "button":
            return
        kind = tag if tag != "input" else (a.get("type") or "text").lower()
        if kind in ("submit", "button", "reset", "image", "file"):
            return
        if kind == "text" and re.search(r"display\s*:\s*none", a.get("style", ""), re.I):
            kind = "hidden"  # a text input the page never shows carries a fixed value, as a hidden one
        # The label that names this control (for="id") wins; else the label just before it; a placeholder
        # is often a sample value ("(555) 555-5555"), so it names the control only when nothing else does.
        label = self._labels_for.get(a.get("id", "")) or (self._labels[-1] if self._labels else "")
        starred = label.rstrip().endswith("*")  # "Last Name *": the form marks it mandatory
        control = FormInput(name=name, kind=kind, value=a.get("value", ""), required="required" in a or starred,
                            label=(label.rstrip(" *") if starred else label) or a.get("placeholder", ""))
        if a.get("id"):
            self._controls_by_id[a["id"]] = control
        if kind in ("checkbox", "radio") and self.forms and any(i.name == name for i in self.forms[-1].inputs):
            return
        if not self.forms:
            self.forms.append(HtmlForm("", "POST", ""))
        self.forms[-1].inputs.append(control)
        if tag == "select":
            self._select = control
        elif tag == "textarea":
            self._textarea = control

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            return
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag in ("td", "th") and self._cell is not None and self._table_stack:
            self._table_stack[-1][-1].append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "table" and self._table_stack:
            rows = [r for r in self._table_stack.pop() if any(c for c in r)]
            if rows:
                self.tables.append(rows)
            self._cell = self._cells_stack.pop() if self._cells_stack else None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "label" and self._label is not None:
            text = re.sub(r"\s+", " ", "".join(self._label)).strip()
            self._labels.append(text)
            if self._label_for:
                self._labels_for[self._label_for] = text
                control = self._controls_by_id.get(self._label_for)
                if control is not None:  # the label came after its control (a consent checkbox)
                    control.label = text.rstrip(" *") or text
                    control.required = control.required or text.endswith("*")
            self._label = None
        elif tag == "dt" and self._dt is not None:
            self._dt_text = re.sub(r"\s+", " ", "".join(self._dt)).strip()
            self._dt = None
        elif tag == "dd" and self._dd is not None:
            self._dl_rows.append([self._dt_text, re.sub(r"\s+", " ", "".join(self._dd)).strip()])
            self._dd = None
            self._dt_text = ""
        elif tag == "dl" and self._dl_rows:
            self.tables.append(self._dl_rows)
            self._dl_rows = []
        elif tag == "a" and self._href is not None:
            shown = "".join(self.out[self._link_start:])
            if self._href.startswith(("http://", "https://")) and self._href not in shown:
                self._emit(f" <{self._href}>")
            self._href = None
        if tag in _BLOCK_TAGS:
            self._emit("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._label is not None:
            self._label.append(data)
        if self._textarea is not None:
            self._textarea.value += data
            return
        if not self._pre:
            data = re.sub(r"\s+", " ", data)
        self._emit(data)


HTML_CHUNK = 64 * 1024
_CELL_MARK = re.compile(r"^\|\s*")


def _html_to_extracted(html: str, budget: Budget | None = None, name: str = "") -> Extracted:
    from lxml import etree

    target = _HtmlText(budget, name)
    # recover: read tag soup as browsers do; huge_tree: no silent cut of long text nodes (our limits bound size);
    # no network, no entities from outside.
    parser = etree.HTMLParser(target=target, recover=True, huge_tree=True, no_network=True, remove_comments=True)
    # Fed in pieces, so the time limit is checked while the page is read, not after.
    for offset in range(0, len(html), HTML_CHUNK):
        if budget is not None:
            budget.check_time(name)
        parser.feed(html[offset:offset + HTML_CHUNK])
    try:
        parser.close()
    except etree.XMLSyntaxError:
        pass  # nothing could be read (an empty page); keep what was
    text = "".join(target.out)
    lines = [ln.strip() for ln in text.split("\n")]
    lines = [_CELL_MARK.sub("", ln) if ln[:1] == "|" else ln for ln in lines]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return Extracted(text=text, tables=target.tables, forms=target.forms)


def _read_html(data: bytes, name: str, budget: Budget) -> Extracted:
    text, warning = _decode_html(data)
    result = _html_to_extracted(text, budget, name)
    budget.add_text(len(result.text), name)
    if warning:
        result.warnings.append(warning)
    return result


def _decode_html(data: bytes) -> tuple[str, str | None]:
    declared = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", data[:4096], re.I)
    if declared and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode(declared.group(1).decode("ascii")), None
        except (LookupError, UnicodeDecodeError):
            pass
    return _decode_text(data)


# --------------------------------------------------------------------------- e-mail


def _read_eml(data: bytes, name: str, budget: Budget, depth: int = 0) -> Extracted:
    import email
    from email import policy

    try:
        message = email.message_from_bytes(data, policy=policy.default)
    except Exception as exc:  # the email package raises assorted errors on mangled headers
        raise IntakeError(f"{name or 'The e-mail'} cannot be read as an e-mail; save it again as .eml.") from exc
    # Header values are parsed when read, in time that grows faster than their length on some shapes (thousands
    # of encoded words): a header no real e-mail needs is refused before any is read.
    for part in message.walk():
        longest = max((len(value) for _key, value in part.raw_items()), default=0)
        if longest > MAX_HEADER_CHARS:
            raise BudgetExceeded(f"{name or 'The e-mail'} has a header of {longest:,} characters, over the "
                                 f"{MAX_HEADER_CHARS // 1024} KB limit for an e-mail header; ask the client to "
                                 "forward the posting doc in a new e-mail.")
    parts: list[str] = []
    subject = str(message.get("Subject", "") or "").strip()
    if subject:
        parts.append(subject)
    result = Extracted(text="")
    for part in message.walk():
        budget.check_time(name)
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = (part.get_content_disposition() or "").lower()
        ctype = part.get_content_type()
        if filename or disposition == "attachment":
            _add_attachment(result, parts, part, filename or "attachment", depth, budget, name)
            continue
        if ctype == "text/plain":
            if _has_html_twin(message, part):
                continue
            # A forwarded or replied spec arrives quoted ("> Post to: ..."); the quote marks are not the doc's.
            parts.append(re.sub(r"(?m)^(?:[ \t]*>)+[ \t]?", "", _part_text(part)))
            budget.add_text(len(parts[-1]), name)
        elif ctype == "text/html":
            sub = _html_to_extracted(_part_text(part), budget, name)
            budget.add_text(len(sub.text), name)
            parts.append(sub.text)
            result.tables.extend(sub.tables)
            result.forms.extend(sub.forms)
        elif ctype == "message/rfc822":
            _add_attachment(result, parts, part, "forwarded message.eml", depth, budget, name)
    result.text = "\n\n".join(p for p in parts if p)
    if not result.text.strip():
        raise IntakeError(f"{name or 'The e-mail'} has no readable text or attachment; ask for the posting doc itself.")
    return result


def _part_text(part) -> str:  # an email.message.EmailMessage
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, KeyError, ValueError):
        payload = part.get_payload(decode=True) or b""
        return _decode_text(payload)[0]


def _has_html_twin(message, part) -> bool:
    """A text/plain part inside a multipart/alternative that also holds HTML: the HTML keeps the tables."""
    for container in message.walk():
        if container.get_content_type() == "multipart/alternative":
            kids = container.get_payload()
            if any(k is part for k in kids) and any(k.get_content_type() == "text/html" for k in kids):
                return True
    return False


def _add_attachment(result: Extracted, parts: list[str], part, filename: str, depth: int,
                    budget: Budget, parent: str) -> None:
    if depth >= MAX_NESTING:
        result.warnings.append(f"Attachment {filename} is nested too deep and was skipped.")
        return
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        payload = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
    else:
        payload = part.get_payload(decode=True) or b""
    try:
        sub = extract_bytes(payload, filename, depth + 1, budget=budget)
    except BudgetExceeded as exc:
        # A limit is the whole doc's, not the attachment's: stop here, and say which attachment it was.
        raise BudgetExceeded(str(exc).replace(filename, f"{filename} (attached to {parent or 'the e-mail'})", 1)) from exc
    except IntakeError as exc:
        result.warnings.append(f"Attachment {filename} skipped: {exc}")
        return
    result.attachments.append(filename)
    parts.append(f"----- attachment: {filename} -----\n{sub.text}")
    result.tables.extend(sub.tables)
    result.forms.extend(sub.forms)
    result.warnings.extend(sub.warnings)


# --------------------------------------------------------------------------- OpenDocument

_TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE_NS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
MAX_REPEAT = 50  # "number-columns-repeated" pads rows to 16384 cells; only a few can hold a posting doc's text


def _read_opendocument(data: bytes, name: str, budget: Budget) -> Extracted:
    with _open_office_zip(data, name, budget, lambda n: n == "content.xml") as archive:
        body = _read_member(archive, "content.xml", name)
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise IntakeError(f"{name or 'The document'} is damaged and its text cannot be read; ask for it again.") from exc
    lines: list[str] = []
    tables: list[list[list[str]]] = []

    def text_of(node: ElementTree.Element) -> str:
        parts = [node.text or ""]
        for child in node:
            if child.tag == f"{_TEXT_NS}s":
                parts.append(" " * int(child.get(f"{_TEXT_NS}c", "1") or 1))
            elif child.tag == f"{_TEXT_NS}tab":
                parts.append("\t")
            elif child.tag == f"{_TEXT_NS}line-break":
                parts.append("\n")
            else:
                parts.append(text_of(child))
            parts.append(child.tail or "")
        return "".join(parts)

    def walk(node: ElementTree.Element, in_list: bool = False) -> None:
        for child in node:
            if child.tag in (f"{_TEXT_NS}p", f"{_TEXT_NS}h"):
                text = text_of(child)
                lines.append(("- " + text) if in_list and text.strip() else text)
            elif child.tag == f"{_TEXT_NS}list":
                walk(child, True)
            elif child.tag == f"{_TABLE_NS}table":
                rows = []
                for row in child.iter(f"{_TABLE_NS}table-row"):
                    cells: list[str] = []
                    for cell in row:
                        if cell.tag not in (f"{_TABLE_NS}table-cell", f"{_TABLE_NS}covered-table-cell"):
                            continue
                        value = " ".join(text_of(p).strip() for p in cell.iter(f"{_TEXT_NS}p")).strip()
                        repeat = min(int(cell.get(f"{_TABLE_NS}number-columns-repeated", "1") or 1), MAX_REPEAT)
                        cells.extend([value] * (repeat if value else min(repeat, 1)))
                    rows.append(_trim_row(cells))
                    budget.add_cells(len(rows[-1]), name)
                while rows and not rows[-1]:
                    rows.pop()
                if rows:
                    tables.append(rows)
                    lines.append(_table_text(rows))
            else:
                walk(child, in_list)

    walk(root)
    return Extracted(text="\n".join(lines), tables=tables)


_READERS = {
    "pdf": _read_pdf, "docx": _read_docx, "xlsx": _read_xlsx, "csv": _read_csv, "html": _read_html,
    "eml": _read_eml, "txt": _read_text, "md": _read_text, "json": _read_json, "odt": _read_opendocument,
    "ods": _read_opendocument,
}
