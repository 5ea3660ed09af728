"""Spreadsheet reports: templates, the XLSX writer that streams leads from SQL, schedules and runs.

A template is JSON (`ReportTemplate.spec`): which columns (canonical lead fields, custom fields, computed
ones), their order and header titles, the formats (date pattern, phone pattern, yes/no words), a filter
and the sheet name. The built-in templates ship in `resources/templates/` and are read-only.

The writer uses XlsxWriter in constant-memory mode (openpyxl stays for reading spreadsheets) and reads leads
through a plain DB-API cursor in batches, so memory stays flat whatever the number of leads. Lead values are text in the database; they are written
as text cells (phones and ZIPs keep their leading zeros), dates become real Excel dates, and values that
a spreadsheet would take for a formula are written as quoted text.

A schedule runs at its UTC time (05:00 by default); `run_due_reports(now)` runs every schedule whose
latest slot has not been attempted yet. Each file is one ReportRun (rows, file, times, state, error);
a failed run is recorded and the schedule tries again at its next slot.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from parsers import transforms
from parsers.fields import CANONICAL_FIELDS
from xsc_desktop import activity, events, recovery, rowversion, storage
from xsc_desktop.errors import UserError
from xsc_desktop.models import (
    Campaign,
    Client,
    Lander,
    Lead,
    ReportRun,
    ReportSchedule,
    ReportTemplate,
    Setting,
    database,
    utcnow,
)

log = logging.getLogger(__name__)

GENERIC = "Generic"
TEMPLATE_FORMAT = "xsc-report-template"
EXCEL_CELL_LIMIT = 32767
SHEET_ROW_LIMIT = 1_048_576  # rows in one Excel sheet; more leads go on in continuation sheets
BATCH_ROWS = 2000
PREVIEW_ROWS = 20
DEFAULT_FILE_PATTERN = "{client}-{lander}-{date}.xlsx"
DEFAULT_CLIENT_PATTERN = "{client}-{date}.xlsx"
PERIODS = ("all", "since_last")
DEFAULT_TIME_UTC = "05:00"

DEFAULT_FORMATS: dict[str, str] = {"date": "mm/dd/yyyy", "datetime": "yyyy-mm-dd hh:mm", "phone": "digits",
                                   "yes": "Yes", "no": "No"}
DEFAULT_FILTER: dict[str, bool] = {"include_test": False, "only_delivered": False, "since_last_report": False}


# ---- columns --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnChoice:
    """A column a template can hold: its key, default header title, kind (how it is written) and group."""

    key: str
    label: str
    kind: str  # text, phone, zip, date, datetime, yesno, number
    group: str  # "Lead field", "Custom field", "Computed"


# Computed columns: values the lead row does not hold as one field.
COMPUTED: dict[str, ColumnChoice] = {c.key: c for c in (
    ColumnChoice("computed:lead_id", "Lead id", "number", "Computed"),
    ColumnChoice("computed:received_at", "Received (UTC)", "datetime", "Computed"),
    ColumnChoice("computed:delivery_state", "Delivery state", "text", "Computed"),
    ColumnChoice("computed:full_name", "Full name (or first + last)", "text", "Computed"),
    ColumnChoice("computed:age_days", "Age of lead (days)", "number", "Computed"),
    ColumnChoice("computed:outcome", "Delivery outcome", "text", "Computed"),
    ColumnChoice("computed:remote_id", "Remote id", "text", "Computed"),
    ColumnChoice("computed:external_id", "External id", "text", "Computed"),
    ColumnChoice("computed:lander", "Lander", "text", "Computed"),
    ColumnChoice("computed:client", "Client", "text", "Computed"),
    ColumnChoice("computed:is_test", "Test lead", "yesno", "Computed"),
)}

_KIND_OF_FIELD = {"phone": "phone", "zip": "zip", "date": "date", "datetime": "datetime", "yesno": "yesno"}


def _lead_field_choices() -> list[ColumnChoice]:
    choices = []
    for f in CANONICAL_FIELDS:
        if f.name == "lead_id":
            continue  # our id is the computed "Lead id"; the canonical name has no column of its own
        choices.append(ColumnChoice(f.name, f.label, _KIND_OF_FIELD.get(f.kind, "text"), "Lead field"))
    return choices


LEAD_FIELD_CHOICES: tuple[ColumnChoice, ...] = tuple(_lead_field_choices())


def column_choices(custom_names: list[str] | tuple[str, ...] = ()) -> list[ColumnChoice]:
    """Every column a template may use: computed ones, the canonical lead fields, then the given custom fields."""
    return [*COMPUTED.values(), *LEAD_FIELD_CHOICES,
            *(ColumnChoice(f"custom:{n}", n, "text", "Custom field") for n in custom_names)]


def describe_column(key: str) -> ColumnChoice:
    """The column behind a key ("first_name", "custom:Accident type", "computed:age_days"), or UserError."""
    if key in COMPUTED:
        return COMPUTED[key]
    if key.startswith("custom:") and key[7:].strip():
        return ColumnChoice(key, key[7:], "text", "Custom field")
    for choice in LEAD_FIELD_CHOICES:
        if choice.key == key:
            return choice
    raise UserError(f"A report column called {key!r} does not exist; pick a lead field, a custom field "
                    "(custom:NAME) or a computed column.")


# ---- template specs -------------------------------------------------------------------------------------------

def normalise_spec(spec: dict[str, Any] | None) -> dict[str, Any]:
    """A template spec with every default filled in (the stored shape)."""
    spec = dict(spec or {})
    columns = []
    for column in spec.get("columns") or []:
        if isinstance(column, str):
            column = {"key": column}
        entry = {"key": str(column.get("key", "")).strip(), "title": str(column.get("title") or "").strip()}
        if column.get("format"):
            entry["format"] = dict(column["format"])
        columns.append(entry)
    return {
        "auto": bool(spec.get("auto", False)),
        "columns": columns,
        "formats": {**DEFAULT_FORMATS, **{k: v for k, v in (spec.get("formats") or {}).items() if v is not None}},
        "filter": {**DEFAULT_FILTER, **{k: bool(v) for k, v in (spec.get("filter") or {}).items()}},
        "sheet_name": str(spec.get("sheet_name") or "{lander}"),
        "description": str(spec.get("description") or ""),
    }


def check_spec(spec: dict[str, Any]) -> list[str]:
    """Plain-language problems with a template spec (empty when it is fine)."""
    spec = normalise_spec(spec)
    problems: list[str] = []
    if not spec["auto"] and not spec["columns"]:
        problems.append("The template has no columns; add at least one.")
    seen: set[str] = set()
    for column in spec["columns"]:
        try:
            describe_column(column["key"])
        except UserError as exc:
            problems.append(str(exc))
        if column["key"] in seen:
            problems.append(f"The column {column['key']} appears twice; keep one.")
        seen.add(column["key"])
    formats = [spec["formats"]] + [c["format"] for c in spec["columns"] if c.get("format")]
    for fmt in formats:
        for key in ("date", "datetime"):
            if key in fmt and not _looks_like_date_pattern(str(fmt[key])):
                problems.append(f"{fmt[key]!r} is not a date pattern; write it like mm/dd/yyyy or yyyy-mm-dd hh:mm.")
        if "phone" in fmt and fmt["phone"] not in transforms.PHONE_FORMATS:
            problems.append(f"{fmt['phone']!r} is not a phone pattern; use one of "
                            f"{', '.join(transforms.PHONE_FORMATS)}.")
    if not spec["sheet_name"].strip():
        problems.append("The sheet name is empty; write one (it may hold {lander} and {client}).")
    return problems


_DATE_TOKENS = re.compile(r"y{2,4}|m{1,4}|d{1,4}|h{1,2}|s{1,2}", re.I)


def _looks_like_date_pattern(pattern: str) -> bool:
    return bool(pattern.strip()) and bool(_DATE_TOKENS.search(to_excel_date_pattern(pattern)))


_STRFTIME_TO_EXCEL = {"%Y": "yyyy", "%y": "yy", "%m": "mm", "%d": "dd", "%H": "hh", "%I": "hh", "%M": "mm",
                      "%S": "ss", "%p": "AM/PM", "%b": "mmm", "%B": "mmmm", "%a": "ddd", "%A": "dddd", "%%": "%"}


def to_excel_date_pattern(pattern: str) -> str:
    """An Excel number format for a date pattern; strftime patterns (%m/%d/%Y) are translated."""
    if "%" not in pattern:
        return pattern
    return re.sub(r"%[A-Za-z%]", lambda m: _STRFTIME_TO_EXCEL.get(m.group(0), ""), pattern)


_EXCEL_TOKEN = re.compile(r"yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|AM/PM|am/pm|A/P|\"[^\"]*\"|\\.|.", re.I)


def format_date_for_preview(value: date | datetime, pattern: str) -> str:
    """Render a date the way Excel shows it with `pattern` (for the editor's preview; Excel renders the file)."""
    pattern = to_excel_date_pattern(pattern)
    tokens = _EXCEL_TOKEN.findall(pattern)
    twelve = any(t.lower() in ("am/pm", "a/p") for t in tokens)
    hour = value.hour if isinstance(value, datetime) else 0
    minute = value.minute if isinstance(value, datetime) else 0
    second = value.second if isinstance(value, datetime) else 0
    out: list[str] = []
    for i, token in enumerate(tokens):
        low = token.lower()
        # "m" means minutes right after an hour or right before seconds, as in Excel.
        previous = next((t.lower() for t in reversed(tokens[:i]) if t.strip() and t.lower()[0] in "hdysm"), "")
        following = next((t.lower() for t in tokens[i + 1:] if t.strip() and t.lower()[0] in "hdysm"), "")
        minutes = low in ("m", "mm") and (previous.startswith("h") or following.startswith("s"))
        if low == "yyyy":
            out.append(f"{value.year:04d}")
        elif low == "yy":
            out.append(f"{value.year % 100:02d}")
        elif low == "mmmm":
            out.append(value.strftime("%B"))
        elif low == "mmm":
            out.append(value.strftime("%b"))
        elif low in ("mm", "m"):
            number = minute if minutes else value.month
            out.append(f"{number:02d}" if low == "mm" else str(number))
        elif low == "dddd":
            out.append(value.strftime("%A"))
        elif low == "ddd":
            out.append(value.strftime("%a"))
        elif low in ("dd", "d"):
            out.append(f"{value.day:02d}" if low == "dd" else str(value.day))
        elif low in ("hh", "h"):
            shown = (hour % 12 or 12) if twelve else hour
            out.append(f"{shown:02d}" if low == "hh" else str(shown))
        elif low in ("ss", "s"):
            out.append(f"{second:02d}" if low == "ss" else str(second))
        elif low == "am/pm":
            out.append("AM" if hour < 12 else "PM")
        elif low == "a/p":
            out.append("A" if hour < 12 else "P")
        elif token.startswith('"'):
            out.append(token[1:-1])
        elif token.startswith("\\"):
            out.append(token[1:])
        else:
            out.append(token)
    return "".join(out)


# ---- template storage -----------------------------------------------------------------------------------------

def _builtin_files() -> list[Path]:
    from resources import resource_path

    return sorted(resource_path("templates").glob("*.json"))


def ensure_builtin_templates() -> None:
    """Store the shipped templates (read-only), refreshing their spec when the app ships a new one."""
    for path in _builtin_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        spec = normalise_spec({**data["spec"], "description": data.get("description", "")})
        # Insert-or-ignore: two threads (a scheduled run and "Generate now") may get here at the same moment.
        ReportTemplate.insert(name=data["name"], builtin=True, spec=spec, updated_at=utcnow()).on_conflict_ignore() \
            .execute()
        row = ReportTemplate.get(ReportTemplate.name == data["name"])
        if row.builtin and row.spec != spec:
            row.spec = spec
            row.updated_at = utcnow()
            row.save()


def list_templates() -> list[ReportTemplate]:
    """Every template, built-ins first, then by name."""
    ensure_builtin_templates()
    return list(ReportTemplate.select().order_by(ReportTemplate.builtin.desc(), ReportTemplate.name))


def get_template(name: str) -> ReportTemplate:
    """The template called `name` (case-insensitive), or UserError naming the ones that exist."""
    ensure_builtin_templates()
    wanted = name.strip().lower()
    for row in ReportTemplate.select():
        if row.name.lower() == wanted:
            return row
    names = ", ".join(t.name for t in ReportTemplate.select().order_by(ReportTemplate.name))
    raise UserError(f"There is no report template called {name!r}; the templates are: {names}.")


def save_template(name: str, spec: dict[str, Any], *, original_name: str | None = None,
                  expected_version: int | None = None) -> ReportTemplate:
    """Create or change a custom template (renaming it when `original_name` differs); built-ins are refused.
    `expected_version` is the row version the editor started from: a template someone else saved since is not
    overwritten (rowversion.ChangedElsewhere)."""
    name = name.strip()
    if not name:
        raise UserError("A template needs a name.")
    problems = check_spec(spec)
    if problems:
        raise UserError(problems[0])
    spec = normalise_spec(spec)
    ensure_builtin_templates()
    existing = ReportTemplate.get_or_none(ReportTemplate.name == (original_name or name))
    clash = ReportTemplate.get_or_none(ReportTemplate.name == name)
    if existing is not None and existing.builtin:
        raise UserError(f"The template {existing.name} is built in and cannot be changed; duplicate it to edit a copy.")
    if clash is not None and (existing is None or clash.id != existing.id):
        if clash.builtin:
            raise UserError(f"{name} is a built-in template's name; choose another name.")
        if original_name is not None:
            raise UserError(f"A template called {name} already exists; choose another name.")
        existing = clash
    if existing is None:
        row = ReportTemplate.create(name=name, builtin=False, spec=spec, **rowversion.stamp())
        activity.record("report_template", row.id, "created", note=name)
    else:
        existing.name = name
        existing.spec = spec
        existing.updated_at = utcnow()
        rowversion.save(existing, "report template", expected_version)
        row = existing
        activity.record("report_template", row.id, "edited", note=name)
    events.publish("report.templates_changed", name=name)
    return row


def _free_name(base: str) -> str:
    names = {t.name.lower() for t in ReportTemplate.select(ReportTemplate.name)}
    candidate = base
    n = 2
    while candidate.lower() in names:
        candidate = f"{base} {n}"
        n += 1
    return candidate


def duplicate_template(name: str, new_name: str | None = None) -> ReportTemplate:
    """A custom copy of a template (the way to edit a built-in one)."""
    source = get_template(name)
    target = new_name.strip() if new_name else _free_name(f"{source.name} copy")
    return save_template(target, source.spec)


def delete_template(name: str) -> None:
    """Delete a custom template; built-ins and templates used by a schedule are refused."""
    row = get_template(name)
    if row.builtin:
        raise UserError(f"The template {row.name} is built in and cannot be deleted.")
    used = ReportSchedule.select().where(ReportSchedule.template == row).count()
    if used:
        raise UserError(f"The template {row.name} is used by {used} schedule{'s' if used > 1 else ''}; "
                        "change or delete those schedules first.")
    row.delete_instance()
    activity.record("report_template", row.id, "deleted", note=row.name)
    events.publish("report.templates_changed", name=row.name)


def export_template(name: str) -> dict[str, Any]:
    """A template as a portable JSON document (import it on another machine with `import_template`)."""
    row = get_template(name)
    spec = normalise_spec(row.spec)
    return {"format": TEMPLATE_FORMAT, "version": 1, "name": row.name, "description": spec.pop("description"),
            "spec": spec}


def import_template(source: dict[str, Any] | str | Path, *, name: str | None = None) -> ReportTemplate:
    """Create a custom template from exported JSON (a dict, JSON text or a file path); a taken name gets a number."""
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("{")):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise UserError(f"Cannot read {path}: {exc.strerror or exc}; check the file name.") from None
    else:
        text = source if isinstance(source, str) else None
    try:
        data = json.loads(text) if text is not None else source
    except ValueError:
        raise UserError("That file is not a report template (it is not JSON); export one from XSC Desktop.") from None
    if not isinstance(data, dict) or not isinstance(data.get("spec"), dict):
        raise UserError("That file is not a report template (no \"spec\" in it); export one from XSC Desktop.")
    spec = {**data["spec"], "description": data.get("description", data["spec"].get("description", ""))}
    wanted = (name or str(data.get("name") or "Imported template")).strip()
    ensure_builtin_templates()
    return save_template(_free_name(wanted), spec)


