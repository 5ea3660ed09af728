"""Times of day: one HH:MM reader for settings, the scheduler and the queue window; aware/naive UTC helpers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from xsc_desktop import clock, jobs, queue, settings
from xsc_desktop.errors import UserError
from xsc_desktop.models import Setting

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(("text", "expected"), [("09:00", time(9, 0)), ("9:05", time(9, 5)), (" 23:59 ", time(23, 59)),
                                                ("00:00", time(0, 0))])
def test_parse_hhmm_reads_a_time_of_day(text, expected):
    assert settings.parse_hhmm(text) == expected


@pytest.mark.parametrize("text", ["9am", "24:00", "12:60", "9:5", "12", "", "１２:００", "²:00", "12:00:00", None, 900])
def test_parse_hhmm_refuses_anything_else(text):
    assert settings.parse_hhmm(text) is None


@pytest.mark.parametrize("key", ["queue.gather_time", "queue.run_time", "queue.run_deadline", "reports.time_utc"])
def test_every_time_setting_is_checked_and_stored_as_hh_mm(ctx, key):
    with pytest.raises(UserError, match=f"{key} takes a time of day as HH:MM"):
        settings.set(key, "9am")
    assert settings.set(key, "9:30") == "09:30"
    assert settings.get(key) == "09:30"


def test_queue_deadline_written_before_checking_falls_back_to_the_default(ctx):
    # A value stored by an older version (no check then) must not crash every run.
    Setting.insert(key="queue.run_deadline", value="9am").on_conflict_replace().execute()
    Setting.insert(key="queue.run_time", value="soon").on_conflict_replace().execute()
    start = datetime(2026, 11, 28, 8, 0, tzinfo=NY)
    assert queue.window_end(start, NY) == datetime(2026, 11, 28, 9, 0, tzinfo=NY)  # default 09:00
    assert queue.planned_date(datetime(2026, 11, 28, 7, 59, tzinfo=NY), NY).isoformat() == "2026-11-28"  # 08:00
    job = jobs.JobDef("run", lambda now: "", daily_local_setting="queue.run_time", default_time="08:00")
    assert jobs.planned_slot(job, start, NY).key == "2026-11-28T08:00-05:00"


def test_deadline_setting_moves_the_window(ctx):
    settings.set("queue.run_deadline", "10:15")
    start = datetime(2026, 11, 28, 8, 0, tzinfo=NY)
    assert queue.window_end(start, NY) == datetime(2026, 11, 28, 10, 15, tzinfo=NY)
    late = datetime(2026, 11, 28, 10, 0, tzinfo=NY)
    assert queue.window_end(late, NY) == late + queue.RUN_WINDOW_MIN  # at least half an hour


def test_aware_and_naive_utc():
    naive = datetime(2026, 11, 28, 13, 0)
    aware = datetime(2026, 11, 28, 8, 0, tzinfo=NY)
    assert clock.aware_utc(naive) == datetime(2026, 11, 28, 13, 0, tzinfo=UTC)
    assert clock.aware_utc(aware).tzinfo is UTC and clock.aware_utc(aware) == aware
    assert clock.naive_utc(aware) == naive and clock.naive_utc(naive) is naive
    assert abs(clock.naive_utc() - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)
    assert clock.aware_utc().tzinfo is UTC
