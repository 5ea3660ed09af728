"""The XLSX writer: leads streamed from SQL in batches into XlsxWriter's constant-memory sheets, one sheet a
lander (continuation sheets past Excel's row limit), values made safe cells; and the preview of a template."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from parsers import transforms
from xsc_desktop import recovery, storage
from xsc_desktop.errors import UserError
from xsc_desktop.models import (
    Lead,
    database,
    utcnow,
)
from xsc_desktop.sheet_source import SheetSource, _lander_facts, _where, resolve_columns
from xsc_desktop.sheet_templates import (
    COMPUTED,
    DEFAULT_FORMATS,
    describe_column,
    format_date_for_preview,
    normalise_spec,
    to_excel_date_pattern,
)

log = logging.getLogger(__name__)

EXCEL_CELL_LIMIT = 32767
SHEET_ROW_LIMIT = 1_048_576  # rows in one Excel sheet; more leads go on in continuation sheets
BATCH_ROWS = 2000
PREVIEW_ROWS = 20


# ---- cell values ----------------------------------------------------------------------------------------------

# Characters an XML 1.0 document cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_STARTS = frozenset("=+-@")


@dataclass
class WriteStats:
    """What the writer had to change in the data, for the run's note."""

    truncated: int = 0
    cleaned: int = 0
    quoted: int = 0

    def note(self) -> str:
        """One sentence about changed values, or ''."""
        parts = []
        if self.truncated:
            parts.append(f"{self.truncated} value{'s' if self.truncated > 1 else ''} cut to Excel's "
                         f"{EXCEL_CELL_LIMIT:,}-character cell limit (marked \u201c[cut]\u201d)")
        if self.cleaned:
            parts.append(f"{self.cleaned} value{'s' if self.cleaned > 1 else ''} had characters a spreadsheet "
                         "cannot hold removed")
        return "; ".join(parts) + ("." if parts else "")


TRUNCATION_MARK = " …[cut]"


class Quoted(str):
    """Text a spreadsheet would take for a formula: written as a quote-prefixed text cell, never evaluated."""

    __slots__ = ()


class _CellMaker:
    """Turns raw lead values into what the sheet holds: plain values, `Quoted` text and dates whose column number
    format is noted for the plan (`take_format`)."""

    def __init__(self, stats: WriteStats, preview: bool = False) -> None:
        self.stats = stats
        self.preview = preview
        self._format: str | None = None

    def text(self, value: Any) -> Any:
        """A text value made safe: XML-clean, within the cell limit, never a formula."""
        if value is None:
            return None
        if value.__class__ is not str:
            value = str(value)
        if not value:
            return None
        if _NOT_XML.search(value):
            value = _NOT_XML.sub("", value)
            self.stats.cleaned += 1
            if not value:
                return None
        if len(value) > EXCEL_CELL_LIMIT:
            value = value[:EXCEL_CELL_LIMIT - len(TRUNCATION_MARK)] + TRUNCATION_MARK
            self.stats.truncated += 1
        if value[0] in _FORMULA_STARTS:
            return self.quoted(value)
        return value

    def quoted(self, value: str) -> Any:
        """A text cell Excel shows as typed and never evaluates, even after editing (quote prefix)."""
        self.stats.quoted += 1
        return value if self.preview else Quoted(value)

    def styled(self, number_format: str) -> Callable[[Any], Any]:
        """A setter for one column's dated cells; the column's number format is kept for the plan."""
        self._format = number_format
        return lambda value: value

    def take_format(self) -> str | None:
        """The number format the column just built asked for (then forgotten)."""
        number_format, self._format = self._format, None
        return number_format


def _to_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return transforms.parse_date(value)


def _to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        parsed = transforms.parse_datetime(value)
        if parsed is not None and parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed


@dataclass
class _Plan:
    """The SQL select list and, per column, the header title, kind and value function."""

    selects: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    convert: list[Callable[[tuple], Any]] = field(default_factory=list)
    number_formats: list[str | None] = field(default_factory=list)  # per column: dates' number format, else None
    needs_custom: bool = False

    def slot(self, expression: str) -> int:
        """The index of a select expression in the row (added once)."""
        if expression not in self.selects:
            self.selects.append(expression)
        return self.selects.index(expression)


