"""Each scheduled slot runs once across a team: separate processes (not threads) on one real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

SCHEDULER = """
import os, sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo
from xsc_desktop import db, jobs
from xsc_desktop.models import Activity

db.connect(sys.argv[1])
NY = ZoneInfo("America/New_York")

def morning_run(now):
    Activity.create(subject_type="job", action="08:00 run", note=str(os.getpid()))
    return "ran"

registry = {"run": jobs.JobDef("run", morning_run, daily_local_setting="queue.run_time", default_time="08:00")}
clock = jobs.ManualClock(datetime(2026, 11, 27, 8, 0, 30, tzinfo=NY).astimezone(UTC))
scheduler = jobs.Scheduler(clock=clock, tz=NY, jobs=registry, headless=True)
print("ready", flush=True)
sys.stdin.readline()
print("ran" if scheduler.tick() else "left it", flush=True)
"""

CLAIMS = """
import sys
from xsc_desktop import db, jobs

db.connect(sys.argv[1])
slots = [f"2026-11-{day:02d}T08:00-05:00" for day in range(1, 31)]
print("ready", flush=True)
sys.stdin.readline()
won = [slot for slot in slots if jobs.claim("run", slot) is not None]
print(" ".join(won), flush=True)
"""


def race(script: str, url: str, copies: int = 3) -> list[str]:
    """Start `copies` processes, let them all get ready, then release them together; returns their last lines."""
    procs = [subprocess.Popen([sys.executable, "-c", script, url], cwd=REPO, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "XSC_NO_DEMO": "1"}) for _ in range(copies)]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert [p.returncode for p in procs] == [0] * copies, [err for _out, err in results]
    return [out.strip() for out, _err in results]


def test_three_processes_racing_for_the_0800_slot_run_it_once(postgres_url):
    outcomes = race(SCHEDULER, postgres_url)
    assert sorted(outcomes) == ["left it", "left it", "ran"]
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("select count(*) from activity where action = '08:00 run'").fetchone()[0] == 1
        assert conn.execute("select slot, state from job_run where job = 'run'").fetchall() == [
            ("2026-11-27T08:00-05:00", "done")]


def test_every_slot_is_claimed_by_exactly_one_process(postgres_url):
    """Three processes claim the same 30 slots at the same moment: each slot goes to one of them, none twice."""
    won = [line.split() for line in race(CLAIMS, postgres_url)]
    claimed = [slot for mine in won for slot in mine]
    assert len(claimed) == 30 and len(set(claimed)) == 30
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("select count(*) from job_run where job = 'run'").fetchone()[0] == 30


SHARED = """
import os, sys
from datetime import UTC, datetime
from xsc_desktop import db, jobs
from xsc_desktop.models import Activity

db.connect(sys.argv[1])

def deliver(now):
    Activity.create(subject_type="job", action="delivery pass", note=str(os.getpid()))
    return "ran"

registry = {"deliver": jobs.JobDef("deliver", deliver, every_seconds_setting="delivery.interval_seconds",
                                   default_time=60, each_process=True)}
clock = jobs.ManualClock(datetime(2026, 11, 27, 13, 0, 30, tzinfo=UTC))
scheduler = jobs.Scheduler(clock=clock, tz=UTC, jobs=registry, headless=True)
print("ready", flush=True)
sys.stdin.readline()
print("ran" if scheduler.tick() else "left it", flush=True)
"""


def test_delivery_passes_run_in_every_daemon_which_share_the_leads_by_claiming_them(postgres_url):
    """Delivery and the outbox are not once-per-team slots: each daemon runs its pass, so they share the work."""
    assert sorted(race(SHARED, postgres_url)) == ["ran", "ran", "ran"]
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("select count(distinct note) from activity where action = 'delivery pass'"
                            ).fetchone()[0] == 3
