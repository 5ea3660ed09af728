"""Gather and run against a real HTTP endpoint and SMTP server on 127.0.0.1, with an injected clock."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.helpers.endpoint import Reply
from xsc_desktop import events, jobs, queue
from xsc_desktop.models import Email, Lander, Task

NY = ZoneInfo("America/New_York")
GATHER_AT = datetime(2026, 11, 27, 15, 0, tzinfo=NY)
RUN_AT = datetime(2026, 11, 28, 8, 0, tzinfo=NY)
ACCEPT = Reply(200, b'{"success": true, "id": "R-77"}', {"Content-Type": "application/json"})
REJECT = Reply(200, b'{"success": false, "message": "Invalid phone number"}', {"Content-Type": "application/json"})


def status_of(lander):
    return Lander.get_by_id(lander.id).status


def test_gather_builds_the_list_once(make_lander, integrate, endpoint):
    ready = make_lander("Auto TX")
    integrate(ready, endpoint.url("/a"))
    incomplete = make_lander("Auto CA", contacts=[], client="Brown Law")
    flagged = make_lander("Meso", flags=["rightsignature", "dq"], client="Jones LLP", new_client=True)
    integrate(flagged, endpoint.url("/m"))
    make_lander("Still building", status="in_production")
    notes = []
    events.subscribe("notify", lambda t, p: notes.append(p["message"]))

    result = queue.gather(GATHER_AT, tz=NY)
    assert result.planned_for == "2026-11-28"
    assert result.needs_info == {incomplete.id: ["no posting doc", "no parser", "no client contact for the confirmation"]}
    assert len(result.integrate) == 2 and len(result.custom_script) == 1 and len(result.new_client) == 1
    assert status_of(ready) == "queued" and status_of(incomplete) == "needs_info"
    assert Lander.get_by_id(incomplete.id).missing_info == result.needs_info[incomplete.id]
    rows = queue.list_tasks("2026-11-28")
    assert rows[0].kind == "new_client" and rows[0].client == "Jones LLP"
    assert [r.kind for r in rows[1:]] == ["integrate", "integrate", "custom_script"]
    assert "RightSignature" in rows[-1].reason
    assert any("2 to integrate, 1 custom script, 1 new client, 1 needs info" in n for n in notes)

    again = queue.gather(GATHER_AT, tz=NY)
    assert (again.integrate, again.custom_script, again.new_client) == ([], [], [])
    assert Task.select().count() == 4


def test_gather_before_the_run_time_plans_for_today(make_lander, integrate, endpoint):
    lander = make_lander()
    integrate(lander, endpoint.url("/a"))
    assert queue.gather(datetime(2026, 11, 28, 7, 0, tzinfo=NY), tz=NY).planned_for == "2026-11-28"
    # just before and after midnight, both before the next 08:00 run on the 28th
    assert queue.planned_date(datetime(2026, 11, 27, 23, 59, tzinfo=NY), NY).isoformat() == "2026-11-28"
    assert queue.planned_date(datetime(2026, 11, 28, 0, 0, tzinfo=NY), NY).isoformat() == "2026-11-28"
    assert queue.planned_date(datetime(2026, 11, 28, 8, 0, tzinfo=NY), NY).isoformat() == "2026-11-29"


def test_run_accepts_integrates_and_confirms_once(make_lander, integrate, endpoint, smtp_server):
    lander = make_lander("Auto TX", contacts=["intake@smith.example", "boss@smith.example"])
    integrate(lander, endpoint.url("/a"), secrets={"token": "sk-secret-9"})
    endpoint.answer("/a", ACCEPT)
    queue.gather(GATHER_AT, tz=NY)
    assert queue.run(GATHER_AT, tz=NY).total == 0  # planned for tomorrow: the scheduled run leaves it
    result = queue.run(RUN_AT, tz=NY)
    assert (result.total, result.done, result.failed, result.emails_sent) == (1, 1, 0, 1)

    got = endpoint.wait_for(1)[0]
    lead = json.loads(got.body)
    assert "TEST" in json.dumps(lead)
    task = Task.get(Task.kind == "integrate")
    assert task.status == "done" and task.remote_id == "R-77" and task.test_ref.startswith("XSC-TEST-")
    assert status_of(lander) == "integrated"
    message = smtp_server.wait_for(1)[0]
    assert message.recipients == ["intake@smith.example", "boss@smith.example"]
    assert message.subject == "Integration confirmed: Auto TX (Auto Accident)"
    assert task.test_ref in message.body and "R-77" in message.body and "sk-secret-9" not in message.raw.decode()
    assert task.log[-1]["outcome"] == "accepted" and "sk-secret-9" not in json.dumps(task.log)

    again = queue.run(RUN_AT, tz=NY, include_future=True)
    assert again.total == 0 and len(endpoint.received) == 1 and len(smtp_server.received) == 1
    assert Email.select().count() == 1


def test_rejected_fails_with_reason_and_can_be_retried(make_lander, integrate, endpoint, smtp_server):
    lander = make_lander()
    integrate(lander, endpoint.url("/r"))
    endpoint.answer("/r", REJECT, ACCEPT)
    queue.gather(GATHER_AT, tz=NY)
    notes = []
    events.subscribe("notify", lambda t, p: notes.append((p["title"], p["message"])))
    result = queue.run(RUN_AT, tz=NY)
    task = Task.get(Task.kind == "integrate")
    assert (result.done, result.failed) == (0, 1)
    assert task.status == "failed" and "Invalid phone number" in task.reason and len(task.log) == 1
    assert status_of(lander) == "failed"
    assert ("Integration failed", f"{lander.name}: {task.reason}") in notes
    assert ("Queue finished", "0 done, 1 failed.") in notes
    queue.retry(task.id)
    assert status_of(lander) == "queued"
    assert queue.run(RUN_AT, tz=NY, task_ids=[task.id]).done == 1
    assert Task.get_by_id(task.id).attempts == 2 and status_of(lander) == "integrated"
    smtp_server.wait_for(1)


def test_503_then_200_is_retried_within_the_window(make_lander, integrate, endpoint, smtp_server):
    lander = make_lander()
    integrate(lander, endpoint.url("/f"), backoff=0.05)
    endpoint.answer("/f", Reply(503, b"Service Unavailable"), ACCEPT)
    queue.gather(GATHER_AT, tz=NY)
    result = queue.run(RUN_AT, tz=NY)
    task = Task.get(Task.kind == "integrate")
    assert result.done == 1 and task.attempts == 2
    assert [e["status"] for e in task.log] == [503, 200] and task.log[0]["next_try_in_s"] == 0.05


def test_timeout_is_an_error_with_its_reason(make_lander, integrate, endpoint, smtp_server):
    lander = make_lander()
    integrate(lander, endpoint.url("/slow"), timeout=0.3, max_attempts=1)
    endpoint.answer("/slow", Reply(200, b"OK", delay=5))
    queue.gather(GATHER_AT, tz=NY)
    result = queue.run(RUN_AT, tz=NY)
    task = Task.get(Task.kind == "integrate")
    assert result.failed == 1 and "no answer within" in task.reason
    assert smtp_server.received == []


def test_missing_setting_at_run_time_fails_the_task(make_lander, integrate, endpoint):
    from xsc_desktop import integrations

    lander = make_lander()
    integrate(lander, endpoint.url("/a"))
    queue.gather(GATHER_AT, tz=NY)
    integrations.set_integration(lander.id, settings={"endpoint": ""})
    result = queue.run(RUN_AT, tz=NY)
    task = Task.get(Task.kind == "integrate")
    assert result.failed == 1 and "endpoint" in task.reason and endpoint.received == []


def test_skip_tick_off_and_busy(make_lander, integrate, endpoint):
    lander = make_lander(flags=["reroute"])
    integrate(lander, endpoint.url("/a"))
    queue.gather(GATHER_AT, tz=NY)
    integrate_task = Task.get(Task.kind == "integrate")
    script = Task.get(Task.kind == "custom_script")
    queue.skip(integrate_task.id, "client asked to wait")
    assert status_of(lander) == "ready" and Task.get_by_id(integrate_task.id).reason == "client asked to wait"
    queue.tick_off(script.id, "script deployed")
    assert Task.get_by_id(script.id).status == "done"
    from xsc_desktop import workqueue

    with workqueue.working("queue-run"):  # a run in progress on another thread
        got = {}
        thread = threading.Thread(target=lambda: got.setdefault("r", queue.run(RUN_AT, tz=NY)))
        thread.start()
        thread.join(10)
    assert got["r"].busy


def test_per_host_limit_bounds_concurrency(make_lander, integrate, endpoint, smtp_server):
    from xsc_desktop import settings

    settings.set("queue.per_host_limit", 2)
    gate = threading.Event()
    live, peak = [0], [0]
    lock = threading.Lock()
    original = endpoint._next_reply

    def slow_reply(path):
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        gate.wait(0.2)
        with lock:
            live[0] -= 1
        return ACCEPT

    endpoint._next_reply = slow_reply
    for i in range(6):
        integrate(make_lander(f"L{i}"), endpoint.url(f"/p{i}"))
    queue.gather(GATHER_AT, tz=NY)
    progress = []
    events.subscribe("queue.progress", lambda t, p: progress.append(p["done"]))
    result = queue.run(RUN_AT, tz=NY)
    endpoint._next_reply = original
    assert [t.reason for t in Task.select().where(Task.status == "failed")] == []
    assert result.done == 6 and peak[0] == 2 and sorted(progress) == [1, 2, 3, 4, 5, 6]
    assert len(smtp_server.wait_for(6)) == 6


def test_stop_leaves_unstarted_tasks_pending(make_lander, integrate, endpoint):
    for i in range(3):
        integrate(make_lander(f"L{i}"), endpoint.url(f"/p{i}"))
    queue.gather(GATHER_AT, tz=NY)
    stop = threading.Event()
    stop.set()
    result = queue.run(RUN_AT, tz=NY, stop=stop)
    assert result.done == 0 and Task.select().where(Task.status == "pending").count() == 3
    assert endpoint.received == []


@pytest.mark.parametrize("when, expected", [(datetime(2026, 11, 28, 8, 0, tzinfo=NY), "2026-11-28T14:00:00+00:00")])
def test_window_end_is_the_deadline(ctx, when, expected):
    assert queue.window_end(when.astimezone(UTC), NY).isoformat() == expected


def test_stop_mid_run_finishes_the_post_in_flight_and_leaves_the_rest(make_lander, integrate, endpoint, smtp_server):
    from xsc_desktop import settings

    settings.set("queue.per_host_limit", 1)
    for i in range(3):
        integrate(make_lander(f"L{i}"), endpoint.url(f"/p{i}"))
        endpoint.answer(f"/p{i}", Reply(200, b'{"success": true}', {"Content-Type": "application/json"}, delay=0.3))
    queue.gather(GATHER_AT, tz=NY)
    stop = threading.Event()
    got = {}
    thread = threading.Thread(target=lambda: got.setdefault("r", queue.run(RUN_AT, tz=NY, stop=stop)))
    thread.start()
    endpoint.wait_for(1)
    assert queue.running()
    stop.set()
    assert queue.wait_until_idle(10)
    thread.join(10)
    statuses = sorted(t.status for t in Task.select())
    assert statuses == ["done", "pending", "pending"] and got["r"].pending == 2
    assert not queue.running()


def test_no_retry_past_the_window(make_lander, integrate, endpoint, smtp_server):
    lander = make_lander()
    integrate(lander, endpoint.url("/f"), backoff=0.05)
    endpoint.answer("/f", Reply(503, b"Service Unavailable"), ACCEPT)
    queue.gather(GATHER_AT, tz=NY)
    result = queue.run(RUN_AT, tz=NY, deadline=RUN_AT + timedelta(seconds=0.01))
    task = Task.get(Task.kind == "integrate")
    assert (result.failed, task.attempts, task.status) == (1, 1, "failed")
    assert task.log[0]["status"] == 503 and "next_try_in_s" not in task.log[0]


def test_different_hosts_run_side_by_side(make_lander, integrate, endpoint, smtp_server):
    from tests.helpers.endpoint import RecordingEndpoint
    from xsc_desktop import settings

    settings.set("queue.per_host_limit", 1)
    live, peak, lock = [0], [0], threading.Lock()
    both = threading.Barrier(2, timeout=5)

    def counting(path):
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        both.wait()  # only returns when the other host's post is in flight at the same time
        with lock:
            live[0] -= 1
        return ACCEPT

    with RecordingEndpoint() as other:
        endpoint._next_reply = counting
        other._next_reply = counting
        integrate(make_lander("A"), endpoint.url("/a"))
        integrate(make_lander("B"), other.url("/b"))
        queue.gather(GATHER_AT, tz=NY)
        result = queue.run(RUN_AT, tz=NY)
    assert result.done == 2 and peak[0] == 2


def _seen_from_another_connection(read):
    """An event handler that reads the database on another thread (its own connection, as the GUI's reload does)
    and records what it saw."""
    seen = []

    def handler(topic, payload):
        box = []

        def look():
            try:
                box.append(read(topic, payload))
            finally:
                jobs.close_thread_connection()

        reader = threading.Thread(target=look)
        reader.start()
        reader.join(10)
        seen.append((topic, box[0] if box else "no answer"))

    return seen, handler


def test_events_of_gather_and_run_come_after_their_commit(make_lander, integrate, endpoint, smtp_server):
    """A reader woken by task.changed / lander.changed on another connection sees what the event announces."""
    lander = make_lander("Auto TX")
    integrate(lander, endpoint.url("/a"))
    endpoint.answer("/a", ACCEPT)

    def read(topic, payload):
        if topic == "task.changed":
            task = Task.get_or_none(Task.id == payload["task_id"])
            return (task.status if task else None) == payload["status"]
        return Lander.get_by_id(payload["lander_id"]).status

    seen, handler = _seen_from_another_connection(read)
    events.subscribe("task.changed", handler)
    events.subscribe("lander.changed", handler)
    queue.gather(GATHER_AT, tz=NY)
    assert ("task.changed", True) in seen and seen[-1] == ("lander.changed", "queued")
    assert all(ok for topic, ok in seen if topic == "task.changed")
    seen.clear()
    queue.run(RUN_AT, tz=NY)
    task_events = [ok for topic, ok in seen if topic == "task.changed"]
    assert task_events and all(task_events)  # running, then done: each visible when announced
    assert [s for t, s in seen if t == "lander.changed"][-1] == "integrated"


def test_queue_worker_threads_close_their_connection(make_lander, integrate, endpoint, smtp_server):
    from xsc_desktop.models import database

    for i in range(3):
        lander = make_lander(f"L{i}")
        integrate(lander, endpoint.url(f"/c{i}"))
        endpoint.answer(f"/c{i}", ACCEPT)
    queue.gather(GATHER_AT, tz=NY)
    connections = {}

    def grab(topic, payload):
        name = threading.current_thread().name
        if name.startswith("xsc-queue-"):
            connections[name] = database.connection()

    events.subscribe("task.changed", grab)
    assert queue.run(RUN_AT, tz=NY).done == 3
    assert connections
    for connection in connections.values():
        # sqlite3: "Cannot operate on a closed database."; psycopg: "the connection is closed".
        with pytest.raises(Exception, match="(?i)closed"):
            connection.execute("select 1")


def test_the_test_label_is_applied_once_however_often_the_task_is_retried(make_lander, integrate, endpoint,
                                                                        smtp_server):
    from parsers.spec import TestMode

    lander = make_lander("Labelled")
    Lander.update(sample_lead={"first_name": "Ana", "last_name": "Sample", "description": "Hurt at work."}).where(
        Lander.id == lander.id).execute()
    integrate(lander, endpoint.url("/label"), test=TestMode(kind="label"))
    endpoint.answer("/label", Reply(503), Reply(503), ACCEPT)
    queue.gather(GATHER_AT, tz=NY)
    assert queue.run(RUN_AT, tz=NY).done == 1
    posts = [json.loads(got.body) for got in endpoint.wait_for(3)]
    for body in posts:
        text = json.dumps(body)
        assert "Sample (TEST LEAD)" in text and "(TEST LEAD) (TEST LEAD)" not in text
        assert text.count("TEST LEAD from XSC Desktop") == 1
