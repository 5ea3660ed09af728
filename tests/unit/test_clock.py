"""Stored UTC times shown in the operator's zone, across a daylight-saving change."""

from __future__ import annotations

from datetime import date, datetime

from xsc_desktop.clock import local_day_bounds_utc, local_text


def test_utc_is_shown_in_the_operators_zone(monkeypatch):
    monkeypatch.setenv("XSC_TIMEZONE", "America/New_York")
    assert local_text(datetime(2026, 11, 28, 13, 3)) == "2026-11-28 08:03"  # EST, UTC-5
    assert local_text("2026-07-01 12:00:00.123456") == "2026-07-01 08:00"  # EDT, UTC-4
    assert local_text(None) == "" and local_text("") == ""


def test_a_local_day_in_utc_bounds(monkeypatch):
    monkeypatch.setenv("XSC_TIMEZONE", "America/New_York")
    assert local_day_bounds_utc(date(2026, 11, 1)) == (datetime(2026, 11, 1, 4, 0), datetime(2026, 11, 2, 5, 0))
