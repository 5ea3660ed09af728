"""Times as the operator reads them: the database keeps naive UTC; people see their own zone.

The one home of the time helpers: now in UTC, the operator's zone, naive-UTC conversions, local dates and
instants, and reading an HH:MM time of day. It imports nothing of the app, so every module may use it.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from time import monotonic
from typing import Any

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """The current time in UTC, naive, as stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def aware_utc(moment: datetime | None = None) -> datetime:
    """`moment` as an aware UTC datetime (naive means UTC, as the database keeps it); None means now."""
    if moment is None:
        return datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def naive_utc(moment: datetime | None = None) -> datetime:
    """`moment` as naive UTC, the form the database keeps (an aware time is converted); None means now."""
    if moment is None:
        return datetime.now(UTC).replace(tzinfo=None)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def operator_zone() -> tzinfo | None:
    """The operator's zone: XSC_TIMEZONE (an IANA name) when set, else None meaning the system's local zone."""
    name = os.environ.get("XSC_TIMEZONE", "").strip()
    if not name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("XSC_TIMEZONE %r is not a known zone; using the system zone", name)
        return None


def in_zone(moment: datetime, tz: tzinfo | None) -> datetime:
    """An aware time in the zone `tz` (None: the system's local zone)."""
    return moment.astimezone(tz) if tz is not None else moment.astimezone()


def local_date(now: datetime, tz: tzinfo | None) -> date:
    """The calendar date of an aware time in the zone `tz` (None: the system's local zone)."""
    return in_zone(now, tz).date()


def local_instant(day: date, at: time, tz: tzinfo | None) -> datetime:
    """The aware instant of `at` on `day` in the zone (None: system zone, DST-aware through the C library).

    A time skipped by a DST change (02:30 on the spring-forward night) maps to the instant after the gap; a
    repeated time (01:30 on the fall-back night) to its first occurrence.
    """
    naive = datetime.combine(day, at)
    if tz is None:
        return naive.astimezone()
    local = naive.replace(tzinfo=tz, fold=0)
    # Round-trip through UTC: a non-existent wall time comes back shifted past the gap.
    return local.astimezone(UTC).astimezone(tz)


_HHMM = re.compile(r"\s*(\d{1,2}):(\d{2})\s*", re.ASCII)


def parse_hhmm(text: Any) -> time | None:
    """A time of day written HH:MM ("9:05" and " 09:05 " too; minutes always two digits), 00:00 to 23:59; None
    when `text` is not one.

    The one reader of every HH:MM time (settings, the scheduler, the queue window, report schedules): a caller
    that must not fail falls back to the setting's default when this gives None.
    """
    match = _HHMM.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    return time(hour, minute) if hour < 24 and minute < 60 else None


def to_local(value: datetime) -> datetime:
    """A stored naive-UTC (or aware) time in the operator's zone (XSC_TIMEZONE, else the system's)."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return in_zone(aware, operator_zone())


def local_text(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (a datetime or the ISO text SQLite keeps) as local text; "" for none or unreadable text."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return to_local(value).strftime(fmt)


def local_day_bounds_utc(day) -> tuple[datetime, datetime]:  # a datetime.date
    """The naive-UTC start and end of a calendar day in the operator's zone (for "received on" filters)."""
    zone = operator_zone()
    start = datetime.combine(day, time.min)
    start = start.replace(tzinfo=zone) if zone is not None else start.astimezone()
    end = start + timedelta(days=1)
    return (start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None))


# ---- clocks the scheduler reads ---------------------------------------------------------------------------------
class SystemClock:
    """The real clock: aware UTC now, and a monotonic counter to notice wall-clock jumps."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Seconds from an arbitrary start that never jump."""
        return monotonic()


class ManualClock:
    """A clock a test moves by hand: `clock.set(datetime(...))`, `clock.advance(minutes=5)`."""

    def __init__(self, start: datetime) -> None:
        self._now = aware_utc(start)
        self._mono = 0.0

    def now(self) -> datetime:
        """The clock's current time (aware UTC)."""
        return self._now

    def monotonic(self) -> float:
        """Moves with advance(), not with set() (set() is a wall-clock jump)."""
        return self._mono

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (naive means UTC)."""
        self._now = aware_utc(moment)

    def advance(self, **delta: float) -> datetime:
        """Move forward by timedelta(**delta); returns the new time."""
        step = timedelta(**delta)
        self._now += step
        self._mono += step.total_seconds()
        return self._now