# ---- targets and the lead query -------------------------------------------------------------------------------

@dataclass
class SheetSource:
    """One sheet's leads: the lander, its client, the received-time window and the lead-id window.

    A report takes the leads with `after_id < id <= upto_id`: ids grow in the order imports commit, so a
    batch committed after one report is in the next one, whatever received time it carries. `since` is the
    older received-time cut-off, used when the previous report recorded no lead id.
    """

    lander_id: int
    lander: str
    client: str
    since: datetime | None = None
    until: datetime | None = None
    after_id: int | None = None
    upto_id: int | None = None


def _lander_facts(lander_id: int) -> tuple[str, str, int]:
    row = (Lander.select(Lander.name, Client.name.alias("client_name"), Client.id.alias("client_id"))
           .join(Campaign).join(Client).where(Lander.id == lander_id).dicts().first())
    if row is None:
        raise UserError(f"There is no lander {lander_id}; `xsc-desktop landers list` shows their ids.")
    return row["name"], row["client_name"], row["client_id"]


def _client_landers(client_id: int) -> list[tuple[int, str]]:
    return list(Lander.select(Lander.id, Lander.name).join(Campaign)
                .where((Campaign.client == client_id) & (Lander.status != "archived"))
                .order_by(Lander.name, Lander.id).tuples())


