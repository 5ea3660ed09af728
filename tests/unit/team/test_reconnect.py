"""The database server going away and coming back: work waits, the state is published, and it resumes by itself
(a private PostgreSQL server of this module's own, stopped and started like an administrator would)."""

from __future__ import annotations

import threading

import pytest

from xsc_desktop import db, events, reconnect, storage
from xsc_desktop.models import Meta, database


@pytest.fixture(scope="module")
def own_server():
    from tests.helpers.postgres import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL tests cannot run: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def on_server(own_server):
    events.clear()
    url = own_server.create_database()
    db.connect(url)
    yield own_server
    db.close()
    storage.close_all(database.obj)
    events.clear()


def states() -> tuple[list[dict], threading.Event]:
    seen: list[dict] = []
    unreachable = threading.Event()

    def hear(_topic, payload):
        seen.append(payload)
        if payload["state"] == events.UNREACHABLE:
            unreachable.set()

    events.subscribe(events.CONNECTION, hear)
    return seen, unreachable


def test_work_waits_while_the_server_is_down_and_resumes_when_it_is_back(on_server):
    seen, unreachable = states()
    assert events.connection().connected and "127.0.0.1" in events.connection().where
    assert "pw" not in events.connection().where  # the password never shows
    rows = Meta.select().count()
    on_server.shut_down()
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(reconnect.retrying(
        lambda: Meta.select().count(), what="Counting")))
    worker.start()
    assert unreachable.wait(30)
    state = events.connection()
    assert state.state == "unreachable" and state.retry_in is not None
    assert "cannot be reached" in state.detail and "goes on by itself" in state.detail
    on_server.start_again()
    worker.join(60)
    assert not worker.is_alive() and result == [rows]
    assert events.connection().connected and seen[-1]["state"] == "connected"


def test_a_transaction_cut_half_way_writes_nothing_and_runs_again_whole(on_server):
    """The first try dies between its two writes (the server stops under it): none of them is kept; the retry
    writes both once."""
    tries = []

    def work() -> None:
        with db.write_transaction():
            tries.append(1)
            Meta.create(key="first", value="1")
            if len(tries) == 1:
                on_server.shut_down()
            Meta.create(key="second", value="2")

    stopper = threading.Event()
    seen, unreachable = states()
    done = threading.Thread(target=lambda: reconnect.retrying(work, stop=stopper))
    done.start()
    assert unreachable.wait(30)
    on_server.start_again()
    done.join(60)
    assert not done.is_alive() and len(tries) == 2
    keys = [m.key for m in reconnect.retrying(lambda: list(Meta.select()))]
    assert keys.count("first") == 1 and keys.count("second") == 1


def test_stop_ends_the_wait(on_server):
    on_server.shut_down()
    stop = threading.Event()
    seen, unreachable = states()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            reconnect.retrying(lambda: Meta.select().count(), stop=stop)
        except reconnect.Stopped as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert unreachable.wait(30)
    stop.set()
    thread.join(30)
    assert not thread.is_alive() and len(outcome) == 1
    on_server.start_again()


def test_a_refused_statement_is_not_waited_out(on_server):
    with pytest.raises(Exception) as caught:
        reconnect.retrying(lambda: database.execute_sql("SELECT * FROM no_such_table"))
    assert not reconnect.lost(caught.value)
    assert events.connection().connected


def test_sqlite_errors_never_count_as_a_lost_server(tmp_path):
    import peewee

    assert not storage.connection_lost(peewee.OperationalError("connection refused"),
                                       peewee.SqliteDatabase(str(tmp_path / "x.sqlite3")))


def test_a_scheduled_job_cut_off_by_a_restart_runs_again_and_its_slot_is_settled(on_server):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from xsc_desktop import jobs
    from xsc_desktop.models import Activity, JobRun

    calls: list[int] = []

    def morning_run(now):
        calls.append(1)
        Activity.create(subject_type="job", action="08:00 run", note=f"try {len(calls)}")
        if len(calls) == 1:
            on_server.shut_down()  # the server restarts under the running job
        Activity.create(subject_type="job", action="08:00 run finished", note=f"try {len(calls)}")
        return "ran"

    ny = ZoneInfo("America/New_York")
    registry = {"run": jobs.JobDef("run", morning_run, daily_local_setting="queue.run_time", default_time="08:00")}
    clock = jobs.ManualClock(datetime(2026, 11, 27, 8, 0, 30, tzinfo=ny).astimezone(UTC))
    scheduler = jobs.Scheduler(clock=clock, tz=ny, jobs=registry, headless=True)
    seen, unreachable = states()
    ran: list = []
    thread = threading.Thread(target=lambda: ran.append(scheduler.tick()))
    thread.start()
    assert unreachable.wait(60)
    on_server.start_again()
    thread.join(60)
    assert not thread.is_alive() and len(ran[0]) == 1 and len(calls) == 2
    runs = reconnect.retrying(lambda: list(JobRun.select().where(JobRun.job == "run")))
    assert [(r.state, r.detail) for r in runs] == [("done", "ran")]
    notes = [(a.action, a.note) for a in Activity.select().where(Activity.subject_type == "job").order_by(Activity.id)]
    assert notes == [("08:00 run", "try 1"), ("08:00 run", "try 2"), ("08:00 run finished", "try 2")]


def test_a_work_item_cut_off_by_a_restart_goes_again_once_the_server_answers(on_server):
    from xsc_desktop import workqueue

    class Policy:
        def __init__(self) -> None:
            self.sent: list[int] = []
            self.failures: list[Exception] = []

        def host(self, item):
            return "h"

        def worker(self):
            return workqueue.no_resources()

        def prepare(self, item):
            if item == 2 and not getattr(self, "cut", False):  # the server restarts as item 2 begins
                self.cut = True
                on_server.shut_down()
            Meta.select().count()  # needs the server
            return None

        def claim(self, item):
            return item

        def send(self, item, token, worker):
            self.sent.append(item)

        def settle(self, item, token, answer):
            return workqueue.Step()

        def failed(self, item, exc):
            self.failures.append(exc)

        def finished(self, item):
            pass

    policy = Policy()
    seen, unreachable = states()
    thread = threading.Thread(target=lambda: workqueue.run([1, 2, 3], policy))
    thread.start()
    assert unreachable.wait(60)
    on_server.start_again()
    thread.join(60)
    assert not thread.is_alive()
    assert sorted(policy.sent) == [1, 2, 3] and policy.failures == []  # nothing given up, nothing sent twice