_LATEST_DELIVERY = ("(SELECT d.{col} FROM delivery d WHERE d.lead_id = l.id "
                    "ORDER BY d.attempt DESC, d.id DESC LIMIT 1)")


def _build_plan(columns: list[dict[str, Any]], formats: dict[str, str], source: SheetSource, now: datetime,
                maker: _CellMaker) -> _Plan:
    plan = _Plan()
    text = maker.text
    custom_index = None
    for column in columns:
        choice = describe_column(column["key"])
        fmt = {**formats, **(column.get("format") or {})}
        plan.titles.append(column.get("title") or choice.label)
        plan.kinds.append(choice.kind)
        key = choice.key
        fn: Callable[[tuple], Any]
        if key.startswith("custom:"):
            plan.needs_custom = True
            custom_index = plan.slot("l.custom")
            name = key[7:]
            fn = _custom_getter(custom_index, name, text)
        elif key in COMPUTED:
            fn = _computed(key, plan, fmt, source, now, maker)
        else:
            column_name = "captured_at" if key == "created_at" else key
            i = plan.slot(f'l."{column_name}"')
            fn = _field_converter(i, choice.kind, fmt, maker)
        plan.convert.append(fn)
        plan.number_formats.append(maker.take_format())
    if not plan.selects:
        plan.slot("l.id")
    return plan


def _custom_getter(index: int, name: str, text: Callable[[Any], Any]) -> Callable[[tuple], Any]:
    # Custom JSON is parsed once per row and shared by every custom column (cached on the last row seen).
    cache: dict[str, Any] = {"raw": None, "data": {}}

    def get(row: tuple) -> Any:
        raw = row[index]
        if raw is not cache["raw"]:
            cache["raw"] = raw
            try:
                cache["data"] = json.loads(raw) if raw and raw != "{}" else {}
            except ValueError:
                cache["data"] = {}
        value = cache["data"].get(name)
        if isinstance(value, (dict, list)):
            value = json.dumps(value, ensure_ascii=False)
        return text(value)
    return get