def _stamp(value: datetime) -> str:
    # The text form SQLite holds for a naive datetime, so comparisons stay on the index.
    return value.isoformat(" ")


def _where(source: SheetSource, filt: dict[str, bool]) -> tuple[str, list[Any]]:
    p = database.param
    clauses = [f"l.lander_id = {p}"]
    params: list[Any] = [source.lander_id]
    if not filt.get("include_test"):
        clauses.append("l.is_test = FALSE")
    if filt.get("only_delivered"):
        clauses.append("l.delivery_state = 'delivered'")
    if source.since is not None:
        clauses.append(f"l.received_at > {p}")
        params.append(_stamp(source.since))
    if source.until is not None:
        clauses.append(f"l.received_at <= {p}")
        params.append(_stamp(source.until))
    if source.after_id is not None:
        clauses.append(f"l.id > {p}")
        params.append(source.after_id)
    if source.upto_id is not None:
        clauses.append(f"l.id <= {p}")
        params.append(source.upto_id)
    return " AND ".join(clauses), params


def _lead_columns_with_data(source: SheetSource, filt: dict[str, bool]) -> list[str]:
    names = [c.key for c in LEAD_FIELD_CHOICES]
    sql_names = ["captured_at" if n == "created_at" else n for n in names]
    # captured_at is a timestamp (never empty text); the other fields are text, where '' means no value.
    counts = ", ".join(f'COUNT(l."{n}")' if n == "captured_at" else f"COUNT(NULLIF(l.\"{n}\", ''))"
                       for n in sql_names)
    where, params = _where(source, filt)
    row = database.execute_sql(f"SELECT {counts} FROM lead l WHERE {where}", params).fetchone()
    return [n for n, count in zip(names, row, strict=True) if count]


