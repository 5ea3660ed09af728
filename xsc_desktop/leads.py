"""Leads in: file import (CSV, XLSX, JSON / JSON Lines) and feed pull, normalised, deduplicated, never dropped silently.

    preview = preview_file(path, lander_id)            # columns, proposed mapping, sample rows (for the dialog)
    report = import_file(path, lander_id, mapping=None, progress=fn, cancel=event)
    report = pull_feed(lander_id)                      # one poll of the lander's feed_url, cursor persisted

Rules:
- Columns are matched to canonical fields by name and synonyms (`parsers.fields.canonical_name`); the operator's
  confirmed choice is remembered per lander and wins next time; unknown columns are kept as custom fields.
- The same external id for a lander is the same lead: re-importing a file inserts nothing twice. A row without an
  id gets one from a hash of its values, so re-importing that file is harmless too.
- A row with neither phone nor e-mail cannot be delivered: it is kept `held` and listed as a problem.
- With `delivery.duplicate_days` > 0, the same phone or e-mail on the lander within that many days makes the new
  lead a `duplicate` (kept, not delivered).
- Imported leads of an integrated lander are posted to the client: `delivery` decides. "auto" (the default) keeps
  leads captured longer ago than `leads.records_only_after_hours` for records only (state `records`: never
  delivered unless the operator sends one by hand), "deliver" sends them all, "records" keeps them all.
- The same external id with a different person (phone, e-mail or name) is a conflict, reported by line;
  `on_conflict="new"` imports such rows as new leads (under the id with "#2", "#3"... appended), "skip" leaves them.
- Rows go to the database through `cursor().executemany` inside `atomic()` in batches (peewee's insert_many is
  ~10x slower); each batch commits, so a cancelled or broken file keeps what was good.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import functools
import hashlib
import heapq
import io
import itertools
import json
import logging
import re
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from parsers.fields import EMAIL_RE, FIELD_NAMES, FIELDS_BY_NAME, canonical_name
from parsers.transforms import normalise_phone, normalise_state, parse_datetime, parse_yes_no, zip5
from xsc_desktop import events, settings, storage
from xsc_desktop.clock import naive_utc
from xsc_desktop.errors import UserError
from xsc_desktop.models import Integration, Lander, Lead, Setting, database, utcnow

log = logging.getLogger(__name__)

LEAD_FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson")
MAX_VALUE_CHARS = 100_000  # longer values are cut (and the cut reported): a form field is never this long
CSV_FIELD_LIMIT = 1_000_000  # an unclosed quote swallowing the file trips this instead of eating all memory
RECORDS_ONLY = "records"  # the lead state of leads kept for records only (never picked by delivery)
DELIVERY_CHOICES = ("auto", "deliver", "records")
CONFLICT_CHOICES = ("skip", "new")
BATCH_ROWS = 5000  # rows per transaction: fewer commits (each may run a WAL checkpoint); cancel is seen every 1000
PROBLEM_LIMIT = 10_000  # problems kept in a report; the count goes on beyond it

# Lead columns that import fills; our own id is the primary key and the capture time is `captured_at`.
LEAD_FIELD_COLUMNS: tuple[str, ...] = tuple(n for n in FIELD_NAMES if n not in ("lead_id", "created_at"))
INSERT_COLUMNS: tuple[str, ...] = ("lander_id", "external_id", "captured_at", "received_at", "custom", "is_test",
                                   "duplicate_of", "problems", "delivery_state", *LEAD_FIELD_COLUMNS)
CONTACT_FIELDS = ("first_name", "last_name", "full_name", "email", "phone")


@dataclass
class ImportReport:
    """What an import or a feed pull did: counts, the column mapping used and every problem by line."""

    file: str
    lander_id: int
    rows: int = 0
    imported: int = 0
    already_there: int = 0
    held: int = 0
    duplicates: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    problem_count: int = 0
    problem_lines: set[int] = field(default_factory=set, repr=False)
    mapping: dict[str, str | None] = field(default_factory=dict)
    encoding: str = ""
    cancelled: bool = False
    error: str = ""  # a reason the file stopped being readable part-way (what came before is kept)
    lead_ids: list[int] = field(default_factory=list, repr=False)
    records_only: int = 0  # new leads kept for records only (not delivered)
    records_after_hours: int | None = None  # the age beyond which "auto" kept leads for records, when it did
    conflicts: list[tuple[int, str, str]] = field(default_factory=list)  # (line, lead id, what differs)
    imported_as_new: int = 0  # conflicting rows imported as new leads

    def problem(self, line: int, message: str) -> None:
        """Record one problem of one line."""
        self.problem_count += 1
        self.problem_lines.add(line)
        if len(self.problems) < PROBLEM_LIMIT:
            self.problems.append((line, message))

    @property
    def problem_rows(self) -> int:
        """How many rows had at least one problem."""
        return len(self.problem_lines)

    @property
    def importable(self) -> int:
        """Rows stored ready for delivery (new or already there), held ones excluded."""
        return self.rows - self.held - self.refused

    @property
    def refused(self) -> int:
        """Rows that could not be stored at all (unreadable)."""
        return max(0, self.rows - self.imported - self.already_there)

    def summary(self) -> str:
        """One line for the status bar and the CLI."""
        parts = [f"{self.imported} new lead{'s' if self.imported != 1 else ''} from {self.file}"]
        if self.already_there:
            parts.append(f"{self.already_there} already there")
        if self.held:
            parts.append(f"{self.held} held (no phone or e-mail)")
        if self.duplicates:
            parts.append(f"{self.duplicates} flagged duplicate")
        if self.records_only:
            why = (f" (captured more than {self.records_after_hours} h ago)"
                   if self.records_after_hours is not None else "")
            parts.append(f"{self.records_only} kept for records only{why}, not sent to the client")
        if self.conflicts:
            n = len(self.conflicts)
            parts.append(f"{n} with the id of an earlier lead but another person (not imported)")
        if self.imported_as_new:
            parts.append(f"{self.imported_as_new} with a reused id imported as new leads")
        if self.refused:
            parts.append(f"{self.refused} refused")
        if self.problem_rows:
            parts.append(f"problems on {self.problem_rows} row{'s' if self.problem_rows != 1 else ''}")
        text = "; ".join(parts) + "."
        if self.cancelled:
            text = "Cancelled: " + text
        if self.error:
            text += f" {self.error}"
        return text

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form (the CLI's --json)."""
        return {"file": self.file, "lander_id": self.lander_id, "rows": self.rows, "imported": self.imported,
                "already_there": self.already_there, "held": self.held, "duplicates": self.duplicates,
                "refused": self.refused, "problem_rows": self.problem_rows, "cancelled": self.cancelled,
                "records_only": self.records_only, "imported_as_new": self.imported_as_new,
                "conflicts": [{"line": line, "lead_id": lead_id, "differs": what}
                              for line, lead_id, what in self.conflicts],
                "error": self.error, "encoding": self.encoding, "mapping": self.mapping,
                "problems": [{"line": line, "message": msg} for line, msg in self.problems]}


# ---- reading files -------------------------------------------------------------------------------------------
@dataclass
class _Source:
    """A lead file opened for streaming: its columns and an iterator of (line number, values by column)."""

    columns: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    encoding: str
    total: int  # bytes or rows, for progress
    position: Callable[[], int]
    errors: list[tuple[int, str]]  # unreadable parts found while reading (line, message)


READ_BLOCK = 1 << 20  # CSV bytes decoded at a time; lines never straddle two blocks


def _position(counter: list[Any]) -> int:
    """Bytes read so far by `_lines_utf8_or_cp1252` (for progress): whole blocks, plus the part of the current
    block handed out (counted in characters, which a UTF-8 block never has more of than bytes)."""
    return counter[0] + (counter[2].tell() if counter[2] is not None else 0)


def _lines_utf8_or_cp1252(path: Path, counter: list[Any]) -> Iterator[str]:
    """Decode each line as UTF-8, or as cp1252 when it is not UTF-8 (files mixing both stay readable).

    Whole blocks of lines are decoded at once and split on "\\n" by `io.StringIO` (in C, as reading the file line
    by line would split them); only a block that is not UTF-8 is decoded line by line."""
    return itertools.chain.from_iterable(_line_blocks(path, counter))


def _line_blocks(path: Path, counter: list[Any]) -> Iterator[Iterable[str]]:
    with open(path, "rb") as fh:
        head: list[bytes] = []  # the start of a line longer than a block, kept until its end is read
        first = True
        while True:
            data = fh.read(READ_BLOCK)
            if data:
                cut = data.rfind(b"\n") + 1
                if not cut:
                    head.append(data)
                    continue
                block = b"".join((*head, data[:cut])) if head else data[:cut]
                head = [data[cut:]]
            else:
                block, head = b"".join(head), []
                if not block:
                    return
            size = len(block)
            if first:
                first = False
                if block.startswith(codecs.BOM_UTF8):
                    block = block[3:]
                    if not block:
                        counter[0] += size
                        yield ("",)  # a file of just the mark reads as one empty line, as before
                        continue
            try:
                text = block.decode("utf-8")
            except UnicodeDecodeError:
                yield _decode_lines(block, counter)
                counter[0] += size - len(block)
                continue
            counter[2] = io.StringIO(text)  # `_position` adds how far into it the reader is
            yield counter[2]
            counter[2] = None
            counter[0] += size


def _decode_lines(block: bytes, counter: list[Any]) -> Iterator[str]:
    for raw in io.BytesIO(block):  # split on b"\\n" only, as iterating the file does
        counter[0] += len(raw)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            counter[1] += 1
            yield raw.decode("cp1252", errors="replace")