def _yes_no(fmt: dict[str, str], text: Callable[[Any], Any]) -> Callable[[Any], Any]:
    yes, no = fmt.get("yes") or "Yes", fmt.get("no") or "No"
    seen: dict[Any, Any] = {}

    def word(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            answer = transforms.parse_yes_no(value)
            result = text(yes if answer else no) if answer is not None else text(value)
            if len(seen) < 1000:
                seen[value] = result
            return result
    return word


def _field_converter(i: int, kind: str, fmt: dict[str, str], maker: _CellMaker) -> Callable[[tuple], Any]:
    text = maker.text
    if kind == "phone":
        style = fmt.get("phone", "digits")
        if style == "digits":
            return lambda row: text(row[i])
        step = transforms.compile_step("phone", {"format": style})
        return lambda row: text(step(row[i], {})) if row[i] else None
    if kind == "date":
        put = maker.styled(to_excel_date_pattern(fmt.get("date") or DEFAULT_FORMATS["date"]))

        def as_date(row: tuple) -> Any:
            value = row[i]
            if not value:
                return None
            parsed = _to_date(value)
            return put(parsed) if parsed is not None else text(value)
        return as_date
    if kind == "datetime":
        return _datetime_converter(i, fmt, maker)
    if kind == "yesno":
        word = _yes_no(fmt, text)
        return lambda row: word(row[i]) if row[i] not in (None, "") else None
    return lambda row: text(row[i])


def _datetime_converter(i: int, fmt: dict[str, str], maker: _CellMaker) -> Callable[[tuple], Any]:
    put = maker.styled(to_excel_date_pattern(fmt.get("datetime") or DEFAULT_FORMATS["datetime"]))
    text = maker.text

    def as_datetime(row: tuple) -> Any:
        value = row[i]
        if not value:
            return None
        parsed = _to_datetime(value)
        return put(parsed) if parsed is not None else text(value)
    return as_datetime


def _computed(key: str, plan: _Plan, fmt: dict[str, str], source: SheetSource, now: datetime,
              maker: _CellMaker) -> Callable[[tuple], Any]:
    text = maker.text
    if key == "computed:lead_id":
        i = plan.slot("l.id")
        return lambda row: row[i]
    if key == "computed:received_at":
        return _datetime_converter(plan.slot("l.received_at"), fmt, maker)
    if key == "computed:delivery_state":
        i = plan.slot("l.delivery_state")
        return lambda row: text(row[i])
    if key == "computed:external_id":
        i = plan.slot("l.external_id")
        return lambda row: text(row[i])
    if key == "computed:is_test":
        i = plan.slot("l.is_test")
        word = _yes_no(fmt, text)
        return lambda row: word(bool(row[i]))
    if key == "computed:full_name":
        full, first, last = plan.slot('l."full_name"'), plan.slot('l."first_name"'), plan.slot('l."last_name"')
        return lambda row: text(row[full] or " ".join(p for p in (row[first], row[last]) if p))
    if key == "computed:age_days":
        i = plan.slot("l.received_at")

        def age(row: tuple) -> Any:
            received = _to_datetime(row[i]) if row[i] else None
            return round((now - received).total_seconds() / 86400, 1) if received else None
        return age
    if key == "computed:outcome":
        state, reason = plan.slot(_LATEST_DELIVERY.format(col="state")), plan.slot(_LATEST_DELIVERY.format(col="reason"))
        return lambda row: text(f"{row[state]}: {row[reason]}" if row[reason] else row[state])
    if key == "computed:remote_id":
        i = plan.slot(_LATEST_DELIVERY.format(col="remote_id"))
        return lambda row: text(row[i])
    if key == "computed:lander":
        return lambda row, v=text(source.lander): v
    if key == "computed:client":
        return lambda row, v=text(source.client): v
    raise UserError(f"A report column called {key!r} does not exist.")


def _ordered_where(source: SheetSource, filt: dict[str, bool]) -> tuple[str, list[Any]]:
    """`_where` for reading rows in (received_at, id) order straight off the (lander, received_at) index.

    The planner would rather take a lead-id window as a range and sort what it finds; instead the id terms only
    filter (unary + keeps them off the index) and, "since the last report", the window's earliest received time
    (one indexed MIN over the window) is where the index range starts."""
    where, params = _where(source, filt)
    where = where.replace("l.id >", "+l.id >").replace("l.id <=", "+l.id <=")
    if source.after_id is None:
        return where, params
    p = database.param
    window = [source.lander_id, source.after_id] + ([source.upto_id] if source.upto_id is not None else [])
    upto = f" AND id <= {p}" if source.upto_id is not None else ""
    floor = database.execute_sql(f"SELECT MIN(received_at) FROM lead WHERE lander_id = {p} AND id > {p}{upto}",
                                 window).fetchone()[0]
    if floor is None:  # nothing new: an empty range of the same index
        floor = storage.highest_timestamp(database)
    return f"{where} AND l.received_at >= {p}", [*params, floor]


def _lead_rows(plan: _Plan, source: SheetSource, filt: dict[str, bool], limit: int | None = None) -> Iterator[list]:
    """Batches of raw rows, streamed from one cursor (never the whole result in memory)."""
    where, params = _ordered_where(source, filt)
    sql = f"SELECT {', '.join(plan.selects)} FROM lead l WHERE {where} ORDER BY l.received_at, l.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = database.execute_sql(sql, params)
    try:
        while True:
            batch = cursor.fetchmany(BATCH_ROWS)
            if not batch:
                return
            yield batch
    finally:
        cursor.close()


def count_leads(source: SheetSource, filt: dict[str, bool]) -> int:
    """How many leads a sheet will hold."""
    where, params = _where(source, filt)
    return database.execute_sql(f"SELECT COUNT(*) FROM lead l WHERE {where}", params).fetchone()[0]


# ---- the writer -----------------------------------------------------------------------------------------------

class ReportCancelled(Exception):
    """The operator cancelled the report; the half-written file was removed."""


ProgressFn = Callable[[int, int], None]

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_title(pattern: str, source: SheetSource, taken: set[str]) -> str:
    """A valid, unique worksheet name (31 characters, none of []:*?/\\) from the template's pattern."""
    raw = pattern.replace("{lander}", source.lander).replace("{client}", source.client)
    title = _SHEET_BAD.sub("-", _NOT_XML.sub("", raw)).strip("' ") or "Leads"
    title = title[:31]
    base, n = title, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title = base[:31 - len(suffix)] + suffix
        n += 1
    taken.add(title.lower())
    return title


_WIDTH_BY_KIND = {"date": 12, "datetime": 17, "number": 10, "phone": 15, "zip": 9}


def _widths(titles: list[str], kinds: list[str], sample: list[list]) -> list[float]:
    widths = []
    for col, (title, kind) in enumerate(zip(titles, kinds, strict=True)):
        longest = _WIDTH_BY_KIND.get(kind, 8)
        if kind not in ("date", "datetime"):
            for row in sample:
                value = row[col]
                if value is not None:
                    longest = max(longest, len(str(value)))
        # Bold header text is a little wider; very long text is wrapped by the reader, not the column.
        widths.append(float(min(max(longest, len(title) * 1.1 + 2) + 2, 60)))
    return widths


def write_workbook(path: Path, sources: list[SheetSource], spec: dict[str, Any], *, now: datetime,
                   progress: ProgressFn | None = None, cancel: threading.Event | None = None) -> tuple[int, WriteStats]:
    """Write one XLSX file with a sheet per source; returns (lead rows written, what was changed in values).

    XlsxWriter in constant-memory mode streams each row to a temporary file as it is written, so memory stays
    flat; every cell is written with its type's own call (text is never taken for a formula, a URL or a number).
    """
    import xlsxwriter

    spec = normalise_spec(spec)
    stats = WriteStats()
    total = sum(count_leads(s, spec["filter"]) for s in sources) if progress else 0
    if progress:
        progress(0, total)
    with recovery.work_dir() as scratch:
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                             "strings_to_urls": False, "strings_to_numbers": False,
                                             "tmpdir": scratch})
        try:
            written = _write_sheets(wb, sources, spec, now, stats, total, progress, cancel)
        except BaseException:
            _discard(wb)
            raise
        try:
            wb.close()
        except xlsxwriter.exceptions.FileCreateError as exc:
            _discard(wb)
            cause = exc.__context__ if isinstance(exc.__context__, OSError) else None
            raise cause or OSError(str(exc)) from None
    return written, stats