def custom_field_names(source: SheetSource | int, filt: dict[str, bool] | None = None) -> list[str]:
    """The custom field names the lander's leads hold (in the report window), sorted."""
    if isinstance(source, int):
        name, client, _ = _lander_facts(source)
        source = SheetSource(source, name, client)
    where, params = _where(source, filt if filt is not None else {"include_test": True})
    keys = storage.json_keys_sql(database, "l.custom")
    if keys is not None:
        rows = database.execute_sql(
            f"SELECT DISTINCT j.key FROM lead l, {keys} WHERE {where} AND l.custom != '{{}}'", params).fetchall()
        names = {r[0] for r in rows}
    else:  # a SQLite built without JSON functions: read the JSON here
        names = set()
        cursor = database.execute_sql(f"SELECT l.custom FROM lead l WHERE {where} AND l.custom != '{{}}'", params)
        for (text,) in cursor:
            names.update(json.loads(text or "{}"))
    return sorted(names, key=str.lower)


def resolve_columns(spec: dict[str, Any], source: SheetSource) -> list[dict[str, Any]]:
    """The template's columns for one sheet; the automatic (generic) layout is worked out from the data."""
    if not spec["auto"]:
        return spec["columns"]
    keys = ["computed:lead_id", "computed:received_at", "computed:delivery_state"]
    keys += _lead_columns_with_data(source, spec["filter"])
    keys += [f"custom:{n}" for n in custom_field_names(source, spec["filter"])]
    explicit = {c["key"]: c for c in spec["columns"]}
    return [explicit.get(k, {"key": k, "title": ""}) for k in keys]


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


# ---- runs -----------------------------------------------------------------------------------------------------

_FILE_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


def file_name(pattern: str, *, client: str, lander: str, when: datetime, template: str) -> str:
    """A safe file name from a pattern with {client}, {lander}, {date}, {time} and {template}."""
    pattern = pattern or DEFAULT_FILE_PATTERN
    values = {"client": client, "lander": lander, "date": when.strftime("%Y-%m-%d"), "time": when.strftime("%H%M"),
              "template": template}
    try:
        name = pattern.format(**values)
    except (KeyError, IndexError, ValueError):
        raise UserError(f"The file-name pattern {pattern!r} is not valid; use {{client}}, {{lander}}, {{date}}, "
                        "{time} and {template}.") from None
    name = _FILE_BAD.sub("-", name).strip(" .-") or "report"
    if not name.lower().endswith(".xlsx"):
        name += ".xlsx"
    return name


def check_out_dir(out_dir: Path) -> None:
    """UserError in one sentence when reports cannot be written into `out_dir`."""
    if not out_dir.exists():
        raise UserError(f"The report folder {out_dir} does not exist; create it or choose another folder.")
    if not out_dir.is_dir():
        raise UserError(f"The report folder {out_dir} is a file, not a folder; choose a folder.")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UserError(f"The report folder {out_dir} cannot be written to; fix its permissions or choose another.")


def _candidates(path: Path) -> Iterator[Path]:
    # Never overwrite an earlier report (it may have been e-mailed already): add -2, -3...
    yield path
    n = 2
    while True:
        yield path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1


def _claim(partial: Path, path: Path) -> Path:
    """Give the written file the first free name of `path`, -2, -3...; taking the name is atomic, so two
    reports finishing at once (another process, "Generate now" beside the schedule) never share a file."""
    for candidate in _candidates(path):
        try:
            os.link(partial, candidate)  # fails when the name exists: nobody else's file is replaced
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links: reserve the name, then move the file onto it
            try:
                os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            except FileExistsError:
                continue
            os.replace(partial, candidate)
            return candidate
        partial.unlink()
        return candidate
    raise AssertionError("unreachable")  # _candidates never ends


