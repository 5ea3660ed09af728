"""The scheduler with an injected clock: daily local and UTC slots, intervals, catch-up, DST, pause, failures."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from xsc_desktop import events, jobs, settings
from xsc_desktop.models import JobRun

NY = ZoneInfo("America/New_York")


@pytest.fixture
def calls():
    return []


@pytest.fixture
def registry(ctx, calls):
    settings.set("jobs.catch_up", "skip")  # slots before the test's start time are not the point (most tests)
    def make(name):
        def fn(now):
            calls.append((name, now))
            return f"{name} ran"
        return fn

    return {
        "gather": jobs.JobDef("gather", make("gather"), daily_local_setting="queue.gather_time", default_time="15:00"),
        "run": jobs.JobDef("run", make("run"), daily_local_setting="queue.run_time", default_time="08:00"),
        "reports": jobs.JobDef("reports", make("reports"), daily_utc_setting="reports.time_utc",
                               default_time="05:00"),
        "deliver": jobs.JobDef("deliver", make("deliver"), every_seconds_setting="delivery.interval_seconds",
                               default_time=60),
    }


def ny(*args):
    return datetime(*args, tzinfo=NY).astimezone(UTC)


def make_scheduler(registry, start, **kw):
    clock = jobs.ManualClock(start)
    return jobs.Scheduler(clock=clock, tz=NY, jobs=registry, **kw), clock


def names(calls, only=("gather", "run")):
    return [c[0] for c in calls if c[0] in only]


def test_daily_local_slots_run_once_at_their_time(registry, calls):
    sched, clock = make_scheduler(registry, ny(2026, 11, 27, 14, 59))
    sched.tick()
    assert names(calls) == []
    clock.set(ny(2026, 11, 27, 15, 0))
    sched.tick()
    sched.tick()
    assert names(calls) == ["gather"]
    row = JobRun.get(JobRun.job == "gather")
    assert row.slot == "2026-11-27T15:00-05:00" and row.state == "done" and row.detail == "gather ran"
    # next morning: the 05:00 UTC reports (00:00 New York) then 08:00 local
    clock.set(ny(2026, 11, 28, 0, 0))
    sched.tick()
    assert names(calls, ("gather", "run", "reports")) == ["gather", "reports"]
    clock.set(ny(2026, 11, 28, 8, 0, 30))
    sched.tick()
    assert names(calls, ("gather", "run", "reports")) == ["gather", "reports", "run"]


def test_a_second_process_cannot_run_a_claimed_slot(registry, calls):
    first, clock = make_scheduler(registry, ny(2026, 11, 27, 15, 1))
    second = jobs.Scheduler(clock=clock, tz=NY, jobs=registry)
    first.tick()
    second.tick()
    assert names(calls) == ["gather"]
    assert jobs.claim("gather", "2026-11-27T15:00-05:00") is None


def test_clock_jumping_back_does_not_rerun(registry, calls):
    sched, clock = make_scheduler(registry, ny(2026, 11, 27, 15, 0))
    sched.tick()
    clock.set(ny(2026, 11, 27, 14, 0))
    sched.tick()
    clock.set(ny(2026, 11, 27, 15, 5))
    sched.tick()
    assert names(calls) == ["gather"]


def test_changing_the_time_after_the_run_does_not_run_twice_that_day(registry, calls):
    sched, clock = make_scheduler(registry, ny(2026, 11, 27, 15, 0))
    sched.tick()
    settings.set("queue.gather_time", "16:00")
    clock.set(ny(2026, 11, 27, 16, 0))
    sched.tick()
    assert names(calls) == ["gather"]


@pytest.mark.parametrize("choice, expected", [("run", ["run"]), ("skip", [])])
def test_missed_slot_on_start_follows_catch_up(registry, calls, choice, expected):
    settings.set("jobs.catch_up", choice)
    sched, _clock = make_scheduler(registry, ny(2026, 11, 27, 10, 30))
    sched.tick(first=True)
    assert names(calls) == expected
    row = JobRun.get(JobRun.job == "run")
    assert row.state == ("done" if choice == "run" else "skipped")


def test_missed_slot_with_ask_waits_for_the_answer(registry, calls):
    settings.set("jobs.catch_up", "ask")
    asked = []
    events.subscribe("job.missed", lambda t, p: asked.append(p))
    sched, _clock = make_scheduler(registry, ny(2026, 11, 27, 10, 30))
    sched.tick(first=True)
    sched.tick()
    assert names(calls) == [] and [a["job"] for a in asked] == ["run", "reports"]
    assert sched.answer_missed("run", asked[0]["slot"], run=True) is None  # kept; the scheduler acts on it
    assert names(calls) == []
    sched.tick()
    assert names(calls) == ["run"]
    assert JobRun.get(JobRun.slot == asked[0]["slot"]).detail == "caught up: run ran"
    sched.answer_missed("reports", asked[1]["slot"], run=False)
    sched.tick()
    sched.tick()
    assert names(calls, ("run", "reports")) == ["run"]
    assert JobRun.get(JobRun.slot == asked[1]["slot"]).state == "skipped"


def test_answering_a_missed_run_while_another_job_runs_is_not_lost(registry, calls):
    """Yes while another job holds the scheduler: the answer waits and the slot runs once that job ends."""
    settings.set("jobs.catch_up", "ask")
    asked = []
    events.subscribe("job.missed", lambda t, p: asked.append(p))
    started, release = threading.Event(), threading.Event()

    def slow(now):
        started.set()
        assert release.wait(10)
        return "slow done"

    sched, clock = make_scheduler(registry, ny(2026, 11, 27, 10, 30))
    sched.tick(first=True)  # asks about 08:00 (run) and 05:00 UTC (reports)
    registry["slow"] = jobs.JobDef("slow", slow, every_seconds_setting="delivery.interval_seconds")
    clock.advance(minutes=1)
    busy = threading.Thread(target=lambda: sched.run_now("slow"))
    busy.start()
    try:
        assert started.wait(10)
        sched.answer_missed("run", asked[0]["slot"], run=True)
        sched.tick()  # the scheduler is busy: nothing runs, the answer stays
        assert names(calls) == []
    finally:
        release.set()
        busy.join(10)
    sched.tick()
    assert names(calls) == ["run"]
    assert JobRun.get(JobRun.slot == asked[0]["slot"]).state == "done"
    sched.tick()
    assert names(calls) == ["run"]  # answered once, run once


def test_a_slot_delayed_by_a_long_job_runs_late_instead_of_missed(registry, calls):
    """One job at a time: a slot that came due while another job ran is late, not missed (catch-up is skip)."""
    clock_box = []

    def long_gather(now):
        clock_box[0].advance(minutes=40)  # the job takes 40 minutes; both clocks move, nobody slept
        calls.append(("long", now))
        return "long done"

    registry["long"] = jobs.JobDef("long", long_gather, daily_local_setting="queue.gather_time")
    settings.set("queue.gather_time", "07:50")
    sched, clock = make_scheduler(registry, ny(2026, 11, 27, 7, 50))
    clock_box.append(clock)
    sched.tick(first=True)  # runs "long" until 08:30
    assert names(calls, ("long", "run")) == ["long"]
    sched.tick()
    assert names(calls, ("long", "run")) == ["long", "run"]
    assert JobRun.get(JobRun.job == "run").state == "done"


def test_a_slot_passed_while_asleep_or_paused_is_missed(registry, calls):
    sched, clock = make_scheduler(registry, ny(2026, 11, 27, 7, 50))
    sched.tick(first=True)
    clock.set(ny(2026, 11, 27, 9, 0))  # asleep across 08:00: the wall clock moved, the monotonic one did not
    sched.tick()
    assert names(calls) == [] and JobRun.get(JobRun.job == "run").state == "skipped"
    sched.pause()
    clock.advance(hours=7)  # 16:00, paused across the 15:00 gather
    sched.tick()
    sched.resume()
    sched.tick()
    assert names(calls) == [] and JobRun.get(JobRun.job == "gather").state == "skipped"


def test_headless_ask_skips_with_a_notification(registry, calls):
    settings.set("jobs.catch_up", "ask")
    notes = []
    events.subscribe("notify", lambda t, p: notes.append(p))
    sched, _clock = make_scheduler(registry, ny(2026, 11, 27, 10, 30), headless=True)
    sched.tick(first=True)
    assert names(calls) == [] and JobRun.get(JobRun.job == "run").state == "skipped"
    assert "skipped" in notes[0]["message"]


def test_waking_from_sleep_just_after_the_slot_runs_it(registry, calls):
    sched, clock = make_scheduler(registry, ny(2026, 11, 27, 7, 55))
    sched.tick()
    clock.set(ny(2026, 11, 27, 8, 4))  # asleep across 08:00, woke within the grace
    sched.tick()
    assert names(calls) == ["run"]


def test_dst_spring_forward_and_fall_back(registry, calls):
    settings.set("queue.run_time", "02:30")  # does not exist on 8 March 2026 in New York
    sched, clock = make_scheduler(registry, ny(2026, 3, 8, 1, 59))
    sched.tick()
    assert names(calls) == []
    clock.set(datetime(2026, 3, 8, 7, 30, tzinfo=UTC))  # 03:30 EDT, right after the gap
    sched.tick()
    assert names(calls) == ["run"]
    settings.set("queue.run_time", "01:30")  # happens twice on 1 November 2026
    clock.set(datetime(2026, 11, 1, 5, 30, tzinfo=UTC))  # 01:30 EDT, the first one
    sched.tick()
    clock.set(datetime(2026, 11, 1, 6, 30, tzinfo=UTC))  # 01:30 EST, the repeat
    sched.tick()
    slots = [r.slot for r in JobRun.select().where(JobRun.job == "run").order_by(JobRun.id)]
    assert names(calls) == ["run", "run"]
    assert slots == ["2026-03-08T02:30-04:00", "2026-11-01T01:30-04:00"]


def test_next_runs_cross_midnight_and_dst(registry):
    sched, _clock = make_scheduler(registry, ny(2026, 11, 27, 16, 0))
    sched.tick()
    nxt = sched.next_runs()
    assert nxt["gather"] == ny(2026, 11, 28, 15, 0)  # today's ran: tomorrow
    assert nxt["run"] == ny(2026, 11, 28, 8, 0)
    assert nxt["reports"] == datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
    assert jobs.show_time(nxt["run"], NY, now=ny(2026, 11, 27, 16, 0)) == "tomorrow 08:00"
    # across the fall-back night the next 08:00 is at 13:00 UTC instead of 12:00
    sched2, _ = make_scheduler(registry, ny(2026, 10, 31, 9, 0))
    sched2.tick()
    assert sched2.next_runs()["run"] == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_interval_job_runs_once_per_bucket(registry, calls):
    sched, clock = make_scheduler(registry, datetime(2026, 11, 27, 12, 0, 5, tzinfo=UTC))
    sched.tick()
    sched.tick()
    clock.advance(seconds=30)
    sched.tick()
    clock.advance(seconds=30)
    sched.tick()
    assert [c[0] for c in calls].count("deliver") == 2


def test_failing_job_is_recorded_and_others_go_on(registry, calls):
    def boom(now):
        raise RuntimeError("database on fire")

    registry["gather"] = jobs.JobDef("gather", boom, daily_local_setting="queue.gather_time")
    sched, _clock = make_scheduler(registry, ny(2026, 11, 27, 15, 0))
    sched.tick()
    row = JobRun.get(JobRun.job == "gather")
    assert row.state == "failed" and "database on fire" in row.detail
    assert "deliver" in [c[0] for c in calls]


def test_pause_and_resume(registry, calls):
    sched, clock = make_scheduler(registry, ny(2026, 11, 27, 15, 0))
    sched.pause()
    sched.tick()
    assert calls == []
    sched.resume()
    sched.tick()
    assert names(calls) == ["gather"]


def test_manual_runs_do_not_take_the_planned_slot(registry, calls):
    sched, clock = make_scheduler(registry, ny(2026, 11, 27, 10, 0))
    sched.run_now("gather")
    clock.set(ny(2026, 11, 27, 15, 0))
    sched.tick()
    assert names(calls) == ["gather", "gather"]


def test_thread_starts_stops_and_a_running_job_sees_the_stop(ctx):
    started, seen = threading.Event(), []

    def long_job(now):
        started.set()
        stop = jobs.current_stop_event()
        seen.append(stop.wait(10))
        return "stopped at a safe point"

    registry = {"long": jobs.JobDef("long", long_job, every_seconds_setting="delivery.interval_seconds")}
    sched = jobs.Scheduler(jobs=registry, poll_seconds=0.05)
    sched.start()
    assert started.wait(10)
    assert sched.stop(timeout=10)
    assert seen == [True]
    assert JobRun.get(JobRun.job == "long").detail == "stopped at a safe point"


def test_interrupted_run_is_recovered(registry, calls):
    jobs.claim("run", "2026-11-27T08:00-05:00")  # left running by a killed process
    settings.set("jobs.catch_up", "run")
    sched, _clock = make_scheduler(registry, ny(2026, 11, 27, 8, 20))
    assert sched.recover_interrupted() == 1
    sched.tick(first=True)
    assert names(calls) == ["run"]


def test_next_run_of_a_missed_slot_follows_catch_up(registry):
    sched, _clock = make_scheduler(registry, ny(2026, 11, 27, 10, 0))
    assert sched.next_runs()["run"] == ny(2026, 11, 28, 8, 0)  # skip (the fixture's choice): tomorrow
    settings.set("jobs.catch_up", "run")
    assert sched.next_runs()["run"] == ny(2026, 11, 27, 10, 0)  # run: now


def test_a_wall_clock_jump_is_noticed_but_sleep_is_not(registry):
    sched, clock = make_scheduler(registry, ny(2026, 11, 27, 9, 0))
    assert sched._clock_jumped() is False  # first look
    clock.advance(minutes=30)  # time passing (both clocks move)
    assert sched._clock_jumped() is False
    clock.set(ny(2026, 11, 27, 7, 0))  # the wall clock set back two hours
    assert sched._clock_jumped() is True


def test_a_manual_run_waiting_for_a_busy_scheduler_gives_up_on_stop(registry, calls):
    """Gather now while a long job runs waits for it, but quitting ends that wait at once (nothing starts)."""
    started, release = threading.Event(), threading.Event()

    def slow(now):
        started.set()
        assert release.wait(30)
        return "slow done"

    registry["slow"] = jobs.JobDef("slow", slow, every_seconds_setting="delivery.interval_seconds")
    sched, _clock = make_scheduler(registry, ny(2026, 11, 27, 10, 0))
    busy = threading.Thread(target=lambda: sched.run_now("slow"))
    busy.start()
    outcome = []
    try:
        assert started.wait(10)
        waiting = threading.Thread(target=lambda: outcome.append(sched.run_now("gather", wait=60)))
        waiting.start()
        sched.stop_event.set()
        waiting.join(10)
        assert not waiting.is_alive() and outcome == [None]  # gave up while the slow job still runs
        assert not release.is_set()
    finally:
        release.set()
        busy.join(10)
    assert names(calls) == []