def _discard(wb) -> None:
    """Delete the temporary row files of a workbook that will not be saved."""
    for ws in wb.worksheets():
        try:
            handle = getattr(ws, "row_data_fh", None)
            if handle is not None:
                handle.close()
            name = getattr(ws, "row_data_filename", None)
            if name:
                Path(name).unlink(missing_ok=True)
        except Exception:  # cleaning up after a failure must not hide the failure
            log.debug("Could not clean up a discarded sheet", exc_info=True)
    wb.fileclosed = True  # nothing to save: keep XlsxWriter from warning when the workbook is collected


def _write_sheets(wb, sources: list[SheetSource], spec: dict[str, Any], now: datetime, stats: WriteStats, total: int,
                  progress: ProgressFn | None, cancel: threading.Event | None) -> int:
    written = 0
    taken: set[str] = set()
    formats = _Formats(wb)
    for source in sources:
        written = _write_source(wb, formats, source, spec, now, stats, taken, written, total, progress, cancel)
    return written


class _Formats:
    """The workbook's cell formats, made once: bold header, quote-prefixed text, one per date pattern."""

    def __init__(self, wb) -> None:
        self.wb = wb
        self.bold = wb.add_format({"bold": True})
        self.quoted = wb.add_format({"quote_prefix": True})
        self._dates: dict[str, Any] = {}

    def number(self, number_format: str | None) -> Any:
        if number_format is None:
            return None
        found = self._dates.get(number_format)
        if found is None:
            found = self._dates[number_format] = self.wb.add_format({"num_format": number_format})
        return found