def _write_file(final: Path, sources: list[SheetSource], spec: dict[str, Any], now: datetime,
                progress: ProgressFn | None, cancel: threading.Event | None) -> tuple[Path, int, WriteStats]:
    check_out_dir(final.parent)
    recovery.sweep_parts(final.parent)  # what a killed run left here
    partial = final.with_name(f".{final.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        with open(partial, "wb"):
            pass
    except OSError as exc:
        raise UserError(f"Cannot write into the report folder {final.parent} ({exc.strerror or exc}); "
                        "fix its permissions or choose another folder.") from None
    try:
        rows, stats = write_workbook(partial, sources, spec, now=now, progress=progress, cancel=cancel)
        final = _claim(partial, final)  # a half-written file never carries the final name
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final, rows, stats


_MARK_KEY = "reports.last_lead.{scope}.{group}"  # not a user setting: a per-report fact kept beside them


def _mark_keys(schedule: ReportSchedule | None, template: ReportTemplate, lander_id: int | None,
               client_id: int | None) -> list[str]:
    """Where a report keeps the highest lead id it covered: per schedule and per template, for its lander or
    client, so a scheduled run and "Generate now" with the same template go on from each other as before."""
    group = f"lander-{lander_id}" if lander_id is not None else f"client-{client_id}"
    keys = [_MARK_KEY.format(scope=f"template-{template.id}", group=group)]
    if schedule is not None:
        keys.insert(0, _MARK_KEY.format(scope=f"schedule-{schedule.id}", group=group))
    return keys


def _previous_cutoff(*, schedule: ReportSchedule | None, template: ReportTemplate, lander_id: int | None,
                     client_id: int | None) -> tuple[datetime | None, int | None]:
    """Where "since the last report" starts: (received-time cut-off, lead-id cut-off), at most one of them.

    The lead id recorded by the last done report is used when there is one; a report made before lead ids
    were recorded falls back to its start time.
    """
    query = ReportRun.select(ReportRun.id, ReportRun.started_at).where(ReportRun.state == "done")
    if schedule is not None:
        query = query.where(ReportRun.schedule == schedule)
    else:
        query = query.where(ReportRun.template_name == template.name)
    if lander_id is not None:
        query = query.where(ReportRun.lander == lander_id)
    else:
        query = query.where((ReportRun.client == client_id) & ReportRun.lander.is_null())
    last = query.order_by(ReportRun.started_at.desc(), ReportRun.id.desc()).first()
    if last is None:
        return None, None
    mark = Setting.get_or_none(Setting.key == _mark_keys(schedule, template, lander_id, client_id)[0])
    value = mark.value if mark is not None and isinstance(mark.value, dict) else {}
    if value.get("run") == last.id and isinstance(value.get("lead"), int):
        return None, value["lead"]
    return last.started_at, None


def _highest_lead_id() -> int:
    # Read before the report's query: leads committed while it is written wait for the next report.
    return database.execute_sql("SELECT MAX(id) FROM lead").fetchone()[0] or 0


def _save_marks(keys: list[str], run: ReportRun, upto_id: int) -> None:
    for key in keys:
        (Setting.insert(key=key, value={"run": run.id, "lead": upto_id})
         .on_conflict(conflict_target=[Setting.key], preserve=[Setting.value]).execute())


def run_report(*, lander_id: int | None = None, client_id: int | None = None, template: str = GENERIC,
               out_dir: Path | str | None = None, file_pattern: str | None = None, since_last: bool | None = None,
               schedule: ReportSchedule | None = None, slot: datetime | None = None, now: datetime | None = None,
               progress: ProgressFn | None = None, cancel: threading.Event | None = None,
               default_dir: Path | None = None, on_done: Callable[[ReportRun], None] | None = None) -> list[ReportRun]:
    """Generate a report for a lander or a client now; one ReportRun per file written (or failed).

    A client's report is one file with a sheet per lander, or one file per lander when the file-name
    pattern holds {lander}. A failure is recorded on the run (state failed, error in one sentence) and
    returned, not raised; a cancelled run is recorded as cancelled and ReportCancelled is raised.
    `on_done(run)` runs in the transaction that records a run as done (a schedule queues its e-mail there).
    """
    if (lander_id is None) == (client_id is None):
        raise UserError("Choose either a lander or a client for the report.")
    now = now or utcnow()
    template_row = get_template(template)
    spec = normalise_spec(template_row.spec)
    if since_last is None:
        since_last = spec["filter"]["since_last_report"]
    if lander_id is not None:
        lander_name, client_name, client_id = _lander_facts(lander_id)
        groups = [(lander_id, [SheetSource(lander_id, lander_name, client_name)])]
        pattern = file_pattern or DEFAULT_FILE_PATTERN
    else:
        client = Client.get_or_none(Client.id == client_id)
        if client is None:
            raise UserError(f"There is no client {client_id}; `xsc-desktop clients list` shows their ids.")
        client_name = client.name
        landers = _client_landers(client_id)
        pattern = file_pattern or DEFAULT_CLIENT_PATTERN
        sources = [SheetSource(lid, name, client_name) for lid, name in landers]
        if "{lander}" in pattern:
            groups = [(s.lander_id, [s]) for s in sources]
        else:
            groups = [(None, sources)]
    folder = Path(out_dir) if out_dir else (default_dir or Path.cwd())
    runs: list[ReportRun] = []
    for group_lander, sources in groups:
        since, after_id = None, None
        if since_last:
            since, after_id = _previous_cutoff(schedule=schedule, template=template_row, lander_id=group_lander,
                                               client_id=client_id)
        upto_id = _highest_lead_id()
        for source in sources:
            # The lead-id bound replaces the old received-time one at the top: a lead stamped later than
            # `now` (a feed's clock) is in this report rather than marked as reported and left out.
            source.since, source.after_id, source.upto_id = since, after_id, upto_id
        lander_label = sources[0].lander if group_lander is not None else "all landers"
        # The run's lease is taken before its row is committed: no one sees it "running" without an owner.
        held = contextlib.ExitStack()
        with database.atomic():
            run = ReportRun.create(schedule=schedule, template_name=template_row.name, lander=group_lander,
                                   client=client_id, started_at=now, state="running")
            held.enter_context(recovery.lease("report", run.id))
        with held:
            runs.append(_run_one(run, sources, client_name, pattern, lander_label, template_row, spec, slot, now,
                                 folder, progress, cancel, schedule, group_lander, client_id, upto_id, on_done))
    return runs


def _run_one(run: ReportRun, sources: list[SheetSource], client_name: str, pattern: str, lander_label: str,
             template_row: ReportTemplate, spec: dict[str, Any], slot: datetime | None, now: datetime, folder: Path,
             progress: ProgressFn | None, cancel: threading.Event | None, schedule: ReportSchedule | None,
             group_lander: int | None, client_id: int | None, upto_id: int,
             on_done: Callable[[ReportRun], None] | None) -> ReportRun:
    events.publish("report.started", run_id=run.id)
    started = time.monotonic()
    try:
        if not sources:
            raise UserError(f"{client_name} has no landers to report on.")
        name = file_name(pattern, client=client_name, lander=lander_label, when=slot or now,
                         template=template_row.name)
        path, rows, stats = _write_file(folder / name, sources, spec, now, progress, cancel)
    except ReportCancelled:
        _finish(run, started, state="cancelled", error="Cancelled by the operator; no file was left behind.")
        raise
    except UserError as exc:
        _finish(run, started, state="failed", error=str(exc))
    except OSError as exc:
        _finish(run, started, state="failed",
                error=f"Writing the report failed ({exc.strerror or exc}); check the folder and disk space.")
    except Exception as exc:  # a report must never take the scheduler down; the run says what happened
        from xsc_desktop.faults import user_error

        known = user_error(exc)  # a locked database, a full disk: its own sentence
        if known is None:
            log.exception("Report %s failed", run.id)
        _finish(run, started, state="failed",
                error=str(known) if known else f"The report could not be written ({exc}); see the log.")
    else:
        # One transaction: a done run always has its lead-id mark and (for a schedule) its e-mail queued.
        with database.atomic():
            _record(run, started, state="done", rows=rows, file=str(path), error=stats.note())
            _save_marks(_mark_keys(schedule, template_row, group_lander, client_id), run, upto_id)
            if schedule is not None:
                schedule.last_run_at = now
                schedule.save(only=[ReportSchedule.last_run_at])
            if on_done is not None:
                on_done(run)
        _announce(run)
    return run


INTERRUPTED = "The app stopped while writing this report; no file was left under its name, and its slot runs again."


def recover_interrupted_runs(now: datetime | None = None) -> int:
    """Mark runs left "running" by a process that died as interrupted (their slot runs again), and sweep the
    half-written files and spreadsheet temp files such processes left. Returns how many runs were recovered."""
    changed = 0
    for run in ReportRun.select(ReportRun.id, ReportRun.started_at).where(ReportRun.state == "running"):
        if not recovery.is_dead("report", run.id, run.started_at, now):
            continue
        marked = (ReportRun.update(state="interrupted", finished_at=utcnow(), error=INTERRUPTED)
                  .where((ReportRun.id == run.id) & (ReportRun.state == "running")).execute())
        if marked:
            changed += 1
            activity.record("report", run.id, "interrupted", note=INTERRUPTED)
            events.publish("report.finished", run_id=run.id, state="interrupted", rows=0, file="", error=INTERRUPTED)
    for (folder,) in ReportSchedule.select(ReportSchedule.out_dir).distinct().tuples():
        if folder:
            recovery.sweep_parts(folder)
    recovery.sweep_work_dirs()
    return changed


def _finish(run: ReportRun, started: float, *, state: str, rows: int = 0, file: str = "", error: str = "") -> None:
    with database.atomic():
        _record(run, started, state=state, rows=rows, file=file, error=error)
    _announce(run)


def _record(run: ReportRun, started: float, *, state: str, rows: int = 0, file: str = "", error: str = "") -> None:
    run.finished_at = run.started_at + timedelta(seconds=time.monotonic() - started)
    run.state, run.rows, run.file, run.error = state, rows, file, error
    run.save()
    target = f"lander {run.lander_id}" if run.lander_id else f"client {run.client_id}"
    note = f"{run.template_name} for {target}: {rows} rows" + (f" → {file}" if file else "") + (
        f" ({error})" if error else "")
    activity.record("report", run.id, state, note=note)


def _announce(run: ReportRun) -> None:
    # After the commit: a page reloading on this event must see the finished run.
    events.publish("report.finished", run_id=run.id, state=run.state, rows=run.rows, file=run.file, error=run.error)
    if run.state == "failed":
        events.notify("Report failed", run.error, level="error")


def duration_seconds(run: ReportRun) -> float | None:
    """How long a run took, in seconds (None while running)."""
    if run.finished_at is None or run.started_at is None:
        return None
    return (run.finished_at - run.started_at).total_seconds()


def run_as_json(run: ReportRun) -> dict[str, Any]:
    """The documented JSON shape of one run (`sheets run --json`, `sheets history --json`)."""
    seconds = duration_seconds(run)
    return {"id": run.id, "schedule_id": run.schedule_id, "template": run.template_name, "lander_id": run.lander_id,
            "client_id": run.client_id, "state": run.state, "rows": run.rows, "file": run.file or None,
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "duration_s": round(seconds, 3) if seconds is not None else None, "error": run.error}


def history(limit: int = 200, *, schedule_id: int | None = None) -> list[ReportRun]:
    """The newest runs first."""
    query = ReportRun.select()
    if schedule_id is not None:
        query = query.where(ReportRun.schedule == schedule_id)
    return list(query.order_by(ReportRun.started_at.desc(), ReportRun.id.desc()).limit(limit))


# ---- schedules ------------------------------------------------------------------------------------------------

def _check_time(value: str) -> str:
    from xsc_desktop.settings import parse_hhmm

    parsed = parse_hhmm(value)
    if parsed is None:
        raise UserError(f"A report time is written as HH:MM in UTC, not {value!r}.")
    return f"{parsed:%H:%M}"


def _hour_minute(time_utc: str) -> tuple[int, int]:
    # A stored time was checked when saved; one that is not HH:MM (edited by hand) runs at the default hour
    # rather than stopping every report.
    from xsc_desktop.settings import parse_hhmm

    parsed = parse_hhmm(time_utc) or parse_hhmm(DEFAULT_TIME_UTC)
    return parsed.hour, parsed.minute


def add_schedule(*, template: str = GENERIC, lander_id: int | None = None, client_id: int | None = None,
                 period: str = "since_last", time_utc: str | None = None, out_dir: str | Path = "",
                 file_pattern: str | None = None, email: bool = False, active: bool = True) -> ReportSchedule:
    """A new report schedule for a lander or a client (05:00 UTC unless told otherwise)."""
    from xsc_desktop import settings

    values = _schedule_values(template=template, lander_id=lander_id, client_id=client_id, period=period,
                              time_utc=time_utc or settings.get("reports.time_utc"), out_dir=out_dir,
                              file_pattern=file_pattern, email=email)
    row = ReportSchedule.create(active=active, active_since=utcnow(), **values)
    activity.record("report_schedule", row.id, "created", note=describe_schedule(row))
    events.publish("report.schedules_changed", schedule_id=row.id)
    return row


def _schedule_values(*, template: str, lander_id: int | None, client_id: int | None, period: str, time_utc: str,
                     out_dir: str | Path, file_pattern: str | None, email: bool) -> dict[str, Any]:
    if (lander_id is None) == (client_id is None):
        raise UserError("A report schedule is for either a lander or a client; choose one.")
    if lander_id is not None:
        _lander_facts(lander_id)
    elif Client.get_or_none(Client.id == client_id) is None:
        raise UserError(f"There is no client {client_id}; `xsc-desktop clients list` shows their ids.")
    if period not in PERIODS:
        raise UserError(f"A report period is 'all' or 'since_last', not {period!r}.")
    if not str(out_dir).strip():
        raise UserError("A report schedule needs an output folder.")
    folder = Path(str(out_dir).strip()).expanduser()
    if not folder.is_absolute():
        # The app and the headless daemon start in different folders: a relative path would mean two places.
        raise UserError(f"Write the report folder as a full path (such as {Path.home() / 'Reports'}), not {out_dir!r}.")
    pattern = file_pattern or (DEFAULT_FILE_PATTERN if lander_id is not None else DEFAULT_CLIENT_PATTERN)
    file_name(pattern, client="c", lander="l", when=utcnow(), template="t")  # checks the pattern
    return {"template": get_template(template), "lander": lander_id, "client": client_id, "period": period,
            "time_utc": _check_time(time_utc), "out_dir": str(folder), "file_pattern": pattern, "email": bool(email)}


def update_schedule(schedule_id: int, **changes: Any) -> ReportSchedule:
    """Change a schedule (same arguments as `add_schedule`, plus active)."""
    row = get_schedule(schedule_id)
    current = {"template": row.template.name, "lander_id": row.lander_id, "client_id": row.client_id,
               "period": row.period, "time_utc": row.time_utc, "out_dir": row.out_dir,
               "file_pattern": row.file_pattern, "email": row.email}
    active = changes.pop("active", row.active)
    current.update({k: v for k, v in changes.items() if k in current})
    old_time, was_active = row.time_utc, row.active
    for key, value in _schedule_values(**current).items():
        setattr(row, key, value)
    row.active = bool(active)
    if row.active and (row.time_utc != old_time or not was_active):
        row.active_since = utcnow()  # a new time, or switched back on: slots already past are not run
    row.save()
    activity.record("report_schedule", row.id, "edited", note=describe_schedule(row))
    events.publish("report.schedules_changed", schedule_id=row.id)
    return row


def delete_schedule(schedule_id: int) -> None:
    """Delete a schedule (its runs stay in the history)."""
    row = get_schedule(schedule_id)
    with database.atomic():
        row.delete_instance()
        Setting.delete().where(Setting.key.startswith(_MARK_KEY.format(scope=f"schedule-{schedule_id}", group="")))\
            .execute()
    activity.record("report_schedule", schedule_id, "deleted")
    events.publish("report.schedules_changed", schedule_id=schedule_id)


def get_schedule(schedule_id: int) -> ReportSchedule:
    """The schedule with that id, or UserError."""
    row = ReportSchedule.get_or_none(ReportSchedule.id == schedule_id)
    if row is None:
        raise UserError(f"There is no report schedule {schedule_id}; `xsc-desktop sheets schedule list` shows them.")
    return row


def list_schedules() -> list[ReportSchedule]:
    """Every schedule, by id."""
    return list(ReportSchedule.select().order_by(ReportSchedule.id))


def schedule_target(row: ReportSchedule) -> str:
    """What a schedule reports on, in words ("Houston Auto Accident (Alvarez…)" or "client Alvarez…")."""
    if row.lander_id is not None:
        name, client, _ = _lander_facts(row.lander_id)
        return f"{name} ({client})"
    return f"all landers of {row.client.name}"


def local_time_text(time_utc: str, on: date, zone: tzinfo | None = None) -> str:
    """A UTC schedule time as the operator's local clock shows it on a given day ("00:00 EST")."""
    hour, minute = _hour_minute(time_utc)
    moment = datetime(on.year, on.month, on.day, hour, minute, tzinfo=UTC)
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    day = "" if local.date() == on else (" the day before" if local.date() < on else " the next day")
    return f"{local:%H:%M} {local.tzname()}{day}"


def time_label(time_utc: str, on: date, zone: tzinfo | None = None) -> str:
    """"05:00 UTC (00:00 EST)", or "05:00 UTC" when the operator's clock is on UTC."""
    local = local_time_text(time_utc, on, zone)
    return f"{time_utc} UTC" if local.split()[1:] == ["UTC"] else f"{time_utc} UTC ({local})"


def describe_schedule(row: ReportSchedule, zone: tzinfo | None = None, today: date | None = None) -> str:
    """One line: template, target, time in UTC and local time, folder, e-mail."""
    today = today or utcnow().date()
    period = "leads since the last report" if row.period == "since_last" else "all leads"
    mail = ", e-mailed to the client" if row.email else ""
    return (f"{row.template.name} of {schedule_target(row)}: {period}, daily at "
            f"{time_label(row.time_utc, today, zone)} into {row.out_dir}{mail}")


def schedule_as_json(row: ReportSchedule) -> dict[str, Any]:
    """The documented JSON shape of a schedule (`sheets schedule list --json`)."""
    return {"id": row.id, "template": row.template.name, "lander_id": row.lander_id, "client_id": row.client_id,
            "period": row.period, "time_utc": row.time_utc, "out_dir": row.out_dir,
            "file_pattern": row.file_pattern, "email": row.email, "active": row.active,
            "last_run_at": row.last_run_at.isoformat() if row.last_run_at else None}


def latest_slot(time_utc: str, now: datetime) -> datetime:
    """The most recent time (naive UTC) at or before `now` when a schedule at `time_utc` was due."""
    hour, minute = _hour_minute(time_utc)
    slot = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return slot if slot <= now else slot - timedelta(days=1)


def next_slot(time_utc: str, now: datetime) -> datetime:
    """The next time (naive UTC) after `now` a schedule at `time_utc` is due."""
    return latest_slot(time_utc, now) + timedelta(days=1)


def _attempted(row: ReportSchedule, slot: datetime) -> bool:
    # Done and failed runs use up their slot (a failure waits for the next one); a cancelled one does not, nor one
    # a killed process left interrupted.
    return ReportRun.select().where((ReportRun.schedule == row) & (ReportRun.started_at >= slot)
                                    & ReportRun.state.not_in(("cancelled", "interrupted"))).exists()


def _before_schedule(row: ReportSchedule, slot: datetime, now: datetime) -> bool:
    """Whether the slot came before the schedule took effect (added, retimed or switched on after it): a new
    schedule's first slot is the next one. A clock earlier than that moment (set back) does not count."""
    since = row.active_since
    return since is not None and slot < since <= now


def run_due_reports(now: datetime | None = None, *, default_dir: Path | None = None,
                    progress: ProgressFn | None = None, cancel: threading.Event | None = None,
                    skip_time: str | None = None, within: timedelta | None = None) -> list[ReportRun]:
    """Run every active schedule whose latest slot (at or before `now`, UTC) has not been attempted yet.

    A failed run counts as the attempt of its slot, so a broken folder is retried at the next slot,
    not in a loop. `skip_time` leaves out schedules at that time and `within` leaves out slots older than
    that (the on-time check for schedules at other times than the daily job's). Returns the runs made; []
    when another process is running reports right now (it runs the due ones).
    """
    from xsc_desktop import locks

    now = now or utcnow()
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    runs: list[ReportRun] = []
    with locks.hold("reports") as got:
        if not got:
            return runs
        recover_interrupted_runs(now)
        query = ReportSchedule.select().where(ReportSchedule.active == True)  # noqa: E712 - peewee expression
        for row in query.order_by(ReportSchedule.id):
            if skip_time is not None and row.time_utc == skip_time:
                continue
            slot = latest_slot(row.time_utc, now)
            if (within is not None and now - slot > within) or _before_schedule(row, slot, now) \
                    or _attempted(row, slot):
                continue
            try:
                runs.extend(_run_schedule(row, slot, now, default_dir, progress, cancel))
            except ReportCancelled:  # quitting: the cancelled run is recorded; its slot stays open
                runs.append(ReportRun.select().where(ReportRun.schedule == row)
                            .order_by(ReportRun.id.desc()).first())
                break
    return runs


def _run_schedule(row: ReportSchedule, slot: datetime, now: datetime, default_dir: Path | None,
                  progress: ProgressFn | None, cancel: threading.Event | None) -> list[ReportRun]:
    # The e-mail is queued in the transaction that records the run done: never a done run left unsent.
    email = (lambda run: _email_report(row, run, slot)) if row.email else None
    try:
        made = run_report(lander_id=row.lander_id, client_id=row.client_id, template=row.template.name,
                          out_dir=row.out_dir, file_pattern=row.file_pattern, since_last=row.period == "since_last",
                          schedule=row, slot=slot, now=now, progress=progress, cancel=cancel, default_dir=default_dir,
                          on_done=email)
    except UserError as exc:  # the lander or client went away: record it on a run of this slot
        run = ReportRun.create(schedule=row, template_name=row.template.name, lander=row.lander_id,
                               client=row.client_id, started_at=now, state="running")
        _finish(run, time.monotonic(), state="failed", error=str(exc))
        made = [run]
    return made


def _email_report(row: ReportSchedule, run: ReportRun, slot: datetime) -> None:
    """Queue the file for the client's contacts through the outbox, once per schedule and slot.

    A message the outbox refuses (a contact that is no e-mail address) is noted on the run, not raised.
    """
    client = Client.get_or_none(Client.id == run.client_id)
    contacts = list(client.contacts or []) if client else []
    if not contacts:
        _append_note(run, "Not e-mailed: the client has no contacts.")
        return
    try:
        from xsc_desktop import mail
    except ImportError:
        _append_note(run, "Not e-mailed: the outbox is not available in this version.")
        return
    target = run.lander.name if run.lander_id else f"all landers of {client.name}"
    subject = f"Leads report: {target} ({slot:%Y-%m-%d})"
    body = (f"Hello {client.name},\n\nAttached is the leads report for {target}: {run.rows} lead"
            f"{'' if run.rows == 1 else 's'} ({'since the last report' if row.period == 'since_last' else 'all leads'})."
            f"\n\nBest regards,\nXSC integration team\n")
    key = f"report:{row.id}:{slot:%Y-%m-%dT%H:%M}:{run.lander_id or 'all'}"
    try:
        with database.atomic():  # a savepoint: a refused message leaves the run's transaction whole
            mail.queue_email(kind="report", to=contacts, subject=subject, body=body, attachments=[run.file],
                             dedupe_key=key)
    except UserError as exc:
        _append_note(run, f"Not e-mailed: {exc}")
        events.notify("Report not e-mailed", f"{target}: {exc}", level="error")


def _append_note(run: ReportRun, note: str) -> None:
    run.error = f"{run.error} {note}".strip()
    run.save(only=[ReportRun.error])


def reports_job(now: datetime | None = None) -> str:
    """The scheduler's daily "reports" job (at reports.time_utc): run every due schedule, say so in one line."""
    return _summary(run_due_reports(now, cancel=_stop_event()))


def other_times_job(now: datetime | None = None) -> str:
    """The scheduler's frequent check for schedules set to another time than reports.time_utc, run on time.

    Older missed slots are left to the daily job, which follows the operator's catch-up setting.
    """
    from xsc_desktop import settings

    return _summary(run_due_reports(now, skip_time=settings.get("reports.time_utc"), cancel=_stop_event(),
                                    within=timedelta(seconds=2 * OTHER_TIMES_CHECK_SECONDS)))


def _stop_event() -> threading.Event | None:
    # Quitting sets the scheduler's stop event: a long report stops at its next batch instead of holding the exit.
    try:
        from xsc_desktop import jobs
    except ImportError:
        return None
    return jobs.current_stop_event()


def _summary(runs: list[ReportRun]) -> str:
    failed = [r for r in runs if r.state == "failed"]
    done = sum(1 for r in runs if r.state == "done")
    text = f"{done} report{'s' if done != 1 else ''} written ({sum(r.rows for r in runs)} rows)"
    if failed:
        text += f", {len(failed)} failed: {failed[0].error}"
    if any(r.state == "cancelled" for r in runs):
        text += "; stopped by quitting, the rest wait for the next check"
    return text


OTHER_TIMES_CHECK_SECONDS = 300
