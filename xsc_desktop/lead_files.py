"""Lead files opened for streaming: CSV (any encoding, any delimiter), XLSX (zip-bomb budget), JSON and
JSON Lines (depth and size limits). `open_lead_file(path)` gives the columns and an iterator of rows."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xsc_desktop.errors import UserError
from xsc_desktop.textfiles import utf16_from_head

LEAD_FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson")
CSV_FIELD_LIMIT = 1_000_000  # an unclosed quote swallowing the file trips this instead of eating all memory


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
        return utf16_from_head(fh.read(4))


def _open_csv(path: Path) -> _Source:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    utf16 = _utf16(path)
    counter: list[Any] = [0, 0, None]  # bytes read, lines read as cp1252, the block being read
    total = path.stat().st_size
    if utf16:
        stream = open(path, encoding=utf16, errors="replace", newline="")  # closed by the generator

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
    handle = open(path, "rb")  # closed with the book
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