def _write_source(wb, formats: _Formats, source: SheetSource, spec: dict[str, Any], now: datetime, stats: WriteStats,
                  taken: set[str], written: int, total: int, progress: ProgressFn | None,
                  cancel: threading.Event | None) -> int:
    """Write one lander's leads (one sheet, or more past Excel's row limit); returns the running row count."""
    per_sheet = SHEET_ROW_LIMIT - 1  # the header takes one row
    columns = resolve_columns(spec, source)
    title = sheet_title(spec["sheet_name"], source, taken)
    widths: list[float] = []
    plan = _build_plan(columns, spec["formats"], source, now, _CellMaker(stats))
    convert = plan.convert
    number_formats = [formats.number(f) for f in plan.number_formats]
    quoted = formats.quoted

    def start_sheet(name: str):
        ws = wb.add_worksheet(name)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        ws.freeze_panes(1, 0)
        for col, text in enumerate(plan.titles):
            ws.write_string(0, col, _NOT_XML.sub("", text)[:255], formats.bold)  # "=Total" stays text
        return ws

    def close_sheet(ws, rows: int) -> None:
        ws.autofilter(0, 0, rows, max(len(columns), 1) - 1)

    probe = _build_plan(columns, spec["formats"], source, now, _CellMaker(WriteStats(), preview=True))
    batches = _lead_rows(probe, source, spec["filter"])
    try:
        first = next(batches, [])
        # Widths from the first rows, rendered by the side-effect-free probe plan.
        sample = [[fn(row) for fn in probe.convert] for row in first[:200]]
        widths = _widths(probe.titles, probe.kinds, sample)
        ws = start_sheet(title)
        sheet_number, rows_here = 1, 0
        batch: list = first
        while batch:
            while batch:
                if rows_here == per_sheet:  # Excel's row limit: go on in a continuation sheet
                    close_sheet(ws, rows_here)
                    sheet_number += 1
                    ws = start_sheet(_continuation_title(title, sheet_number, taken))
                    rows_here = 0
                part, batch = batch[:per_sheet - rows_here], batch[per_sheet - rows_here:]
                _write_rows(ws, part, rows_here + 1, convert, number_formats, quoted)
                rows_here += len(part)
                written += len(part)
            if cancel is not None and cancel.is_set():
                raise ReportCancelled()
            if progress:
                progress(written, max(total, written))
            batch = next(batches, [])
    finally:
        batches.close()  # closes the cursor now, not whenever the generator is collected
    close_sheet(ws, rows_here)
    return written


def _write_rows(ws, rows: list, first_row: int, convert: list[Callable[[tuple], Any]],
                number_formats: list[Any], quoted: Any) -> None:
    """The hot loop: each value written with the call for its type (no per-cell dispatch inside XlsxWriter)."""
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    write_boolean, write = ws.write_boolean, ws.write
    columns = list(enumerate(zip(convert, number_formats, strict=True)))
    for r, row in enumerate(rows, first_row):
        for c, (fn, number_format) in columns:
            value = fn(row)
            if value is None:
                continue
            kind = value.__class__
            if kind is str:
                write_string(r, c, value)
            elif kind is int or kind is float:
                write_number(r, c, value)
            elif kind is datetime or kind is date:
                write_datetime(r, c, value, number_format)
            elif kind is Quoted:
                write_string(r, c, value, quoted)
            elif kind is bool:
                write_boolean(r, c, value)
            else:
                write(r, c, value)


def _continuation_title(title: str, number: int, taken: set[str]) -> str:
    suffix = f" ({number})"
    name = title[:31 - len(suffix)] + suffix
    n = number
    while name.lower() in taken:
        n += 100
        suffix = f" ({n})"
        name = title[:31 - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def preview(spec: dict[str, Any], *, lander_id: int | None = None, limit: int = PREVIEW_ROWS,
            now: datetime | None = None) -> tuple[list[str], list[list[str]]]:
    """The header titles and the first rows as the report will show them (text), for the editor's live preview.

    Without a lander, the lander with the most recent lead is used.
    """
    spec = normalise_spec(spec)
    now = now or utcnow()
    if lander_id is None:
        found = Lead.select(Lead.lander).order_by(Lead.received_at.desc()).limit(1).scalar()
        if found is None:
            columns = spec["columns"] if not spec["auto"] else []
            return [c.get("title") or describe_column(c["key"]).label for c in columns], []
        lander_id = found
    name, client, _ = _lander_facts(lander_id)
    source = SheetSource(lander_id, name, client)
    maker = _CellMaker(WriteStats(), preview=True)
    columns = resolve_columns(spec, source)
    plan = _build_plan(columns, spec["formats"], source, now, maker)
    patterns = [{**spec["formats"], **(c.get("format") or {})}["datetime" if kind == "datetime" else "date"]
                for c, kind in zip(columns, plan.kinds, strict=True)]
    rows: list[list[str]] = []
    for batch in _lead_rows(plan, source, spec["filter"], limit=limit):
        for row in batch:
            shown = []
            for fn, pattern in zip(plan.convert, patterns, strict=True):
                value = fn(row)
                if isinstance(value, (date, datetime)):
                    value = format_date_for_preview(value, pattern)
                shown.append("" if value is None else str(value))
            rows.append(shown)
    return plan.titles, rows