def _utf16(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 2 and ((head[0] == 0) != (head[1] == 0)):
        return "utf-16-le" if head[1] == 0 else "utf-16-be"
    return None


def _open_csv(path: Path) -> _Source:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    utf16 = _utf16(path)
    counter: list[Any] = [0, 0, None]  # bytes read, lines read as cp1252, the block being read
    total = path.stat().st_size
    if utf16:
        stream = open(path, encoding=utf16, errors="replace", newline="")  # noqa: SIM115 - closed by the generator

        def lines() -> Iterator[str]:
            with stream:
                for line in stream:
                    counter[0] += len(line) * 2
                    yield line
        line_iter: Iterator[str] = lines()
    else:
        line_iter = _lines_utf8_or_cp1252(path, counter)
    # Sniff the delimiter from the header line only (quoted newlines further down fool the sniffer).
    try:
        header_line = next(line_iter)
    except StopIteration:
        raise UserError(f"{path.name} is empty; export the leads again and import that file.") from None
    delimiter = ","
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    if counts[best] > 0:
        delimiter = best

    reader = csv.reader(itertools.chain((header_line,), line_iter), delimiter=delimiter, doublequote=True,
                        quotechar='"')
    errors: list[tuple[int, str]] = []
    try:
        header = next(reader)
    except csv.Error as exc:
        raise UserError(f"{path.name} is not readable CSV on its first line ({exc}); fix it and import again.") \
            from None
    columns = [c.strip() for c in header]

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        line = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                errors.append((line, f"{path.name} stops being readable CSV at line {line}, probably a quote that "
                                     f"is never closed ({exc}); the rows before it were kept — fix that line and "
                                     "import the file again"))
                break
            start, line = line, reader.line_num + 1
            if not "".join(values).strip():  # only blanks (one join instead of a strip per cell)
                continue
            if len(values) != len(columns):
                while len(values) > len(columns) and not values[-1].strip():
                    values.pop()  # trailing empty cells some exports add
                if len(values) != len(columns):
                    yield start, {"__bad__": f"has {len(values)} values but the header has {len(columns)} columns; "
                                             "check its quotes and commas"}
                    continue
            yield start, values  # a list in column order: no dict per row on the hot path

    encoding = utf16 or "utf-8"

    def position() -> int:
        return _position(counter)

    source = _Source(columns, rows(), encoding, total, position, errors)
    source._counter = counter  # type: ignore[attr-defined]  # read after the import to name the encoding
    return source


XLSX_MAX_UNPACKED = 1 << 30  # bytes a workbook may unpack to in all (a zip bomb unpacks to far more)
XLSX_MAX_RATIO = 200  # a part this many times larger unpacked than packed (and over 16 MB) is a zip bomb
XLSX_MAX_SHARED_STRINGS = 256 << 20  # read whole into memory by openpyxl: kept to this many unpacked bytes
XLSX_MAX_ROWS = 1_048_576  # Excel's own row limit: a sheet claiming rows past it is not a real export
XLSX_MAX_CELLS = 20_000_000  # cells read, empty padding included (a huge declared dimension fills rows)


def _check_xlsx_budget(path: Path) -> None:
    """UserError before anything is unpacked when the workbook is a zip bomb (sizes as the zip declares them;
    the zip reader never returns more than a part's declared size)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UserError(f"{path.name} is not a readable Excel workbook ({exc}); save it again as .xlsx.") from None
    total = sum(part.file_size for part in parts)
    bomb = [p for p in parts if p.file_size > (16 << 20) and p.file_size > XLSX_MAX_RATIO * max(p.compress_size, 1)]
    strings = sum(p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml"))
    if total > XLSX_MAX_UNPACKED or bomb or strings > XLSX_MAX_SHARED_STRINGS:
        raise UserError(f"{path.name} unpacks to {total / (1 << 20):,.0f} MB, more than a lead workbook can be "
                        f"(the limit is {XLSX_MAX_UNPACKED >> 20:,} MB, {XLSX_MAX_RATIO}x packed); save the leads "
                        "as CSV, or split the workbook, and import again.")


class _XlsxBudget(Exception):
    pass


# What openpyxl and the zip reader raise on a damaged workbook (a cut zip, a broken deflate stream, bad XML, a part
# missing or of the wrong kind): all mean "not a readable workbook".
_XLSX_BROKEN = (zipfile.BadZipFile, zlib.error, LookupError, OSError, ValueError, TypeError, SyntaxError, EOFError,
                NotImplementedError,
                AttributeError)


def _open_xlsx(path: Path) -> _Source:
    from openpyxl import load_workbook

    _check_xlsx_budget(path)
    # Our own handle: openpyxl leaves its file open when a damaged workbook stops it half-way.
    handle = open(path, "rb")  # noqa: SIM115 - closed with the book
    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except _XLSX_BROKEN as exc:
        handle.close()
        raise UserError(f"{path.name} is not a readable Excel workbook ({exc}); save it again as .xlsx.") from None
    except BaseException:
        handle.close()
        raise
    real_close = book.close

    def close_book() -> None:
        try:
            real_close()
        finally:
            handle.close()

    book.close = close_book
    if not book.worksheets:
        book.close()
        raise UserError(f"{path.name} has no sheet; put the leads on its first sheet and import again.")
    sheet = book.worksheets[0]
    try:
        declared = min(int(sheet.max_row or 0), XLSX_MAX_ROWS)
    except (TypeError, ValueError):
        declared = 0
    # The declared dimension is only a claim: "A1:XFD1048576" would pad every row to 16,384 empty cells.
    sheet.reset_dimensions()
    counts = [0, 0]  # rows, cells

    def budgeted() -> Iterator[tuple[Any, ...]]:
        for values in sheet.iter_rows(values_only=True):
            counts[0] += 1
            counts[1] += len(values)
            if counts[0] > XLSX_MAX_ROWS:
                raise _XlsxBudget(f"{path.name} goes on past row {XLSX_MAX_ROWS:,}, Excel's own limit, so it is not "
                                  "a workbook Excel wrote; the rows before it were kept — save the leads as CSV and "
                                  "import that")
            if counts[1] > XLSX_MAX_CELLS:
                raise _XlsxBudget(f"{path.name} holds more than {XLSX_MAX_CELLS:,} cells; the rows before row "
                                  f"{counts[0]:,} were kept — split the workbook or save the leads as CSV")
            yield values

    it = budgeted()
    header: tuple[Any, ...] | None = None
    line = 0
    try:
        for values in it:
            line += 1
            if values and any(v not in (None, "") for v in values):
                header = values
                break
    except _XlsxBudget as exc:
        book.close()
        raise UserError(str(exc).split(";")[0] + "; save the leads as CSV and import that.") from None
    except _XLSX_BROKEN as exc:
        book.close()
        raise UserError(f"{path.name} is not a readable Excel workbook ({exc}); save it again as .xlsx.") from None
    if header is None:
        book.close()
        raise UserError(f"{path.name} has no rows on its first sheet; put the leads there and import again.")
    columns = [("" if c is None else str(c)).strip() or f"column {i + 1}" for i, c in enumerate(header)]
    total = declared
    seen = [line]
    errors: list[tuple[int, str]] = []

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            width = len(columns)
            for values in it:
                seen[0] += 1
                if len(values) > width:
                    values = values[:width]  # cells right of the header's columns have no name: not read
                if not values or all(v in (None, "") for v in values):
                    continue
                yield seen[0], {c: v for c, v in zip(columns, values, strict=False)}
        except _XlsxBudget as exc:
            errors.append((seen[0] + 1, str(exc)))
        except _XLSX_BROKEN as exc:
            errors.append((seen[0] + 1, f"{path.name} stops being a readable workbook at row {seen[0] + 1} ({exc}); "
                                        "the rows before it were kept — save it again as .xlsx"))
        finally:
            book.close()

    return _Source(columns, rows(), "xlsx", total, lambda: seen[0], errors)


JSON_MAX_DEPTH = 32  # a lead nested deeper than this is not a lead (a hostile file): the record is refused


class _TooDeep(ValueError):
    pass


_TOO_DEEP = f"is nested deeper than {JSON_MAX_DEPTH} levels, which no lead is"


def _check_depth(value: Any, room: int) -> None:
    """_TooDeep when lists and objects inside `value` go more than `room` levels down (no recursion)."""
    stack = [(value, room)]
    while stack:
        item, left = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                if left <= 1:
                    raise _TooDeep(_TOO_DEEP)
                stack.append((child, left - 1))


def _flatten(record: dict[str, Any], prefix: str = "", depth: int = 1) -> dict[str, Any]:
    if depth > JSON_MAX_DEPTH:
        raise _TooDeep(_TOO_DEEP)
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + ".", depth + 1))
        elif isinstance(value, list):
            _check_depth(value, JSON_MAX_DEPTH - depth)
            out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = value
    return out


_JSON_SKIP = re.compile(r"[\s,]*")
JSON_ITEM_LIMIT = 10 * 1024 * 1024  # one lead object larger than this is not a lead: the file is broken there


def _first_json_char(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace") as fh:
        head = fh.read(4096).lstrip("\ufeff \t\r\n")
    return head[:1]


def _json_array_items(path: Path, encoding: str, counter: list[int]) -> Iterator[tuple[int, Any]]:
    """The items of a top-level JSON array, read in 1 MB pieces (a 200 MB file never sits in memory whole)."""
    decoder = json.JSONDecoder()
    text = codecs.getincrementaldecoder(encoding)(errors="replace")
    with open(path, "rb") as fh:
        buffer = ""
        ended = False

        def fill() -> bool:
            nonlocal buffer, ended
            if ended:
                return False
            chunk = fh.read(1 << 20)
            counter[0] += len(chunk)
            ended = not chunk
            buffer += text.decode(chunk, final=ended)
            return True

        while "[" not in buffer and fill():
            pass
        pos = buffer.find("[") + 1
        number = 0
        while True:
            while True:
                pos = _JSON_SKIP.match(buffer, pos).end()
                if pos < len(buffer) or not fill():
                    break
            if pos >= len(buffer):
                yield number + 1, _BadRecord("is cut off: the file ends before the list of leads is closed")
                return
            if buffer[pos] == "]":
                return
            while True:
                try:
                    item, end = decoder.raw_decode(buffer, pos)
                    break
                except RecursionError:  # nested past what the parser can follow: a hostile file, not leads
                    yield number + 1, _BadRecord(_TOO_DEEP + "; the items before it were kept")
                    return
                except ValueError as exc:
                    if len(buffer) - pos > JSON_ITEM_LIMIT or not fill():
                        yield number + 1, _BadRecord(f"is not valid JSON ({exc.args[0].split(':')[0]}); the items "
                                                     "before it were kept")
                        return
            number += 1
            yield number, item
            pos = end
            if pos > (1 << 20):  # drop what was read, now and then (not per item: that would copy the buffer)
                buffer, pos = buffer[pos:], 0


def _json_records(path: Path) -> tuple[str, Iterator[tuple[int, Any]], list[int]]:
    """(encoding, iterator of (line, record), [bytes read]) for a JSON array, {"leads": [...]} or JSON Lines.

    A top-level array is streamed; {"leads": [...]} is read whole (feed pages and exports of that shape are small).
    """
    counter: list[Any] = [0, 0, None]
    utf16 = _utf16(path)
    encoding = utf16 or "utf-8-sig"
    if _first_json_char(path, encoding) == "[":
        return "utf-8" if not utf16 else utf16, _json_array_items(path, encoding, counter), counter
    if utf16:
        text = path.read_text(encoding=utf16, errors="replace")
        counter[0] = path.stat().st_size
        lines: Iterator[str] = iter(text.splitlines(keepends=True))
    else:
        lines = _lines_utf8_or_cp1252(path, counter)
    first = ""
    buffered: list[str] = []
    for line in lines:
        buffered.append(line)
        if line.strip():
            first = line.lstrip()
            break
    if not first:
        raise UserError(f"{path.name} is empty; export the leads again and import that file.")

    def rest() -> Iterator[str]:
        yield from buffered
        yield from lines

    # JSON Lines: one object per line, each starting with "{" and complete on its line.
    if first.startswith("{"):
        try:
            # A one-line {"leads": [...]} document is not JSON Lines.
            is_lines = _feed_items(json.loads(first)) is None
        except RecursionError:
            is_lines = True  # its line is refused as too deep, the other lines are read
        except ValueError:
            is_lines = False
        if is_lines:
            def records() -> Iterator[tuple[int, Any]]:
                for number, line in enumerate(rest(), 1):
                    if not line.strip():
                        continue
                    try:
                        yield number, json.loads(line)
                    except RecursionError:
                        yield number, _BadRecord(_TOO_DEEP)
                    except ValueError as exc:
                        yield number, _BadRecord(f"is not valid JSON ({exc.args[0].split(':')[0]})")
            return "utf-8", records(), counter
    whole = "".join(rest())
    try:
        document = json.loads(whole)
    except RecursionError:
        raise UserError(f"{path.name} is nested deeper than {JSON_MAX_DEPTH} levels, which no lead file is; export "
                        "the leads again as a list of objects.") from None
    except ValueError as exc:
        raise UserError(f"{path.name} is not valid JSON ({exc}); fix it and import again.") from None
    items = _feed_items(document)
    if items is None:
        raise UserError(f"{path.name} holds neither a list of leads nor {{\"leads\": [...]}}; export it again.")
    return "utf-8", ((i, item) for i, item in enumerate(items, 1)), counter


@dataclass(frozen=True)
class _BadRecord:
    message: str


def _feed_items(document: Any) -> list[Any] | None:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in ("leads", "data", "items", "results", "records"):
            if isinstance(document.get(key), list):
                return document[key]
    return None


def _open_json(path: Path) -> _Source:
    encoding, records, counter = _json_records(path)
    # The columns are the union of keys; read the first records to know them (the rest keep their own keys).
    head: list[tuple[int, Any]] = []
    for item in records:
        head.append(item)
        if len(head) >= 200:
            break
    seen: dict[str, None] = {}  # a dict keeps the order and finds a key at once (a list scan was quadratic)
    for _line, record in head:
        if isinstance(record, dict):
            try:
                seen.update(dict.fromkeys(_flatten(record)))
            except (_TooDeep, RecursionError):
                continue  # reported on its line below
    columns = list(seen)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for line, record in _chain(head, records):
            if isinstance(record, _BadRecord):
                yield line, {"__bad__": record.message}
            elif not isinstance(record, dict):
                yield line, {"__bad__": "is not an object of field: value"}
            else:
                try:
                    yield line, _flatten(record)
                except (_TooDeep, RecursionError):
                    yield line, {"__bad__": _TOO_DEEP}

    total = path.stat().st_size
    return _Source(columns, rows(), encoding, total, lambda: _position(counter), [])


def _chain(head, rest):
    yield from head
    yield from rest


def open_lead_file(path: Path) -> _Source:
    """Open a lead file of any supported kind for streaming, or raise UserError saying why not."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"The file {path} does not exist; check the name and try again.")
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a file; pick a lead file.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return _open_xlsx(path)
        if suffix in (".json", ".jsonl", ".ndjson"):
            return _open_json(path)
        if suffix in (".csv", ".tsv", ".txt"):
            return _open_csv(path)
    except PermissionError:
        raise UserError(f"The file {path} cannot be read; check its permissions.") from None
    raise UserError(f"{path.name} is not a lead file this app reads; use CSV, XLSX, JSON or JSON Lines.")


# ---- column mapping ------------------------------------------------------------------------------------------
_MAP_SETTING = "leads.column_map.{}"  # used until the lander has an integration to keep the map on


def remembered_mapping(lander_id: int) -> dict[str, str | None]:
    """The column → field choices the operator confirmed for this lander before."""
    integration = Integration.get_or_none(Integration.lander == lander_id)
    if integration is not None and integration.column_map:
        return dict(integration.column_map)
    row = Setting.get_or_none(Setting.key == _MAP_SETTING.format(lander_id))
    return dict(row.value) if row and isinstance(row.value, dict) else {}


def remember_mapping(lander_id: int, mapping: dict[str, str | None]) -> None:
    """Keep the confirmed mapping for the lander's next import (on its integration when it has one)."""
    integration = Integration.get_or_none(Integration.lander == lander_id)
    if integration is not None:
        Integration.update(column_map=mapping, updated_at=utcnow()).where(Integration.id == integration.id).execute()
    else:
        # Not a user setting (settings.SETTINGS lists those); a per-lander fact stored beside them.
        (Setting.insert(key=_MAP_SETTING.format(lander_id), value=mapping)
         .on_conflict(conflict_target=[Setting.key], preserve=[Setting.value]).execute())


def propose_mapping(columns: list[str], remembered: dict[str, str | None] | None = None) -> dict[str, str | None]:
    """Each column's canonical field (None: kept as a custom field); a field is taken by its first column only."""
    remembered = remembered or {}
    mapping: dict[str, str | None] = {}
    taken: set[str] = set()
    for column in columns:
        if column in remembered:
            target = remembered[column]
        else:
            target = canonical_name(column)
        if target is not None and (target not in FIELDS_BY_NAME or target in taken):
            target = None
        if target:
            taken.add(target)
        mapping[column] = target
    return mapping


@dataclass
class FilePreview:
    """What the mapping dialog shows: the columns, the proposed mapping and the first rows."""

    path: Path
    columns: list[str]
    mapping: dict[str, str | None]
    sample: list[dict[str, Any]]
    encoding: str


def preview_file(path: Path | str, lander_id: int | None = None, rows: int = 5) -> FilePreview:
    """Read the columns and first rows of a lead file and propose a mapping (remembered choices first)."""
    path = Path(path)
    source = open_lead_file(path)
    sample = []
    for _line, values in source.rows:
        if type(values) is list:
            sample.append(dict(zip(source.columns, values, strict=False)))
        elif "__bad__" not in values:
            sample.append(values)
        if len(sample) >= rows:
            break
    _close(source.rows)
    remembered = remembered_mapping(lander_id) if lander_id else {}
    return FilePreview(path, source.columns, propose_mapping(source.columns, remembered), sample, source.encoding)


def _close(iterator: Any) -> None:
    close = getattr(iterator, "close", None)
    if close:
        close()


def looks_like_lead_file(path: Path) -> bool:
    """Whether a file's content is a list of leads (for routing drops): its columns name two or more contact
    fields, and a row carries a phone or an e-mail. Landers CSVs and posting docs do not."""
    path = Path(path)
    if path.suffix.lower() not in LEAD_FILE_SUFFIXES or not path.is_file():
        return False
    try:
        from xsc_desktop.lander_import import looks_like_landers_csv

        if path.suffix.lower() in (".csv", ".tsv", ".txt") and looks_like_landers_csv(path):
            return False
        preview = preview_file(path, rows=5)
    except (UserError, OSError, ValueError):
        return False
    targets = {t for t in preview.mapping.values() if t}
    if len(targets & set(CONTACT_FIELDS)) < 2:
        return False
    phone_cols = [c for c, t in preview.mapping.items() if t in ("phone", "email")]
    return any(_reachable(row.get(c)) for row in preview.sample for c in phone_cols)


def _reachable(value: Any) -> bool:
    text = "" if value is None else str(value)
    return "@" in text or normalise_phone(text) is not None


# ---- normalising one row -------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _state(text: str) -> str | None:
    return normalise_state(text)


@lru_cache(maxsize=8192)
def _datetime(text: str) -> datetime | None:
    return parse_datetime(text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()




def _text_cell(text: str, column: str, problems: list[str]) -> str:
    return text


def _phone_cell(text: str, column: str, problems: list[str]) -> str:
    phone = normalise_phone(text)
    if phone is None:
        problems.append(f"{column} {text[:40]!r} is not a US phone number; kept as written")
        return text
    return phone


def _email_cell(text: str, column: str, problems: list[str]) -> str:
    email = text.lower()
    if not EMAIL_RE.match(email):
        problems.append(f"{column} {text[:60]!r} is not an e-mail address; kept as written")
    return email


def _state_cell(text: str, column: str, problems: list[str]) -> str:
    code = _state(text)
    if code is None:
        problems.append(f"{column} {text[:40]!r} is not a US state; kept as written")
        return text
    return code


@lru_cache(maxsize=8192)
def _moment(text: str, kind: str) -> str | datetime | None:
    moment = _datetime(text)
    if moment is None:
        return None
    return moment.date().isoformat() if kind == "date" else naive_utc(moment)


def _date_cell(text: str, column: str, problems: list[str]) -> str:
    value = _moment(text, "date")
    if value is None:
        problems.append(f"{column} {text[:40]!r} is not a date; kept as written")
        return text
    return value


def _datetime_cell(text: str, column: str, problems: list[str]) -> str | datetime:
    value = _moment(text, "datetime")
    if value is None:
        problems.append(f"{column} {text[:40]!r} is not a date; kept as written")
        return text
    return value


# A text cell (stripped, not empty, not too long) of each kind as `RowNormaliser._value` treats it; the per-row
# loop of CSV files calls these directly instead of walking `_value`'s chain of kinds for every cell.
_TEXT_CELL: dict[str, Callable[[str, str, list[str]], Any]] = {
    "text": _text_cell, "url": _text_cell, "zip": _text_cell, "phone": _phone_cell, "email": _email_cell,
    "state": _state_cell, "date": _date_cell, "datetime": _datetime_cell}


class RowNormaliser:
    """Turns one row (values by column) into Lead column values, noting problems in plain words."""

    def __init__(self, mapping: dict[str, str | None], columns: list[str] | None = None) -> None:
        # (column, target, kind) worked out once: this loop runs for every cell of a 200 MB file.
        self.triples = [(column, target, FIELDS_BY_NAME[target].kind if target else "")
                        for column, target in mapping.items()]
        self.known = frozenset(mapping) | {"__bad__"}
        self.order = {column: i for i, (column, _target, _kind) in enumerate(self.triples)}
        # Rows read as lists (CSV) are taken by position: (index, column, target, what to do with a short text);
        # None for a custom field or a text kept as written, else the kind's function.
        self.positions: list[tuple[int, str, str | None, Callable[[str, str, list[str]], Any] | None]] = []
        for i, column in enumerate(columns or ()):
            target = mapping.get(column)
            kind = FIELDS_BY_NAME[target].kind if target else ""
            cell = _TEXT_CELL.get(kind, functools.partial(self._text_value, target, kind)) if target else None
            self.positions.append((i, column, target, None if cell is _text_cell else cell))

    def _text_value(self, target: str, kind: str, text: str, column: str, problems: list[str]) -> Any:
        # A short stripped text of a kind without its own function (yes/no...): `_value` gives the same for it.
        return self._value(target, kind, text, column, problems)

    def normalise(self, values: dict[str, Any] | list[Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        """(canonical values, custom fields, problems) of one row (values by column, or a list in column order)."""
        if type(values) is list:
            return self._normalise_list(values)
        lead: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        problems: list[str] = []
        if len(values) * 4 < len(self.triples):
            # A record with few of the file's many columns: look up its own keys, not every column (JSON records
            # with many distinct keys made this quadratic).
            triples = self.triples
            mine = sorted(self.order[column] for column in values if column in self.order)
            cells = [(values[triples[i][0]], *triples[i]) for i in mine]
        else:
            cells = [(values.get(column), column, target, kind) for column, target, kind in self.triples]
        for raw, column, target, kind in cells:
            if raw is None or raw == "":
                continue
            if target is None:
                text = raw.strip() if type(raw) is str else _text(raw)
                if text:
                    custom[column] = text[:MAX_VALUE_CHARS]
                continue
            if kind == "text" and type(raw) is str and len(raw) <= MAX_VALUE_CHARS:  # the common cell, inline
                text = raw.strip()
                if text:
                    lead[target] = text
                continue
            value = self._value(target, kind, raw, column, problems)
            if value is not None and value != "":
                lead[target] = value
        for column in values.keys() - self.known:  # keys that appear only in later JSON records
            text = _text(values[column])
            if not text:
                continue
            target = canonical_name(column)
            if target and target not in lead:
                value = self._value(target, FIELDS_BY_NAME[target].kind, values[column], column, problems)
                if value is not None and value != "":
                    lead[target] = value
            else:
                custom[column] = text[:MAX_VALUE_CHARS]
        return lead, custom, problems

    def _normalise_list(self, values: list[Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        """`normalise` of a row read as a list in column order (CSV): the same results, with a row of short texts
        (every CSV row but a broken one) taken cell by cell with no other checks."""
        lead: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        problems: list[str] = []
        try:
            short = max(map(len, values), default=0) <= MAX_VALUE_CHARS
        except TypeError:
            short = False
        if short:
            for i, column, target, cell in self.positions:
                raw = values[i]
                if type(raw) is not str:
                    break  # not text after all: the careful way below, from the start
                text = raw.strip()
                if text:
                    if target is None:
                        custom[column] = text
                    elif cell is None:
                        lead[target] = text
                    else:
                        lead[target] = cell(text, column, problems)
            else:
                return lead, custom, problems
            lead, custom, problems = {}, {}, []
        for i, column, target, _cell in self.positions:
            raw = values[i]
            if raw is None or raw == "":
                continue
            if target is None:
                text = raw.strip() if type(raw) is str else _text(raw)
                if text:
                    custom[column] = text[:MAX_VALUE_CHARS]
                continue
            value = self._value(target, FIELDS_BY_NAME[target].kind, raw, column, problems)
            if value is not None and value != "":
                lead[target] = value
        return lead, custom, problems

    def _value(self, target: str, kind: str, raw: Any, column: str, problems: list[str]) -> Any:
        text = raw.strip() if type(raw) is str else _text(raw)
        if len(text) > MAX_VALUE_CHARS:
            problems.append(f"{column} is {len(text):,} characters long; kept the first {MAX_VALUE_CHARS:,}")
            text = text[:MAX_VALUE_CHARS]
        if not text:
            return None
        if kind == "text" or kind == "url":  # most columns: nothing to normalise
            return text
        if kind == "phone":
            phone = normalise_phone(text)
            if phone is None:
                problems.append(f"{column} {text[:40]!r} is not a US phone number; kept as written")
                return text
            return phone
        if kind == "email":
            email = text.lower()
            if not EMAIL_RE.match(email):
                problems.append(f"{column} {text[:60]!r} is not an e-mail address; kept as written")
            return email
        if kind == "state":
            code = _state(text)
            if code is None:
                problems.append(f"{column} {text[:40]!r} is not a US state; kept as written")
                return text
            return code
        if kind == "zip":
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                return zip5(_text(raw))  # a spreadsheet number lost its leading zeros
            return text
        if kind in ("date", "datetime"):
            if isinstance(raw, datetime):
                moment: datetime | None = raw
            elif isinstance(raw, date):
                moment = datetime(raw.year, raw.month, raw.day)
            else:
                moment = _datetime(text)
            if moment is None:
                problems.append(f"{column} {text[:40]!r} is not a date; kept as written")
                return text
            if kind == "date":
                return moment.date().isoformat()
            return naive_utc(moment)
        if kind == "yesno":
            answer = parse_yes_no(raw)
            return text if answer is None else ("yes" if answer else "no")
        return text


def _external_id(lead: dict[str, Any], custom: dict[str, Any]) -> str:
    given = lead.pop("lead_id", None)
    if given:
        return str(given)[:200]
    # No id in the file: the same values give the same id, so importing the file again adds nothing.
    digest = hashlib.sha1(json.dumps([sorted((k, str(v)) for k, v in lead.items()), sorted(custom.items())],
                                     ensure_ascii=False).encode("utf-8")).hexdigest()[:20]
    return f"row-{digest}"


# ---- storing -------------------------------------------------------------------------------------------------
def _check_lander(lander_id: int) -> Lander:
    lander = Lander.get_or_none(Lander.id == lander_id)
    if lander is None:
        raise UserError(f"There is no lander with id {lander_id}; `xsc-desktop landers list` shows them.")
    return lander


# The custom fields as the JSONField stores them (same text as json.dumps with these options, built once).
_CUSTOM_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def _custom_json(custom: dict[str, Any]) -> str:
    """`_CUSTOM_JSON(custom)`, written directly for the usual custom fields (text by text name): the encoder's
    own string escaping, without its per-call setup, which costs more than the few fields of a lead."""
    try:
        if len(custom) == 1:
            for name, value in custom.items():
                return "{" + encode_basestring(name) + ": " + encode_basestring(value) + "}"
        return "{" + ", ".join([encode_basestring(name) + ": " + encode_basestring(value)
                                for name, value in sorted(custom.items())]) + "}"
    except TypeError:  # a name or value that is not text: the encoder knows what to do
        return _CUSTOM_JSON(custom)


class _Writer:
    """Buffers normalised rows and writes them in batches, with the duplicate rule applied per batch."""

    def __init__(self, lander_id: int, report: ImportReport, now: datetime, duplicate_days: int,
                 on_conflict: str = "skip") -> None:
        self.lander_id = lander_id
        self.report = report
        self.now = now
        self.duplicate_days = duplicate_days
        self.on_conflict = on_conflict
        self.rows: list[tuple[int, dict[str, Any]]] = []
        self._sql: dict[tuple[str, ...], str] = {}

    def _insert_sql(self, fields: tuple[str, ...]) -> str:
        # Only the columns the batch fills: binding 40 NULLs per row costs more than the insert itself.
        sql = self._sql.get(fields)
        if sql is None:
            columns = (*INSERT_COLUMNS[:9], *fields)
            p = database.param
            sql = self._sql[fields] = (f'INSERT INTO "lead" ({", ".join(columns)}) '
                                       f'VALUES ({", ".join(p for _ in columns)}) ON CONFLICT DO NOTHING')
        return sql

    def add(self, line: int, record: dict[str, Any]) -> None:
        self.rows.append((line, record))
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        batch, self.rows = self.rows, []
        now_text = self.now.isoformat(sep=" ")
        with database.atomic():
            if self.duplicate_days > 0:
                self._flag_duplicates(batch)
            present: set[str] = set().union(*[r["lead"] for _line, r in batch])
            fields = tuple(name for name in LEAD_FIELD_COLUMNS if name in present)
            params = []
            stamps: dict[datetime, str] = {}  # a file's capture times repeat (and parse to the same objects)
            for _line, r in batch:
                captured = r["captured_at"]
                if captured is not None:
                    stamp = stamps.get(captured)
                    if stamp is None:
                        stamp = stamps[captured] = captured.isoformat(sep=" ")
                else:
                    stamp = None
                custom = _custom_json(r["custom"]) if r["custom"] else "{}"
                params.append((self.lander_id, r["external_id"], stamp, now_text, custom, False,
                               r["duplicate_of"], r["problems"], r["delivery_state"], *map(r["lead"].get, fields)))
            scrub = storage.text_scrubber(database)
            if scrub is not None:
                params = [scrub(row) for row in params]
            cursor = database.cursor()
            sql = self._insert_sql(fields)
            inserted = storage.inserted_count(database, cursor, lambda: cursor.executemany(sql, params))
        self.report.imported += inserted
        self.report.already_there += len(batch) - inserted
        # Counted only for rows really stored (a re-import of a held row is "already there").
        if inserted == len(batch):
            for _l, r in batch:
                state = r["delivery_state"]
                if state == "held":
                    self.report.held += 1
                elif state == "duplicate":
                    self.report.duplicates += 1
                elif state == RECORDS_ONLY:
                    self.report.records_only += 1
        else:
            self._count_states_of_new(batch)

    def _count_states_of_new(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        ids = [r["external_id"] for _l, r in batch]
        found = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            query = (Lead.select(Lead.external_id, Lead.delivery_state, Lead.received_at, *_PERSON_COLUMNS)
                     .where((Lead.lander == self.lander_id) & Lead.external_id.in_(chunk)).tuples())
            found.update({row[0]: row[1:] for row in query})
        again: list[tuple[int, dict[str, Any]]] = []
        for line, r in batch:
            state, received, *person = found.get(r["external_id"], (None, None))
            if received == self.now:
                if state == "held":
                    self.report.held += 1
                elif state == "duplicate":
                    self.report.duplicates += 1
                elif state == RECORDS_ONLY:
                    self.report.records_only += 1
            elif state is not None:
                differs = _person_differs(person, r["lead"])
                if differs:
                    again.append((line, r))
                    self.report.already_there -= 1
                    if self.on_conflict != "new":
                        self.report.conflicts.append((line, r["external_id"], differs))
        if again and self.on_conflict == "new":
            self._insert_as_new(again)

    def _insert_as_new(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Rows whose id belongs to another person: stored under the id with "#2", "#3"... unless that person is
        already stored under one of those ids (importing the same file twice adds nothing twice)."""
        fresh: list[tuple[int, dict[str, Any]]] = []
        for line, r in rows:
            base = r["external_id"]
            taken = {e: person for e, *person in Lead.select(Lead.external_id, *_PERSON_COLUMNS).where(
                (Lead.lander == self.lander_id) & (Lead.external_id.startswith(base + "#"))).tuples()}
            if any(not _person_differs(person, r["lead"]) for person in taken.values()):
                self.report.already_there += 1
                continue
            number = 2
            while f"{base}#{number}" in taken or any(f"{base}#{number}" == o["external_id"] for _l, o in fresh):
                number += 1
            r["external_id"] = f"{base}#{number}"
            fresh.append((line, r))
        if not fresh:
            return
        before = self.report.imported
        self.rows = fresh
        self.flush()
        self.report.imported_as_new += self.report.imported - before

    def _flag_duplicates(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        since = (self.now - timedelta(days=self.duplicate_days)).isoformat(sep=" ")
        phones = {r["lead"]["phone"] for _l, r in batch if r["lead"].get("phone")}
        emails = {r["lead"]["email"] for _l, r in batch if r["lead"].get("email")}
        known: dict[tuple[str, str], int] = {}
        for column, values in (("phone", phones), ("email", emails)):
            values_list = list(values)
            for start in range(0, len(values_list), 400):
                chunk = values_list[start:start + 400]
                p = database.param
                marks = ", ".join(p for _ in chunk)
                sql = (f'SELECT {column}, MIN(id) FROM "lead" WHERE lander_id = {p} AND received_at >= {p} '
                       f"AND {column} IN ({marks}) GROUP BY {column}")
                for value, lead_id in database.execute_sql(sql, (self.lander_id, since, *chunk)):
                    known[(column, value)] = lead_id
        seen_in_batch: dict[tuple[str, str], str] = {}
        for line, r in batch:
            if r["delivery_state"] != "new":
                continue
            keys = [(c, r["lead"][c]) for c in ("phone", "email") if r["lead"].get(c)]
            earlier = next((known[k] for k in keys if k in known), None)
            same_file = next((seen_in_batch[k] for k in keys if k in seen_in_batch), None)
            if earlier is not None or same_file is not None:
                r["delivery_state"] = "duplicate"
                r["duplicate_of"] = earlier
                what = "an earlier lead" if earlier is not None else f"the lead of line {same_file}"
                r["problems"] = "; ".join(filter(None, [r["problems"], f"same phone or e-mail as {what} within "
                                                                       f"{self.duplicate_days} days"]))
            for k in keys:
                seen_in_batch.setdefault(k, str(line))


_PERSON_COLUMNS = (Lead.phone, Lead.email, Lead.first_name, Lead.last_name)
_PERSON_WORDS = ("phone", "e-mail", "first name", "last name")


def _person_differs(stored: list[Any], lead: dict[str, Any]) -> str:
    """What tells a stored lead's person from a row's ("phone, e-mail"), or "" when they may be the same person:
    a field differs only when both have it."""
    differs = []
    for word, old, name in zip(_PERSON_WORDS, stored, ("phone", "email", "first_name", "last_name"), strict=True):
        new = lead.get(name)
        if old and new and str(old).strip().casefold() != str(new).strip().casefold():
            differs.append(word)
    return ", ".join(differs)


def records_cutoff(now: datetime, hours: int | None = None) -> datetime:
    """The capture time before which an "auto" import keeps leads for records only."""
    if hours is None:
        hours = int(settings.get("leads.records_only_after_hours"))
    return now - timedelta(hours=hours)


def _prepare(line: int, values: dict[str, Any] | list[Any], normaliser: RowNormaliser,
             report: ImportReport) -> dict | None:
    if type(values) is dict and "__bad__" in values:
        report.problem(line, f"Line {line} {values['__bad__']}; not imported")
        return None
    lead, custom, problems = normaliser.normalise(values)
    captured = lead.pop("created_at", None)
    if isinstance(captured, str):
        captured = None  # an unreadable capture time stays in the problems, the lead keeps its receive time
    if lead.get("full_name") and not (lead.get("first_name") or lead.get("last_name")):
        first, _, last = str(lead["full_name"]).partition(" ")
        lead["first_name"], lead["last_name"] = first, last.strip() or None
    state = "new"
    phone, email = lead.get("phone"), lead.get("email")
    phone_ok = bool(phone) and len(phone := str(phone)) == 10 and phone.isdigit()
    email_ok = bool(email) and "@" in str(email)
    if not phone_ok and not email_ok:
        state = "held"
        problems.append("no phone or e-mail, so it cannot be delivered; kept as held")
    for message in problems:
        report.problem(line, message)
    external_id = _external_id(lead, custom)
    return {"lead": lead, "custom": custom, "external_id": external_id, "captured_at": captured,
            "problems": "; ".join(problems), "delivery_state": state, "duplicate_of": None}


def import_rows(lander_id: int, rows: Iterator[tuple[int, dict[str, Any]]], mapping: dict[str, str | None],
                report: ImportReport, *, now: datetime | None = None,
                progress: Callable[[int], None] | None = None,
                cancel: threading.Event | None = None, columns: list[str] | None = None,
                delivery: str = "deliver", on_conflict: str = "skip") -> ImportReport:
    """Normalise and store rows (line, values by column — or lists in the order of `columns`) for a lander;
    shared by file import and feed pull (which delivers everything)."""
    if delivery not in DELIVERY_CHOICES:
        raise UserError(f"Choose to deliver the leads or keep them for records only, not {delivery}.")
    if on_conflict not in CONFLICT_CHOICES:
        raise UserError(f"Leads whose id belongs to another person are skipped or imported as new, not {on_conflict}.")
    now = naive_utc(now) if now else utcnow()
    normaliser = RowNormaliser(mapping, columns)
    writer = _Writer(lander_id, report, now, int(settings.get("delivery.duplicate_days") or 0), on_conflict)
    batch = writer.rows
    cutoff = None
    if delivery == "auto":
        report.records_after_hours = int(settings.get("leads.records_only_after_hours"))
        cutoff = records_cutoff(now, report.records_after_hours)
    keep_all = delivery == "records"
    for count, (line, values) in enumerate(rows, 1):
        report.rows += 1
        record = _prepare(line, values, normaliser, report)
        if record is not None:
            if record["delivery_state"] == "new" and (
                    keep_all or (cutoff is not None and record["captured_at"] is not None
                                 and record["captured_at"] < cutoff)):
                record["delivery_state"] = RECORDS_ONLY
            batch.append((line, record))  # `writer.add`, inline: this loop runs for every row
            if len(batch) >= BATCH_ROWS:
                writer.flush()
                batch = writer.rows
        if count % 1000 == 0:
            if progress is not None:
                progress(count)
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
    writer.flush()
    if report.imported >= OPTIMIZE_AFTER_ROWS:  # fresh planner statistics once the table has grown a lot
        from xsc_desktop import db

        db.optimize()
    return report


OPTIMIZE_AFTER_ROWS = 10_000


def import_file(path: Path | str, lander_id: int, mapping: dict[str, str | None] | None = None, *,
                remember: bool = True, progress: Callable[[int, int], None] | None = None,
                cancel: threading.Event | None = None, now: datetime | None = None,
                delivery: str = "auto", on_conflict: str = "skip") -> ImportReport:
    """Import a lead file for a lander, streaming; `progress(done, total)` is called now and then, `cancel`
    stops after the current batch (what was stored stays). `delivery` and `on_conflict` as the module says.
    Returns the report; raises UserError when the file cannot be read at all."""
    path = Path(path)
    lander = _check_lander(lander_id)
    source = open_lead_file(path)
    if mapping is None:
        mapping = propose_mapping(source.columns, remembered_mapping(lander.id))
    else:
        mapping = {c: (mapping.get(c) or None) for c in source.columns} | {
            c: t for c, t in mapping.items() if c not in source.columns}
    report = ImportReport(file=path.name, lander_id=lander.id, mapping=dict(mapping), encoding=source.encoding)
    on_rows = (lambda _n: progress(source.position(), source.total)) if progress else None
    try:
        import_rows(lander.id, source.rows, mapping, report, now=now, progress=on_rows, cancel=cancel,
                    columns=source.columns, delivery=delivery, on_conflict=on_conflict)
    finally:
        _close(source.rows)
    for line, message in source.errors:
        report.problem(line, message)
        report.error = message + "."
    counter = getattr(source, "_counter", None)
    if counter and counter[1]:
        report.encoding = f"mixed UTF-8 and cp1252 ({counter[1]} lines read as cp1252)"
    elif counter and source.encoding == "utf-8" and counter[1] == 0:
        report.encoding = "utf-8"
    if remember:
        remember_mapping(lander.id, mapping)
    if progress is not None:
        progress(source.total, source.total)
    from xsc_desktop import activity

    activity.record("lander", lander.id, "leads imported", note=report.summary())
    events.publish("lead.imported", lander_id=lander.id, count=report.imported, file=path.name)
    return report


# ---- feed pull -----------------------------------------------------------------------------------------------
FEED_TIMEOUT = 30.0
FEED_MAX_BYTES = 50 * 1024 * 1024
FEED_MAX_PAGES = 1000  # per poll, so a feed that never ends cannot hold the scheduler


class FeedError(UserError):
    """A feed answered something that is not a list of leads; nothing was stored from that answer."""


def _fetch_feed_page(session, url: str, cursor: str | None) -> tuple[list[Any], str | None]:
    import requests
    import urllib3

    params = {"cursor": cursor} if cursor else None
    try:
        response = session.get(url, params=params, timeout=FEED_TIMEOUT, stream=True,
                                headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise FeedError(f"The lead feed {url} did not answer ({exc.__class__.__name__}); it is tried again at the "
                        "next poll.") from None
    try:
        # Reading the raw stream bypasses requests' error wrapping: a body cut short or stalled surfaces as
        # urllib3's own errors (IncompleteRead, ProtocolError, ReadTimeoutError) or a bare socket error.
        body = response.raw.read(FEED_MAX_BYTES + 1, decode_content=True)
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        raise FeedError(f"The lead feed {url} stopped in the middle of its answer ({exc.__class__.__name__}); "
                        "nothing from that page was stored and it is tried again at the next poll.") from None
    finally:
        response.close()
    if len(body) > FEED_MAX_BYTES:
        raise FeedError(f"The lead feed {url} sent more than 50 MB in one page; ask for smaller pages.")
    if response.status_code >= 500:
        raise FeedError(f"The lead feed {url} answered HTTP {response.status_code} (a fault on its side); it is "
                        "tried again at the next poll.")
    if response.status_code >= 400:
        raise FeedError(f"The lead feed {url} answered HTTP {response.status_code}; check the feed URL.")
    text = body.decode("utf-8", errors="replace").strip()
    if text[:1] == "<":
        raise FeedError(f"The lead feed {url} answered a web page instead of JSON; check the feed URL.")
    try:
        document = json.loads(text)
    except ValueError:
        raise FeedError(f"The lead feed {url} answered something that is not valid JSON; nothing from it was "
                        "stored and it is tried again at the next poll.") from None
    items = _feed_items(document)
    if items is None:
        raise FeedError(f"The lead feed {url} answered JSON without a list of leads; it must answer [...] or "
                        "{\"leads\": [...], \"next\": cursor}.")
    next_cursor = document.get("next") if isinstance(document, dict) else None
    return items, (None if next_cursor in (None, "") else str(next_cursor))


def _goes_back(old: str | None, new: str) -> bool:
    if old is None:
        return False
    if new == old:
        return True
    try:
        return float(new) < float(old)
    except ValueError:
        return False


def pull_feed(lander_id: int, *, session=None, now: datetime | None = None, max_pages: int = FEED_MAX_PAGES
              ) -> ImportReport:
    """Fetch new leads from the lander's feed, page by page; each page's leads and the next cursor are stored
    in one transaction, so a restart resumes where it stopped (no lead skipped, none stored twice)."""
    import requests

    lander = _check_lander(lander_id)
    if not lander.feed_url:
        raise UserError(f"Lander {lander.id} has no feed URL; set one on the lander first.")
    own = session is None
    session = session or requests.Session()
    report = ImportReport(file=lander.feed_url, lander_id=lander.id, encoding="json")
    cursor = lander.feed_cursor or None
    seen_cursors = {cursor}
    try:
        for _page in range(max_pages):
            items, next_cursor = _fetch_feed_page(session, lander.feed_url, cursor)
            records = []
            for number, item in enumerate(items, report.rows + 1):
                records.append((number, _flatten(item) if isinstance(item, dict)
                                else {"__bad__": "is not an object of field: value"}))
            columns: list[str] = []
            for _n, values in records:
                columns.extend(c for c in values if c not in columns and c != "__bad__")
            mapping = propose_mapping(columns, remembered_mapping(lander.id))
            backwards = next_cursor is not None and (next_cursor in seen_cursors or _goes_back(cursor, next_cursor))
            with database.atomic():
                import_rows(lander.id, iter(records), mapping, report, now=now)
                if next_cursor is not None and not backwards:
                    Lander.update(feed_cursor=next_cursor).where(Lander.id == lander.id).execute()
            if backwards:
                report.error = (f"The lead feed {lander.feed_url} sent the cursor {next_cursor!r}, which goes back "
                                f"from {cursor!r}; the leads were kept, the cursor was not moved back, and the "
                                "feed's owner should check it.")
                break
            if next_cursor is None or not items:
                break
            seen_cursors.add(next_cursor)
            cursor = next_cursor
    except FeedError as exc:
        report.error = str(exc)
    finally:
        if own:
            session.close()
    if report.imported:
        events.publish("lead.imported", lander_id=lander.id, count=report.imported, file=lander.feed_url)
    return report


def set_feed(lander_id: int, url: str | None, *, actor: str | None = None) -> Lander:
    """Give a lander a lead feed URL (or take it away with None); a new URL starts from the feed's beginning,
    which is harmless: leads already stored are recognised by their external id."""
    from urllib.parse import urlsplit

    from xsc_desktop import activity

    lander = _check_lander(lander_id)
    url = (url or "").strip() or None
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise UserError(f"{url!r} is not a web address; a feed URL starts with https:// (or http://).")
    if url != lander.feed_url:
        Lander.update(feed_url=url, feed_cursor=None, updated_at=utcnow()).where(Lander.id == lander.id).execute()
        activity.record("lander", lander.id, "feed set" if url else "feed removed", note=url or "", actor=actor)
        events.publish("lander.changed", lander_id=lander.id)
    return Lander.get_by_id(lander.id)


def pull_all_feeds(now: datetime | None = None) -> list[ImportReport]:
    """One poll of every lander that has a feed URL (the scheduler's job); failures are reported, not raised."""
    reports = []
    for lander in Lander.select(Lander.id).where(Lander.feed_url.is_null(False) & (Lander.feed_url != "")
                                                 & (Lander.status != "archived")):
        try:
            report = pull_feed(lander.id, now=now)
        except UserError as exc:
            report = ImportReport(file="", lander_id=lander.id, error=str(exc))
        except Exception as exc:  # one broken feed (or a bug it triggers) must not keep the others from polling
            from xsc_desktop.faults import user_error

            known = user_error(exc)  # a locked database, a full disk: its own sentence
            if known is None:
                log.exception("Pulling the feed of lander %s failed unexpectedly", lander.id)
            report = ImportReport(file="", lander_id=lander.id, error=str(known) if known else (
                f"Pulling this lander's feed failed unexpectedly ({exc.__class__.__name__}); "
                "the other feeds were polled and this one is tried again at the next poll."))
        if report.error:
            log.warning("Feed of lander %s: %s", lander.id, report.error)
        reports.append(report)
    return reports


# ---- reading leads back (CLI, export, the Leads page) --------------------------------------------------------
def lead_json(lead: Lead) -> dict[str, Any]:
    """A lead as JSON: id, external_id, lander_id, canonical fields by their names, custom fields, state."""
    out: dict[str, Any] = {"id": lead.id, "external_id": lead.external_id, "lander_id": lead.lander_id}
    for name in FIELD_NAMES:
        if name == "lead_id":
            out[name] = lead.external_id
        elif name == "created_at":
            out[name] = lead.captured_at.isoformat(sep=" ") if lead.captured_at else None
        else:
            out[name] = getattr(lead, name)
    out["custom"] = lead.custom or {}
    out["delivery_state"] = lead.delivery_state
    out["received_at"] = lead.received_at.isoformat(sep=" ") if lead.received_at else None
    out["is_test"] = bool(lead.is_test)
    out["problems"] = lead.problems or ""
    return out


def lead_for_render(lead: Lead) -> dict[str, Any]:
    """The values a parser renders from: canonical fields (lead_id = our external id) plus custom fields."""
    values: dict[str, Any] = dict(lead.custom or {})
    for name in LEAD_FIELD_COLUMNS:
        value = getattr(lead, name)
        if value not in (None, ""):
            values[name] = value
    values["lead_id"] = lead.external_id or str(lead.id)
    if lead.captured_at:
        values["created_at"] = lead.captured_at
    return values


def list_leads(lander_id: int | None = None, state: str | None = None, limit: int | None = None):
    """Leads, newest first, optionally of one lander and one delivery state."""
    query = Lead.select().order_by(Lead.id.desc())
    if lander_id is not None:
        query = query.where(Lead.lander == lander_id)
    if state:
        query = query.where(Lead.delivery_state == state)
    if limit:
        query = query.limit(limit)
    return query.iterator()


EXPORT_COLUMNS: tuple[str, ...] = ("id", "external_id", "lander_id", "received_at", "delivery_state",
                                   *[n for n in FIELD_NAMES if n != "lead_id"])


def export_csv(path: Path | str, *, lander_id: int | None = None, lead_ids: list[int] | None = None) -> int:
    """Write leads (of a lander, or the given ids) to a CSV file, custom fields as extra columns; returns the
    row count. Values that a spreadsheet would run as formulas are prefixed with a quote."""
    path = Path(path)
    if lead_ids is not None:
        def leads_iter():
            for start in range(0, len(lead_ids), 500):
                yield from Lead.select().where(Lead.id.in_(lead_ids[start:start + 500])).order_by(Lead.id)
    else:
        def leads_iter():
            query = Lead.select().order_by(Lead.id)
            if lander_id is not None:
                query = query.where(Lead.lander == lander_id)
            yield from query.iterator()
    # Custom columns are known only after a pass; collect them from a grouped query instead of holding leads.
    custom_names: list[str] = []
    for lead in leads_iter():
        for key in lead.custom or {}:
            if key not in custom_names:
                custom_names.append(key)
    count = 0
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow([*EXPORT_COLUMNS, *custom_names])
            for lead in leads_iter():
                data = lead_json(lead)
                row = [data.get(c) for c in EXPORT_COLUMNS] + [(lead.custom or {}).get(c) for c in custom_names]
                writer.writerow([_safe_cell(v) for v in row])
                count += 1
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"Could not write {path} ({exc.strerror}); pick another folder.") from None
    return count


def _safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _NUMBERISH.match(value):
        return "'" + value
    return "" if value is None else value


_NUMBERISH = re.compile(r"^[+-]?\d[\d\s().-]*$")


def lander_counts(lander_id: int, now: datetime | None = None) -> dict[str, int]:
    """Leads of a lander: received today (since local midnight in the operator's zone), delivered, failed,
    pending — from one grouped query. `now` is naive UTC (or aware)."""
    from xsc_desktop.clock import local_day_bounds_utc, to_local

    start = local_day_bounds_utc(to_local(now or utcnow()).date())[0].isoformat(sep=" ")
    # One pass over the lander's index entries, no grouping (a GROUP BY here would sort the lander's leads).
    p = database.param
    sql = (f"SELECT COUNT(*), SUM(CASE WHEN received_at >= {p} THEN 1 ELSE 0 END), "
           "SUM(CASE WHEN delivery_state = 'delivered' THEN 1 ELSE 0 END), "
           "SUM(CASE WHEN delivery_state IN ('failed', 'rejected', 'uncertain') THEN 1 ELSE 0 END), "
           "SUM(CASE WHEN delivery_state = 'held' THEN 1 ELSE 0 END), "
           f"SUM(CASE WHEN delivery_state = {p} THEN 1 ELSE 0 END) FROM \"lead\" WHERE lander_id = {p}")
    total, today, delivered, failed, held, records = (
        n or 0 for n in database.execute_sql(sql, (start, RECORDS_ONLY, lander_id)).fetchone())
    return {"today": today, "delivered": delivered, "failed": failed, "held": held, "records": records,
            "pending": total - delivered - failed - held - records, "total": total}


# ---- the scheduler job ---------------------------------------------------------------------------------------
def feeds_job(now: datetime) -> str:
    """The scheduler's "feeds" job: pull every lander's lead feed; one line of what came in."""
    reports = pull_all_feeds(now)
    if not reports:
        return "No lander has a lead feed."
    new = sum(r.imported for r in reports)
    failed = [r for r in reports if r.error]
    text = f"{new} new lead{'s' if new != 1 else ''} from {len(reports)} feed{'s' if len(reports) != 1 else ''}"
    return text + (f"; {len(failed)} feed{'s' if len(failed) != 1 else ''} with a problem." if failed else ".")


# ---- browsing millions of leads (the Leads page and its benchmark) -------------------------------------------
@dataclass(frozen=True)
class LeadFilter:
    """What the Leads page shows: client, lander, delivery state, received between two times, a search text."""

    client_id: int | None = None
    lander_id: int | None = None
    state: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition and its parameters; every part can use an index."""
        p = database.param
        parts: list[str] = []
        params: list[Any] = []
        if self.lander_id is not None:
            parts.append(f"lander_id = {p}")
            params.append(self.lander_id)
        elif self.client_id is not None:
            parts.append("lander_id IN (SELECT l.id FROM lander l JOIN campaign c ON c.id = l.campaign_id "
                         f"WHERE c.client_id = {p})")
            params.append(self.client_id)
        if self.state:
            parts.append(f"delivery_state = {p}")
            params.append(self.state)
        if self.since is not None:
            parts.append(f"received_at >= {p}")
            params.append(self.since.isoformat(sep=" "))
        if self.until is not None:
            parts.append(f"received_at < {p}")
            params.append(self.until.isoformat(sep=" "))
        text = self.text.strip()
        if text:
            sql, values = _search_condition(text)
            parts.append(sql)
            params.extend(values)
        return (" AND ".join(parts) or "1 = 1"), params


def _prefix(column: str, value: str) -> tuple[str, list[Any]]:
    # A range, not LIKE: SQLite uses the column's index for it whatever the collation.
    p = database.param
    return f"({column} >= {p} AND {column} < {p})", [value, value + "\U0010ffff"]


def _search_condition(text: str) -> tuple[str, list[Any]]:
    """Prefix search by e-mail, phone digits or last name (each an indexed range)."""
    if "@" in text:
        return _prefix("email", text.lower())
    digits = re.sub(r"\D", "", text)
    if digits and len(digits) >= 3 and not re.search(r"[A-Za-z]", text):
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        return _prefix("phone", digits)
    words = text.split()
    last = words[-1]
    variants = sorted({last, last.lower(), last.upper(), last[:1].upper() + last[1:].lower()})
    ors, params = [], []
    for variant in variants:
        sql, values = _prefix("last_name", variant)
        ors.append(sql)
        params.extend(values)
    sql, values = _prefix("email", last.lower())
    ors.append(sql)
    params.extend(values)
    condition = "(" + " OR ".join(ors) + ")"
    if len(words) > 1:  # "Ana Lee": the first word narrows the indexed last-name hits
        p = database.param
        condition += f" AND (first_name LIKE {p} OR full_name LIKE {p})"
        params.extend([words[0] + "%", words[0] + "%"])
    return condition, params


LIST_COLUMNS = ("id", "received_at", "lander_id", "first_name", "last_name", "full_name", "phone", "email", "state",
                "delivery_state", "external_id")


def count_leads(flt: LeadFilter) -> int:
    """How many leads match (a COUNT query answered from an index: never loads them)."""
    where, params = flt.where()
    return database.execute_sql(f'SELECT COUNT(*) FROM "lead" WHERE {where}', params).fetchone()[0]


# The page order is newest first by (received_at, id); a row's key is that pair, and every page read seeks on it
# (keyset), so reading anywhere costs the same as reading the top. The two sentinels bound the seek from either
# end, which keeps even the first page a SEARCH on an index.
Key = tuple[str, int]
_TOP: Key = ("\U0010ffff", 2 ** 62)
_BOTTOM: Key = ("", -1)


def _bound(key: Key) -> Key:
    """A key as the engine compares it: the two sentinels become the engine's own ends of time."""
    if key is _TOP:
        return storage.highest_timestamp(database), key[1]
    if key is _BOTTOM:
        return storage.lowest_timestamp(database), key[1]
    return key
_NEWEST_FIRST = "ORDER BY received_at DESC, id DESC"
_OLDEST_FIRST = "ORDER BY received_at ASC, id ASC"
_RECEIVED, _ID = LIST_COLUMNS.index("received_at"), LIST_COLUMNS.index("id")


def row_key(row: tuple) -> Key:
    """The (received_at, id) key of a row read by `lead_page`."""
    return (str(row[_RECEIVED]), row[_ID])


def _client_landers(client_id: int) -> list[int]:
    sql = ("SELECT l.id FROM lander l JOIN campaign c ON c.id = l.campaign_id "
           f"WHERE c.client_id = {database.param} ORDER BY l.id")
    return [r[0] for r in database.execute_sql(sql, (client_id,))]


def _seek(flt: LeadFilter, limit: int, key: Key, newest_first: bool, columns: str = "") -> list[tuple]:
    """Up to `limit` rows past `key` in one direction, each filter part on an index."""
    where, params = flt.where()
    columns = columns or ", ".join(LIST_COLUMNS)
    compare, order = ("<", _NEWEST_FIRST) if newest_first else (">", _OLDEST_FIRST)
    p = database.param
    key = _bound(key)
    sql = f'SELECT {columns} FROM "lead" WHERE {where} AND (received_at, id) {compare} ({p}, {p}) {order} LIMIT {p}'
    return list(database.execute_sql(sql, [*params, key[0], key[1], limit]))


def _seek_merged(flt: LeadFilter, limit: int, key: Key, newest_first: bool) -> list[tuple]:
    """A client's leads: one indexed seek per lander reading only keys, merged, then the rows by id (one SQL over
    all the client's landers would sort them all)."""
    if flt.lander_id is not None or flt.client_id is None:
        return _seek(flt, limit, key, newest_first)
    parts = [_seek(replace(flt, client_id=None, lander_id=lander), limit, key, newest_first, "received_at, id")
             for lander in _client_landers(flt.client_id)]
    merged = heapq.merge(*parts, reverse=newest_first)
    return _rows_by_id([i for _, i in itertools.islice(merged, limit)])


def _keys_at(flt: LeadFilter, limit: int, offset: int, newest_first: bool) -> list[int]:
    """The ids of `limit` rows `offset` rows from one end, read from the index alone."""
    where, params = flt.where()
    compare, key, order = ("<", _TOP, _NEWEST_FIRST) if newest_first else (">", _BOTTOM, _OLDEST_FIRST)
    p = database.param
    key = _bound(key)
    sql = (f'SELECT id FROM "lead" WHERE {where} AND (received_at, id) {compare} ({p}, {p}) {order} '
           f"LIMIT {p} OFFSET {p}")
    return [r[0] for r in database.execute_sql(sql, [*params, key[0], key[1], limit, offset])]


def _rows_by_id(ids: list[int]) -> list[tuple]:
    if not ids:
        return []
    columns = ", ".join(LIST_COLUMNS)
    sql = f'SELECT {columns} FROM "lead" WHERE id IN ({", ".join(database.param for _ in ids)})'
    found = {row[_ID]: row for row in database.execute_sql(sql, ids)}
    return [found[i] for i in ids if i in found]


TEXT_KEYS_LIMIT = 50_000  # a search matching more leads than this is paged in SQL like the other filters


def _text_keys(flt: LeadFilter) -> list[Key] | None:
    """The (received_at, id) keys of a search's leads, oldest first, or None when there are too many.

    A search reads its few matches off the e-mail, phone and last-name indexes and sorts them here: asked for an
    order, the planner would walk the received-time index through millions of leads looking for them."""
    if not flt.text.strip():
        return None
    where, params = flt.where()
    rows = database.execute_sql(f'SELECT received_at, id FROM "lead" WHERE {where} LIMIT {database.param}',
                                [*params, TEXT_KEYS_LIMIT + 1]).fetchall()
    if len(rows) > TEXT_KEYS_LIMIT:
        return None
    return sorted((str(received), lead_id) for received, lead_id in rows)


def _text_page(keys: list[Key], limit: int, after: Key | None, before: Key | None, offset: int,
               from_end: bool) -> list[tuple]:
    # `keys` run oldest first; the page shows newest first.
    if after is not None:
        stop = bisect.bisect_left(keys, after)
        chosen = keys[max(0, stop - limit):stop]
    elif before is not None:
        start = bisect.bisect_right(keys, before)
        chosen = keys[start:start + limit]
    elif from_end:
        chosen = keys[offset:offset + limit]
    else:
        stop = len(keys) - offset
        chosen = keys[max(0, stop - limit):max(0, stop)]
    return _rows_by_id([i for _, i in reversed(chosen)])


def count_quickly(flt: LeadFilter) -> tuple[int, bool]:
    """(how many leads match, whether that is exact): every filtered count is exact and read from an index; with
    no filter at all the id span stands in (exact unless leads were deleted) while `count_leads` walks an index."""
    if flt == LeadFilter():
        # Two subqueries: SQLite answers a lone MIN or MAX from the index's end, but both at once by a full scan.
        low, high = database.execute_sql('SELECT (SELECT MIN(id) FROM "lead"), (SELECT MAX(id) FROM "lead")').fetchone()
        return (high - low + 1 if high is not None else 0), high is None
    keys = _text_keys(flt)
    return (len(keys) if keys is not None else count_leads(flt)), True


def lead_page(flt: LeadFilter, limit: int, *, after: Key | None = None, before: Key | None = None,
              offset: int = 0, from_end: bool = False) -> list[tuple]:
    """Rows (LIST_COLUMNS) newest first: the `limit` rows after the row keyed `after` (older ones), the `limit` rows
    before the row keyed `before` (newer ones), or for a jump the rows `offset` rows from the top — or, with
    `from_end`, the `limit` rows ending `offset` rows before the bottom (seek from the nearer end)."""
    keys = _text_keys(flt)
    if keys is not None:
        return _text_page(keys, limit, after, before, offset, from_end)
    if after is not None:
        return _seek_merged(flt, limit, after, newest_first=True)
    if before is not None:
        return list(reversed(_seek_merged(flt, limit, before, newest_first=False)))
    if from_end:
        if offset == 0:
            return list(reversed(_seek_merged(flt, limit, _BOTTOM, newest_first=False)))
        return list(reversed(_rows_by_id(_keys_at(flt, limit, offset, newest_first=False))))
    if offset == 0:
        return _seek_merged(flt, limit, _TOP, newest_first=True)
    return _rows_by_id(_keys_at(flt, limit, offset, newest_first=True))


def integrated_landers() -> set[int]:
    """Ids of the landers whose leads are delivered now (an active integration)."""
    return {lander_id for (lander_id,) in Integration.select(Integration.lander)
            .where(Integration.active == True).tuples()}  # noqa: E712 - peewee expression


def lander_names() -> dict[int, tuple[str, str, int]]:
    """Every lander's (name, client name, client id), for labelling lead rows without a join per row."""
    sql = ("SELECT l.id, l.name, c.name, c.id FROM lander l JOIN campaign m ON m.id = l.campaign_id "
           "JOIN client c ON c.id = m.client_id")
    return {lander_id: (name, client, client_id) for lander_id, name, client, client_id in database.execute_sql(sql)}


_RENDER_COLUMNS = ("id", "external_id", "captured_at", "custom", *LEAD_FIELD_COLUMNS)


def render_values(lead_ids: list[int]) -> dict[int, dict[str, Any]]:
    """`lead_for_render` for many leads at once, read with plain SQL (the delivery loop's hot path)."""
    out: dict[int, dict[str, Any]] = {}
    columns = ", ".join(_RENDER_COLUMNS)
    for start in range(0, len(lead_ids), 500):
        chunk = lead_ids[start:start + 500]
        p = database.param
        sql = f'SELECT {columns} FROM "lead" WHERE id IN ({", ".join(p for _ in chunk)})'
        for row in database.execute_sql(sql, chunk):
            lead_id, external_id, captured, custom = row[:4]
            values: dict[str, Any] = json.loads(custom) if custom else {}
            for name, value in zip(LEAD_FIELD_COLUMNS, row[4:], strict=True):
                if value is not None and value != "":
                    values[name] = value
            values["lead_id"] = external_id or str(lead_id)
            if captured:
                try:
                    values["created_at"] = datetime.fromisoformat(str(captured))
                except ValueError:
                    values["created_at"] = captured
            out[lead_id] = values
    return out
