"""Report templates: the column choices, a template's spec (checked and normalised), date patterns in Excel's
words, and the stored templates (built-in ones read-only; duplicate, import, export)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from parsers import transforms
from parsers.fields import CANONICAL_FIELDS
from xsc_desktop import activity, events, rowversion
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.models import (
    ReportSchedule,
    ReportTemplate,
    utcnow,
)

GENERIC = "Generic"
TEMPLATE_FORMAT = "xsc-report-template"

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
    events.publish(Topic.REPORT_TEMPLATES_CHANGED, name=name)
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
    events.publish(Topic.REPORT_TEMPLATES_CHANGED, name=row.name)


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
