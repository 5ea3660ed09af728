"""Delivery rules of an integration: caps, delivery hours, filters and compliance checks, as the client's contract
says them. Pure: no Qt, no database (the delivery loop reads counts and writes states; see `xsc_desktop.delivery`).

Stored as JSON in `integration.delivery_rules` (NULL: no rules, every lead goes as it comes):

    rules = DeliveryRules.from_json(integration.delivery_rules)     # None or "" gives DeliveryRules() (no rules)
    integration.delivery_rules = rules.to_json()                    # None when the rules are empty

What an operator sets (all optional):

- **Caps** (`rules.caps`, a `Caps`): at most N accepted leads per `hour`, `day`, `week` (Monday to Sunday) and
  `month`, counted in calendar windows of the rules' time zone. `None` is no cap; `0` pauses the integration (said
  so by `validate`, which gives a notice, not an error). `rules.client_caps` are the same windows counted over every
  integration of the client (all its landers). The delivery loop counts accepted, in-flight and uncertain attempts
  (a lead that may have reached the client counts), so several workers never go over.
- **Time zone** (`rules.time_zone`): an IANA name ("America/Chicago"); None means the client's zone (Clients page),
  and UTC when the client has none. `rules.zone(client_zone)` gives the ZoneInfo.
- **Delivery hours** (`rules.hours`, `HourRange`s, written "mon-fri 08:00-18:00", "sat 09:00-13:00",
  "mon,wed 08:00-12:00", "daily 00:00-24:00"): leads outside wait and go at opening, oldest first. No ranges means
  any time. `rules.holidays` (dates) are closed all day.
- **Filters** (`rules.filters`, `Filter`s written "state in TX,OK", "case_type in Auto accident,Truck accident",
  "state not in CA", "has_attorney is no", "age < 24" (hours since capture), "required phone,email,zip"): a lead
  failing one is `rejected_by_rule` with the rule named (`Filter.describe()`: "State in TX, OK").
- **Compliance checks** (`rules.require`, names from `CHECKS`: trustedform, jornaya, tcpa, phone, email): a lead
  failing one is `held` with the reason and never posted. TrustedForm: certificate URL present, https, on
  cert.trustedform.com, and younger than `rules.trustedform_max_age_hours` (default 72) measured from the lead's
  capture time (a certificate is made when the form page is filled in). Jornaya: LeadiD present, 36 characters
  (8-4-4-4-12). TCPA: consent yes and its wording stored. Phone: a valid US number (phonenumbers) and not a
  fictional 555-01xx one. E-mail: `parsers.fields.EMAIL_RE`.
- **Pacing** (`rules.posts_per_minute`): at most this many posts a minute (None: the setting
  `delivery.posts_per_minute`), so a backlog at opening does not burst past the client's rate limit.

Functions (all pure):

    parse_hours("mon-fri 08:00-18:00") -> HourRange          # raises RuleError (one sentence) on bad text
    parse_filter("state in TX,OK") -> Filter                 # likewise
    validate(rules, lander_fields) -> list[Problem]          # problem.blocking: refuse to save; else a notice
    evaluate(rules, lead, now, counts, client_zone=None) -> Outcome
    check_compliance(rules, lead, now) -> (check, sentence) | None
    windows(rules, now, client_zone) -> {"hour": (start, end), ...}   # naive-UTC bounds of the current windows
    next_opening(rules, now, client_zone) -> naive-UTC datetime | None

`lead` is a mapping of canonical field names (parsers.fields) to values, with `created_at` (capture time) and/or
`received_at` as datetimes (naive UTC) or ISO text. `now` is naive UTC (or aware). `counts` is a `Counts` of what
went in each current window. `Outcome.kind` is one of OUTCOMES:

    deliver           go now
    capped            a cap is reached: wait until `outcome.until` (None: a cap of 0, paused)
    outside_hours     closed now: wait until `outcome.until`, the next opening
    rejected_by_rule  a filter failed: `outcome.rule` names it, `outcome.reason` says why
    held              a compliance check failed: `outcome.rule` names it, `outcome.reason` says why

Evaluation order: filters, then compliance, then hours, then caps (a lead that can never go is said so at once).
`describe(rules)` gives operator sentences for the GUI and the CLI; `label(kind)` the words for a lead state.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parsers.fields import EMAIL_RE, FIELDS_BY_NAME, canonical_name
from parsers.transforms import normalise_phone, normalise_state, parse_yes_no

PERIODS = ("hour", "day", "week", "month")
PERIOD_WORDS = {"hour": "an hour", "day": "a day", "week": "a week", "month": "a month"}
CHECKS = ("trustedform", "jornaya", "tcpa", "phone", "email")
CHECK_LABELS = {"trustedform": "TrustedForm certificate", "jornaya": "Jornaya LeadiD", "tcpa": "TCPA consent",
                "phone": "Plausible phone", "email": "E-mail syntax"}
OUTCOMES = ("deliver", "capped", "outside_hours", "rejected_by_rule", "held")
STATE_LABELS = {"capped": "Capped", "held": "Held", "rejected_by_rule": "Rejected by rule",
                "outside_hours": "Outside delivery hours", "deliver": "Ready to deliver"}
TRUSTEDFORM_HOST = "cert.trustedform.com"
DEFAULT_TRUSTEDFORM_HOURS = 72
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
OPERATORS = ("in", "not in", "is", "<", "required")


class RuleError(ValueError):
    """A rule that cannot be read; str() is one sentence for the operator."""


# ---- the rules ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Caps:
    """At most this many accepted leads per window; None: no cap, 0: paused."""

    hour: int | None = None
    day: int | None = None
    week: int | None = None
    month: int | None = None

    def items(self) -> list[tuple[str, int]]:
        """(period, cap) of the caps that are set, shortest window first."""
        return [(period, value) for period in PERIODS if (value := getattr(self, period)) is not None]

    def __bool__(self) -> bool:
        return bool(self.items())

    def as_dict(self) -> dict[str, int | None]:
        return {period: getattr(self, period) for period in PERIODS}

    @classmethod
    def from_dict(cls, data: Any) -> Caps:
        if not isinstance(data, Mapping):
            return cls()
        return cls(**{period: _cap_value(data.get(period), period) for period in PERIODS})


def _cap_value(value: Any, period: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise RuleError(f"A cap per {period} must be a whole number, not {value!r}.") from None
    if number < 0:
        raise RuleError(f"A cap per {period} cannot be negative ({number}); use 0 to pause or leave it empty for "
                        "no cap.")
    return number


@dataclass(frozen=True)
class HourRange:
    """Open on `days` (0 = Monday) from `start` to `end`, minutes after midnight (end 1440 = midnight)."""

    days: tuple[int, ...]
    start: int
    end: int

    def text(self) -> str:
        """The form parse_hours reads ("mon-fri 08:00-18:00")."""
        return f"{_days_text(self.days)} {_hhmm(self.start)}-{_hhmm(self.end)}"

    def describe(self) -> str:
        """Operator words: "Monday to Friday 08:00–18:00"."""
        days = self.days
        if days == tuple(range(7)):
            when = "Every day"
        elif len(days) > 2 and days == tuple(range(days[0], days[-1] + 1)):
            when = f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
        else:
            when = ", ".join(DAY_NAMES[d] for d in days)
        return f"{when} {_hhmm(self.start)}–{_hhmm(self.end)}"


@dataclass(frozen=True)
class Filter:
    """A rule over a lead field: `field` `op` `values` (see OPERATORS); `required` lists fields in `values`."""

    field: str
    op: str
    values: tuple[str, ...] = ()

    def text(self) -> str:
        """The form parse_filter reads."""
        if self.op == "required":
            return "required " + ",".join(self.values)
        if self.op == "<":
            return f"age < {self.values[0]}"
        return f"{self.field} {self.op} {','.join(self.values)}"

    def describe(self) -> str:
        """The rule named in operator words: "State in TX, OK", "Has attorney is no", "Lead younger than 24 hours"."""
        if self.op == "required":
            return "Required: " + ", ".join(_field_label(name) for name in self.values)
        if self.op == "<":
            return f"Lead younger than {self.values[0]} hours"
        return f"{_field_label(self.field)} {self.op} {', '.join(self.values)}"

    def fields(self) -> tuple[str, ...]:
        """The lead fields the rule reads."""
        if self.op == "required":
            return self.values
        if self.op == "<":
            return ()
        return (self.field,)


@dataclass(frozen=True)
class DeliveryRules:
    """An integration's delivery rules (see the module docstring)."""

    caps: Caps = field(default_factory=Caps)
    client_caps: Caps = field(default_factory=Caps)
    time_zone: str | None = None
    hours: tuple[HourRange, ...] = ()
    holidays: tuple[date, ...] = ()
    filters: tuple[Filter, ...] = ()
    require: tuple[str, ...] = ()
    trustedform_max_age_hours: int = DEFAULT_TRUSTEDFORM_HOURS
    posts_per_minute: int | None = None

    def is_empty(self) -> bool:
        """No rule at all: every lead goes as it comes."""
        return self == DeliveryRules()

    def has_caps(self) -> bool:
        return bool(self.caps) or bool(self.client_caps)

    def zone(self, client_zone: str | None = None) -> tzinfo:
        """The zone the rules count and open in: their own, else the client's, else UTC (unknown names: UTC)."""
        for name in (self.time_zone, client_zone):
            if name:
                try:
                    return ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError):
                    continue
        return UTC

    # ---- JSON ---------------------------------------------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        return {"caps": self.caps.as_dict(), "client_caps": self.client_caps.as_dict(), "time_zone": self.time_zone,
                "hours": [r.text() for r in self.hours], "holidays": [d.isoformat() for d in self.holidays],
                "filters": [f.text() for f in self.filters], "require": list(self.require),
                "trustedform_max_age_hours": self.trustedform_max_age_hours,
                "posts_per_minute": self.posts_per_minute}

    def to_json(self) -> str | None:
        """The stored form; None for empty rules (the column stays NULL)."""
        return None if self.is_empty() else json.dumps(self.as_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeliveryRules:
        """Rules from their dict form; raises RuleError with one sentence when a part cannot be read."""
        hours = tuple(parse_hours(text) for text in _texts(data.get("hours")))
        holidays = tuple(sorted({parse_holiday(text) for text in _texts(data.get("holidays"))}))
        filters = tuple(parse_filter(text) for text in _texts(data.get("filters")))
        require = tuple(dict.fromkeys(parse_check(name) for name in _texts(data.get("require"))))
        age = data.get("trustedform_max_age_hours")
        ppm = data.get("posts_per_minute")
        zone = data.get("time_zone") or None
        return cls(caps=Caps.from_dict(data.get("caps")), client_caps=Caps.from_dict(data.get("client_caps")),
                   time_zone=str(zone).strip() if zone else None, hours=hours, holidays=holidays, filters=filters,
                   require=require,
                   trustedform_max_age_hours=_positive(age, "The TrustedForm age limit", DEFAULT_TRUSTEDFORM_HOURS),
                   posts_per_minute=_positive(ppm, "Posts per minute", None))

    @classmethod
    def from_json(cls, text: str | None) -> DeliveryRules:
        """Rules from the stored column (None or "" gives no rules); RuleError when the text is damaged. The rules
        are immutable, so each stored text is read once (every delivery pass reads every integration's)."""
        if not text:
            return cls()
        return _from_json(cls, text)

    @classmethod
    def _read_json(cls, text: str) -> DeliveryRules:
        try:
            data = json.loads(text)
        except ValueError:
            raise RuleError("The stored delivery rules are not readable JSON; set them again.") from None
        if not isinstance(data, Mapping):
            raise RuleError("The stored delivery rules are not readable; set them again.")
        return cls.from_dict(data)

    def with_changes(self, **changes: Any) -> DeliveryRules:
        return replace(self, **changes)


@functools.lru_cache(maxsize=4096)
def _from_json(cls: type[DeliveryRules], text: str) -> DeliveryRules:
    return cls._read_json(text)


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _positive(value: Any, what: str, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise RuleError(f"{what} must be a whole number, not {value!r}.") from None
    if number <= 0:
        raise RuleError(f"{what} must be more than 0, not {number}.")
    return number


# ---- reading the operator's text ------------------------------------------------------------------------------
_RANGE = re.compile(r"^\s*(?P<days>[a-z,\- ]+?)\s+(?P<start>\d{1,2}:\d{2})\s*[-–]\s*(?P<end>\d{1,2}:\d{2})\s*$", re.I)


def parse_hours(text: str) -> HourRange:
    """"mon-fri 08:00-18:00" (days: mon..sun, ranges and lists, "daily"/"every day"/"weekdays"/"weekends";
    end "24:00" for midnight) → HourRange; RuleError with one sentence otherwise."""
    match = _RANGE.match(text or "")
    if match is None:
        raise RuleError(f"Delivery hours {text!r} are not readable; write them like \"mon-fri 08:00-18:00\".")
    days = _parse_days(match.group("days"), text)
    start, end = _minutes(match.group("start"), text), _minutes(match.group("end"), text)
    if end <= start:
        raise RuleError(f"Delivery hours {text!r} end before they start; write the end after the start, and split a "
                        "range across midnight in two (\"mon 22:00-24:00\", \"tue 00:00-06:00\").")
    return HourRange(days, start, end)


def _parse_days(text: str, whole: str) -> tuple[int, ...]:
    key = " ".join(text.lower().split())
    named = {"daily": range(7), "every day": range(7), "all": range(7), "weekdays": range(5), "weekends": (5, 6)}
    if key in named:
        return tuple(named[key])
    days: set[int] = set()
    for part in key.replace(" ", "").split(","):
        ends = part.split("-")
        if len(ends) > 2 or not all(e[:3] in DAYS and DAY_NAMES[DAYS.index(e[:3])].lower().startswith(e) for e in ends):
            raise RuleError(f"Delivery hours {whole!r} name a day that is not one of mon, tue, wed, thu, fri, sat, "
                            "sun.")
        first, last = DAYS.index(ends[0][:3]), DAYS.index(ends[-1][:3])
        if last < first:
            raise RuleError(f"Delivery hours {whole!r} run their days backwards; write them like \"mon-fri\".")
        days.update(range(first, last + 1))
    return tuple(sorted(days))


def _minutes(text: str, whole: str) -> int:
    hour, minute = (int(x) for x in text.split(":"))
    if minute >= 60 or hour > 24 or (hour == 24 and minute):
        raise RuleError(f"Delivery hours {whole!r} hold a time that does not exist ({text}); use 00:00 to 24:00.")
    return hour * 60 + minute


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days_text(days: tuple[int, ...]) -> str:
    if days == tuple(range(7)):
        return "daily"
    runs: list[str] = []
    start = prev = days[0]
    for day in (*days[1:], None):
        if day is not None and day == prev + 1:
            prev = day
            continue
        runs.append(DAYS[start] if start == prev else f"{DAYS[start]}-{DAYS[prev]}")
        if day is not None:
            start = prev = day
    return ",".join(runs)


def parse_holiday(text: str) -> date:
    """"2026-12-25" → date; RuleError otherwise."""
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise RuleError(f"The holiday {text!r} is not a date; write it as YYYY-MM-DD (2026-12-25).") from None


_FILTER = re.compile(r"^\s*(?P<field>[a-z_][a-z0-9_ ]*?)\s+(?P<op>not\s+in|in|is|<)\s+(?P<values>.+?)\s*$", re.I)
_REQUIRED = re.compile(r"^\s*(?:required|require|present)\s*:?\s+(?P<values>.+?)\s*$", re.I)
_AGE = re.compile(r"^\s*(\d+)\s*(?:h|hours?)?\s*$", re.I)


def parse_filter(text: str) -> Filter:
    """"state in TX,OK", "state not in CA", "case_type in Auto,Truck", "has_attorney is no", "age < 24" (hours),
    "required phone,email" → Filter; RuleError with one sentence otherwise."""
    example = "write it like \"state in TX,OK\", \"has_attorney is no\", \"age < 24\" or \"required phone,email\""
    required = _REQUIRED.match(text or "")
    if required:
        names = tuple(dict.fromkeys(_field_name(v, text) for v in _split(required.group("values"))))
        if not names:
            raise RuleError(f"The filter {text!r} names no field; {example}.")
        return Filter("", "required", names)
    match = _FILTER.match(text or "")
    if match is None:
        raise RuleError(f"The filter {text!r} is not readable; {example}.")
    op = " ".join(match.group("op").lower().split())
    raw_field, raw_values = match.group("field").strip(), match.group("values")
    if op == "<":
        if raw_field.lower() not in ("age", "lead age", "age_hours", "hours"):
            raise RuleError(f"The filter {text!r} compares a field with <; only the lead's age can be compared "
                            "(\"age < 24\", in hours).")
        age = _AGE.match(raw_values)
        if age is None or int(age.group(1)) <= 0:
            raise RuleError(f"The filter {text!r} needs a number of hours above 0 (\"age < 24\").")
        return Filter("age", "<", (str(int(age.group(1))),))
    name = _field_name(raw_field, text)
    values = tuple(_split(raw_values))
    if not values:
        raise RuleError(f"The filter {text!r} lists no value; {example}.")
    if op == "is":
        if len(values) != 1 or parse_yes_no(values[0]) is None:
            raise RuleError(f"The filter {text!r} takes yes or no after \"is\".")
        return Filter(name, "is", ("yes" if parse_yes_no(values[0]) else "no",))
    if name == "state":
        codes = []
        for value in values:
            code = normalise_state(value)
            if code is None:
                raise RuleError(f"The filter {text!r} names {value!r}, which is not a US state; use its 2-letter "
                                "code (TX).")
            codes.append(code)
        values = tuple(dict.fromkeys(codes))
    return Filter(name, op, values)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _field_name(text: str, whole: str) -> str:
    key = text.strip()
    if key.lower().replace(" ", "_") in FIELDS_BY_NAME:
        return key.lower().replace(" ", "_")
    name = canonical_name(key)
    if name is None:
        raise RuleError(f"The filter {whole!r} names {key!r}, which is not a lead field; use a field name such as "
                        "state, case_type or has_attorney.")
    return name


def _field_label(name: str) -> str:
    known = FIELDS_BY_NAME.get(name)
    return known.label if known else name.replace("_", " ").capitalize()


def parse_check(name: str) -> str:
    """A compliance check's name (CHECKS), forgiving case and spelling ("TrustedForm", "leadid"); RuleError else."""
    key = re.sub(r"[^a-z]", "", str(name).lower())
    aliases = {"leadid": "jornaya", "trustedformcert": "trustedform", "tf": "trustedform", "consent": "tcpa",
               "mail": "email", "emailsyntax": "email", "phonenumber": "phone"}
    key = aliases.get(key, key)
    if key not in CHECKS:
        raise RuleError(f"There is no compliance check called {name!r}; use one of {', '.join(CHECKS)}.")
    return key


def parse_zone(name: str) -> str:
    """An IANA zone name, checked; RuleError with one sentence when unknown."""
    text = str(name or "").strip()
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleError(f"The time zone {text!r} is unknown; use an IANA name such as America/Chicago.") from None
    return text


# ---- checking before saving -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One sentence about the rules; `blocking` ones stop a save (a cap of 0 is a notice: saved, said so)."""

    message: str
    blocking: bool = True
    part: str = ""  # caps, client_caps, time_zone, hours, filters, require

    def __str__(self) -> str:
        return self.message


def validate(rules: DeliveryRules, lander_fields: Iterable[str] | None = None) -> list[Problem]:
    """What is wrong (or worth saying) about `rules`: unknown time zone, overlapping hour ranges, a filter or a
    required field the lander does not collect (`lander_fields`: canonical names; None skips that check), a cap of
    0 (pauses; a notice). Bad syntax cannot reach here: the parse functions raise RuleError for it."""
    problems: list[Problem] = []
    for part, caps, whose in (("caps", rules.caps, "This integration"), ("client_caps", rules.client_caps,
                                                                        "The client's landers")):
        for period, value in caps.items():
            if value == 0:
                problems.append(Problem(f"A cap of 0 {PERIOD_WORDS[period]} pauses delivery: {whose.lower()} "
                                        "will send no lead until you raise it.", blocking=False, part=part))
        ordered = caps.items()
        for (short, low), (long, high) in zip(ordered, ordered[1:], strict=False):
            if low > high > 0:
                problems.append(Problem(f"The cap of {low} {PERIOD_WORDS[short]} is above the cap of {high} "
                                        f"{PERIOD_WORDS[long]}, so it never applies.", blocking=False, part=part))
    if rules.time_zone:
        try:
            parse_zone(rules.time_zone)
        except RuleError as exc:
            problems.append(Problem(str(exc), part="time_zone"))
    for i, first in enumerate(rules.hours):
        for second in rules.hours[i + 1:]:
            shared = sorted(set(first.days) & set(second.days))
            if shared and first.start < second.end and second.start < first.end:
                problems.append(Problem(
                    f"The delivery hours {first.describe()} and {second.describe()} overlap on "
                    f"{DAY_NAMES[shared[0]]}; make the ranges separate or join them into one.", part="hours"))
    if lander_fields is not None:
        known = set(lander_fields)
        for rule in rules.filters:
            missing = [name for name in rule.fields() if name not in known]
            if missing:
                names = ", ".join(_field_label(name) for name in missing)
                problems.append(Problem(f"The filter \"{rule.describe()}\" reads {names}, which this lander does not "
                                        "collect; every lead would fail it. Remove it or add the field to the lander.",
                                        part="filters"))
        needs = {"trustedform": "trustedform_cert_url", "jornaya": "jornaya_leadid", "tcpa": "tcpa_consent",
                 "phone": "phone", "email": "email"}
        for check in rules.require:
            if needs[check] not in known:
                problems.append(Problem(f"The check \"{CHECK_LABELS[check]}\" needs {_field_label(needs[check])}, "
                                        "which this lander does not collect; every lead would be held.",
                                        part="require"))
    return problems


def blocking(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that stop a save."""
    return [p for p in problems if p.blocking]


# ---- windows and hours ----------------------------------------------------------------------------------------
def _aware(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _naive(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    # A midnight skipped by a DST change maps to the first instant after the gap.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).astimezone(zone)


def window(period: str, now: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """The naive-UTC [start, end) of the calendar `period` (hour, day, week from Monday, month) holding `now`."""
    local = _aware(now).astimezone(zone)
    if period == "hour":
        start = local.replace(minute=0, second=0, microsecond=0)
        return _naive(start), _naive(start) + timedelta(hours=1)
    day = local.date()
    if period == "day":
        first, after = day, day + timedelta(days=1)
    elif period == "week":
        first = day - timedelta(days=day.weekday())
        after = first + timedelta(days=7)
    elif period == "month":
        first = day.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(period)
    return _naive(_local_midnight(first, zone)), _naive(_local_midnight(after, zone))


def windows(rules: DeliveryRules, now: datetime, client_zone: str | None = None) -> dict[str, tuple[datetime, datetime]]:
    """The current window of every period a cap (own or client-wide) is set for."""
    zone = rules.zone(client_zone)
    periods = {period for period, _ in rules.caps.items()} | {period for period, _ in rules.client_caps.items()}
    return {period: window(period, now, zone) for period in PERIODS if period in periods}


def is_open(rules: DeliveryRules, now: datetime, client_zone: str | None = None) -> bool:
    """Whether leads may go at `now` (delivery hours and holidays in the rules' zone)."""
    local = _aware(now).astimezone(rules.zone(client_zone))
    return _open_at(rules, local)


def _open_at(rules: DeliveryRules, local: datetime) -> bool:
    if local.date() in rules.holidays:
        return False
    if not rules.hours:
        return True
    minute = local.hour * 60 + local.minute
    weekday = local.weekday()
    return any(weekday in r.days and r.start <= minute < r.end for r in rules.hours)


def next_opening(rules: DeliveryRules, now: datetime, client_zone: str | None = None) -> datetime | None:
    """The naive-UTC instant leads may next go at or after `now` (`now` itself when open); None when never (every
    day a holiday for two years)."""
    zone = rules.zone(client_zone)
    local = _aware(now).astimezone(zone)
    if _open_at(rules, local):
        return _naive(local)
    ranges = rules.hours or (HourRange(tuple(range(7)), 0, 1440),)
    for offset in range(800):
        current = local.date() + timedelta(days=offset)
        if current in rules.holidays:
            continue
        for start in sorted(r.start for r in ranges if current.weekday() in r.days):
            moment = datetime.combine(current, time(start // 60, start % 60), tzinfo=zone)
            moment = moment.astimezone(UTC).astimezone(zone)  # a start skipped by DST: the instant after the gap
            if moment > local:
                return _naive(moment)
    return None


# ---- evaluation -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Counts:
    """Leads counted against caps in each current window: this integration's and the client's (all its landers)."""

    integration: Mapping[str, int] = field(default_factory=dict)
    client: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What the rules say about one lead now (see OUTCOMES); `until` is naive UTC."""

    kind: str
    until: datetime | None = None
    rule: str = ""  # the rule named in operator words
    reason: str = ""  # one sentence

    @property
    def deliverable(self) -> bool:
        return self.kind == "deliver"

    def label(self) -> str:
        return STATE_LABELS.get(self.kind, self.kind)


DELIVER = Outcome("deliver")


def evaluate(rules: DeliveryRules, lead: Mapping[str, Any], now: datetime, counts: Counts | None = None,
             client_zone: str | None = None) -> Outcome:
    """What the rules say about `lead` at `now` given `counts` (see the module docstring for the order)."""
    rejected = check_filters(rules, lead, now)
    if rejected is not None:
        rule, reason = rejected
        return Outcome("rejected_by_rule", rule=rule.describe(), reason=reason)
    failed = check_compliance(rules, lead, now)
    if failed is not None:
        check, reason = failed
        return Outcome("held", rule=CHECK_LABELS[check], reason=reason)
    return evaluate_time(rules, now, counts, client_zone)


def evaluate_time(rules: DeliveryRules, now: datetime, counts: Counts | None = None,
                  client_zone: str | None = None) -> Outcome:
    """The part of `evaluate` that is the same for every lead of the integration: hours, then caps."""
    zone = rules.zone(client_zone)
    opening = next_opening(rules, now, client_zone)
    if opening is None:
        return Outcome("outside_hours", None, "Delivery hours", "Delivery hours never open; check the hours and "
                                                                "holidays.")
    if opening > _naive(_aware(now)):
        return Outcome("outside_hours", opening, "Delivery hours",
                       f"Outside delivery hours; waits until {_local_text(opening, zone)}.")
    capped = cap_reached(rules, now, counts or Counts(), client_zone)
    if capped is not None:
        return capped
    return DELIVER


def cap_reached(rules: DeliveryRules, now: datetime, counts: Counts, client_zone: str | None = None) -> Outcome | None:
    """A `capped` Outcome when a cap is reached (waiting until the latest reached window ends, moved on to the
    next opening), else None."""
    zone = rules.zone(client_zone)
    reached: list[tuple[datetime | None, str]] = []
    for caps, seen, whose in ((rules.caps, counts.integration, ""), (rules.client_caps, counts.client, "client ")):
        for period, cap in caps.items():
            if int(seen.get(period, 0)) >= cap:
                end = None if cap == 0 else window(period, now, zone)[1]
                name = f"{whose}cap of {cap} {PERIOD_WORDS[period]}".capitalize()
                reached.append((end, name))
    if not reached:
        return None
    if any(end is None for end, _ in reached):
        name = next(n for end, n in reached if end is None)
        return Outcome("capped", None, name, f"{name} pauses delivery; raise the cap to send again.")
    end, name = max(reached, key=lambda item: item[0] or datetime.min)
    assert end is not None
    opening = next_opening(rules, end, client_zone) or end
    return Outcome("capped", opening, name, f"{name} reached; waits until {_local_text(opening, zone)}.")


def remaining(rules: DeliveryRules, counts: Counts) -> int | None:
    """How many more leads the caps allow in the current windows (None: no cap)."""
    left = [cap - int(counts.integration.get(period, 0)) for period, cap in rules.caps.items()]
    left += [cap - int(counts.client.get(period, 0)) for period, cap in rules.client_caps.items()]
    return max(0, min(left)) if left else None


def _local_text(moment: datetime, zone: tzinfo) -> str:
    local = moment.replace(tzinfo=UTC).astimezone(zone)
    return f"{local:%a %Y-%m-%d %H:%M} {getattr(zone, 'key', 'UTC')}"


# ---- filters --------------------------------------------------------------------------------------------------
def _value(lead: Mapping[str, Any], name: str) -> str:
    value = lead.get(name)
    return "" if value is None else str(value).strip()


def lead_time(lead: Mapping[str, Any]) -> datetime | None:
    """The lead's capture time (else its received time) as naive UTC, or None."""
    for key in ("created_at", "captured_at", "received_at"):
        value = lead.get(key)
        if isinstance(value, datetime):
            return value if value.tzinfo is None else _naive(value)
        if isinstance(value, str) and value.strip():
            try:
                return _naive(_aware(datetime.fromisoformat(value.strip().replace("Z", "+00:00"))))
            except ValueError:
                continue
    return None


def check_filters(rules: DeliveryRules, lead: Mapping[str, Any], now: datetime) -> tuple[Filter, str] | None:
    """The first filter `lead` fails, with the sentence saying why; None when it passes them all."""
    for rule in rules.filters:
        reason = _fails(rule, lead, now)
        if reason is not None:
            return rule, reason
    return None


def _fails(rule: Filter, lead: Mapping[str, Any], now: datetime) -> str | None:
    if rule.op == "required":
        missing = [_field_label(name) for name in rule.values if not _value(lead, name)]
        return f"Missing {', '.join(missing)} (rule \"{rule.describe()}\")." if missing else None
    if rule.op == "<":
        captured = lead_time(lead)
        if captured is None:
            return None  # no time known: the lead has just come in
        hours = (_naive(now) - captured).total_seconds() / 3600
        limit = int(rule.values[0])
        return None if hours < limit else (f"The lead is {hours:.0f} hours old, not younger than {limit} hours "
                                           f"(rule \"{rule.describe()}\").")
    label = _field_label(rule.field)
    raw = _value(lead, rule.field)
    if rule.op == "is":
        answer = parse_yes_no(raw)
        wanted = rule.values[0] == "yes"
        if answer is None:
            return f"{label} is not answered (rule \"{rule.describe()}\")."
        return None if answer == wanted else f"{label} is {'yes' if answer else 'no'} (rule \"{rule.describe()}\")."
    if not raw:
        return f"{label} is missing (rule \"{rule.describe()}\")."
    if rule.field == "state":
        key = normalise_state(raw) or raw.upper()
        inside = key in rule.values
    else:
        key = " ".join(raw.lower().split())
        inside = key in {" ".join(v.lower().split()) for v in rule.values}
    if inside == (rule.op == "in"):
        return None
    return f"{label} is {raw} (rule \"{rule.describe()}\")."


# ---- compliance -----------------------------------------------------------------------------------------------
_CERT_ID = re.compile(r"^/?[0-9a-f]{40}$", re.I)
_LEADID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$", re.I)


def check_compliance(rules: DeliveryRules, lead: Mapping[str, Any], now: datetime) -> tuple[str, str] | None:
    """The first compliance check `lead` fails, with the sentence saying why; None when it passes them all."""
    for check in rules.require:
        reason = _COMPLIANCE[check](rules, lead, now)
        if reason is not None:
            return check, reason
    return None


def check_trustedform(rules: DeliveryRules, lead: Mapping[str, Any], now: datetime) -> str | None:
    url = _value(lead, "trustedform_cert_url")
    if not url:
        return "No TrustedForm certificate URL; the client requires one."
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or not parts.netloc:
        return f"The TrustedForm certificate {url[:100]!r} is not a URL; it should look like https://{TRUSTEDFORM_HOST}/…"
    if parts.scheme.lower() != "https":
        return f"The TrustedForm certificate {url[:100]!r} is not https; a certificate URL starts with https://."
    if (parts.hostname or "").lower() != TRUSTEDFORM_HOST:
        return (f"The TrustedForm certificate {url[:100]!r} is not on {TRUSTEDFORM_HOST}; it may be a ping or a "
                "made-up address.")
    if not _CERT_ID.match(parts.path):
        return f"The TrustedForm certificate {url[:100]!r} has no certificate id (40 letters and digits after the host)."
    captured = lead_time(lead)
    if captured is not None:
        hours = (_naive(now) - captured).total_seconds() / 3600
        if hours >= rules.trustedform_max_age_hours:
            return (f"The TrustedForm certificate is {hours:.0f} hours old; the client accepts at most "
                    f"{rules.trustedform_max_age_hours} hours.")
    return None


def check_jornaya(rules: DeliveryRules, lead: Mapping[str, Any], now: datetime) -> str | None:
    token = _value(lead, "jornaya_leadid")
    if not token:
        return "No Jornaya LeadiD; the client requires one."
    if len(token) != 36:
        return f"The Jornaya LeadiD {token[:60]!r} has {len(token)} characters, not 36."
    if not _LEADID.match(token):
        return f"The Jornaya LeadiD {token!r} is not in the 8-4-4-4-12 form of letters A–F and digits."
    return None


def check_tcpa(rules: DeliveryRules, lead: Mapping[str, Any], now: datetime) -> str | None:
    consent = parse_yes_no(_value(lead, "tcpa_consent"))
    if consent is not True:
        return "No TCPA consent on this lead; the client requires it." if consent is None else \
            "The person did not give TCPA consent."
    if not _value(lead, "tcpa_text"):
        return "TCPA consent is given but its wording is not stored; the client requires the text shown."
    return None


def check_phone(rules: DeliveryRules, lead: Mapping[str, Any], now: datetime) -> str | None:
    raw = _value(lead, "phone")
    if not raw:
        return "No phone number; the client requires a plausible one."
    digits = normalise_phone(raw)
    if digits is None:
        return f"The phone number {raw[:40]!r} is not a 10-digit US number."
    if digits[3:6] == "555" and digits[6:8] == "01":
        return f"The phone number {raw[:40]!r} is a fictional 555-01xx number."
    if not _phone_valid(digits):
        return f"The phone number {raw[:40]!r} has an area code or exchange that does not exist."
    return None


def _phone_valid(digits: str) -> bool:
    if digits[0] in "01" or digits[3] in "01":
        return False
    return _exchange_exists(digits[:6])


@functools.lru_cache(maxsize=65536)
def _exchange_exists(prefix: str) -> bool:
    """Whether numbers of the area code and exchange `prefix` (6 digits) exist: North American numbers are assigned
    by area code and exchange, so phonenumbers' verdict on one line number holds for the exchange (a check on
    3,000 random exchanges × 6 line numbers found no exchange that disagreed). Cached: phonenumbers takes about
    0.4 ms a number."""
    import phonenumbers  # imported on first use: its metadata loads lazily

    try:
        number = phonenumbers.parse(prefix + "2345", "US")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def check_email(rules: DeliveryRules, lead: Mapping[str, Any], now: datetime) -> str | None:
    address = _value(lead, "email")
    if not address:
        return "No e-mail address; the client requires one."
    if not EMAIL_RE.match(address):
        return f"The e-mail address {address[:80]!r} is not written like name@example.com."
    return None


_COMPLIANCE = {"trustedform": check_trustedform, "jornaya": check_jornaya, "tcpa": check_tcpa,
               "phone": check_phone, "email": check_email}


# ---- for people -----------------------------------------------------------------------------------------------
def describe(rules: DeliveryRules, client_zone: str | None = None) -> list[str]:
    """The rules as sentences for the GUI, the CLI and the posting summary ("No rules: every lead goes." when
    empty)."""
    if rules.is_empty():
        return ["No delivery rules: every lead goes as it comes."]
    lines: list[str] = []
    zone_name = getattr(rules.zone(client_zone), "key", "UTC")
    for caps, whose in ((rules.caps, "Cap"), (rules.client_caps, "Client-wide cap")):
        for period, cap in caps.items():
            lines.append(f"{whose}: {cap} {PERIOD_WORDS[period]}" + (" (paused)" if cap == 0 else ""))
    lines.append(f"Time zone: {zone_name}" + ("" if rules.time_zone else " (the client's)"))
    lines.append("Delivery hours: " + ("; ".join(r.describe() for r in rules.hours) if rules.hours else "any time"))
    if rules.holidays:
        lines.append("Holidays: " + ", ".join(d.isoformat() for d in rules.holidays))
    for rule in rules.filters:
        lines.append(f"Filter: {rule.describe()}")
    for check in rules.require:
        extra = f" (at most {rules.trustedform_max_age_hours} hours old)" if check == "trustedform" else ""
        lines.append(f"Check: {CHECK_LABELS[check]}{extra}")
    if rules.posts_per_minute:
        lines.append(f"Pacing: at most {rules.posts_per_minute} posts a minute")
    return lines


def label(state: str) -> str:
    """Operator words for a lead state or outcome kind of this module."""
    return STATE_LABELS.get(state, state.replace("_", " ").capitalize())
