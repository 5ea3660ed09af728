"""Lead columns matched to canonical fields (remembered per lander), the import preview, drop routing, and
one row normalised (`RowNormaliser`): phones, e-mails, states, dates and over-long values, each problem named."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from parsers.fields import EMAIL_RE, FIELDS_BY_NAME, canonical_name
from parsers.transforms import normalise_phone, normalise_state, parse_datetime, parse_yes_no, zip5
from xsc_desktop.clock import naive_utc
from xsc_desktop.errors import UserError
from xsc_desktop.lead_files import LEAD_FILE_SUFFIXES, open_lead_file
from xsc_desktop.models import Integration, Setting, utcnow

MAX_VALUE_CHARS = 100_000  # longer values are cut (and the cut reported): a form field is never this long
CONTACT_FIELDS = ("first_name", "last_name", "full_name", "email", "phone")


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


def _kept_unless(value: str | None, text: str, column: str, what: str, problems: list[str]) -> str:
    """`value` (the cell normalised), or the text as written with a problem saying it is not `what`."""
    if value is None:
        problems.append(f"{column} {text[:40]!r} is not {what}; kept as written")
        return text
    return value


def _phone_cell(text: str, column: str, problems: list[str]) -> str:
    return _kept_unless(normalise_phone(text), text, column, "a US phone number", problems)


def _email_cell(text: str, column: str, problems: list[str]) -> str:
    email = text.lower()
    if not EMAIL_RE.match(email):
        problems.append(f"{column} {text[:60]!r} is not an e-mail address; kept as written")
    return email


def _state_cell(text: str, column: str, problems: list[str]) -> str:
    return _kept_unless(_state(text), text, column, "a US state", problems)


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
