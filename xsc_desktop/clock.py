"""Times as the operator reads them: the database keeps naive UTC; people see their own zone."""

from __future__ import annotations

from datetime import UTC, datetime


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


def to_local(value: datetime) -> datetime:
    """A stored naive-UTC (or aware) time in the operator's zone (XSC_TIMEZONE, else the system's)."""
    from xsc_desktop.jobs import operator_zone

    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    zone = operator_zone()
    return aware.astimezone(zone) if zone is not None else aware.astimezone()


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


def local_day_bounds_utc(day) -> tuple[datetime, datetime]:  # noqa: ANN001 - a datetime.date
    """The naive-UTC start and end of a calendar day in the operator's zone (for "received on" filters)."""
    from datetime import time, timedelta

    from xsc_desktop.jobs import operator_zone

    zone = operator_zone()
    start = datetime.combine(day, time.min)
    start = start.replace(tzinfo=zone) if zone is not None else start.astimezone()
    end = start + timedelta(days=1)
    return (start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None))
