"""The delivery loop against a real HTTP endpoint on 127.0.0.1: each lead arrives once and the log tells the truth."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest

from tests.helpers.endpoint import Reply
from tests.helpers.lead_world import API_KEY, add_leads, wire_lander
from xsc_desktop import delivery, events, settings
from xsc_desktop.models import Activity, Delivery, Email, Integration, Lead

NOW = datetime(2026, 11, 28, 9, 0, 0)
OK = Reply(200, b'{"success": true, "lead_id": "R-77"}', {"Content-Type": "application/json"})


def states(ids):
    return [Lead.get_by_id(i).delivery_state for i in ids]


def bodies(endpoint):
    return [json.loads(r.body)["last_name"] for r in endpoint.received]


@pytest.fixture(autouse=True)
def one_at_a_time(ctx):
    settings.set("delivery.per_host_limit", 1)  # deterministic order; concurrency is measured by the benchmark


def test_accepted_leads_arrive_once_with_a_truthful_masked_log(ctx, endpoint):
    endpoint.answer("/leads", OK)
    integration = wire_lander(endpoint.url("/leads"))
    ids = add_leads(integration.lander_id, 3)
    report = delivery.deliver_once(NOW)
    assert report.outcomes["accepted"] == 3
    assert bodies(endpoint) == ["Test0", "Test1", "Test2"]
    assert all(json.loads(r.body)["api_key"] == API_KEY for r in endpoint.received)
    assert states(ids) == ["delivered"] * 3
    row = Delivery.get(Delivery.lead == ids[0])
    assert (row.state, row.attempt, row.http_status, row.remote_id) == ("accepted", 1, 200, "R-77")
    assert row.latency_ms is not None and row.latency_ms >= 0
    assert API_KEY not in row.request_masked and "Test0" in row.request_masked
    assert "R-77" in row.response_excerpt
    # A second pass sends nothing again.
    assert delivery.deliver_once(NOW + timedelta(minutes=5)).attempts == 0
    assert len(endpoint.received) == 3


def test_rejected_and_duplicate_are_final(ctx, endpoint):
    endpoint.answer("/leads", Reply(200, b'{"result": "failed", "msg": "Failed email validation"}'),
                    Reply(200, b'{"result": "failed", "msg": "Duplicate"}'), OK)
    integration = wire_lander(endpoint.url("/leads"))
    ids = add_leads(integration.lander_id, 2)
    delivery.deliver_once(NOW)
    assert states(ids) == ["rejected", "duplicate"]
    assert "email validation" in Delivery.get(Delivery.lead == ids[0]).reason
    delivery.deliver_once(NOW + timedelta(days=1))
    assert len(endpoint.received) == 2


def test_429_waits_for_retry_after_then_delivers(ctx, endpoint):
    endpoint.answer("/leads", Reply(429, b"slow down", {"Retry-After": "120"}), OK)
    integration = wire_lander(endpoint.url("/leads"))
    [lead] = add_leads(integration.lander_id, 1)
    delivery.deliver_once(NOW, rng=random.Random(1))
    first = Delivery.get(Delivery.lead == lead)
    assert (first.state, first.http_status) == ("error", 429)
    assert first.next_attempt_at >= NOW + timedelta(seconds=120)
    assert states([lead]) == ["retry"]
    assert delivery.deliver_once(NOW + timedelta(seconds=60)).attempts == 0  # not due yet
    delivery.deliver_once(NOW + timedelta(seconds=200))
    assert states([lead]) == ["delivered"]
    rows = list(Delivery.select().where(Delivery.lead == lead).order_by(Delivery.id))
    assert [(r.attempt, r.state, r.http_status) for r in rows] == [(1, "error", 429), (2, "accepted", 200)]
    assert len(endpoint.received) == 2


def test_503_then_200_with_exponential_backoff_up_to_max_attempts(ctx, endpoint):
    endpoint.answer("/leads", Reply(503, b"busy"), Reply(503, b"busy"), Reply(503, b"busy"))
    integration = wire_lander(endpoint.url("/leads"), max_attempts=3, backoff=10)
    [lead] = add_leads(integration.lander_id, 1)
    moment = NOW
    for _ in range(3):
        delivery.deliver_once(moment, rng=random.Random(2))
        moment += timedelta(hours=1)
    rows = list(Delivery.select().where(Delivery.lead == lead).order_by(Delivery.id))
    assert [r.attempt for r in rows] == [1, 2, 3]
    # Equal jitter: between half and the whole of 10 s, then of 20 s.
    assert timedelta(seconds=5) <= rows[0].next_attempt_at - rows[0].created_at <= timedelta(seconds=11)
    assert timedelta(seconds=10) <= rows[1].next_attempt_at - rows[1].created_at <= timedelta(seconds=21)
    assert states([lead]) == ["failed"]
    assert len(endpoint.received) == 3


def test_503_then_200(ctx, endpoint):
    endpoint.answer("/leads", Reply(503, b"Service Unavailable"), OK)
    integration = wire_lander(endpoint.url("/leads"))
    [lead] = add_leads(integration.lander_id, 1)
    delivery.deliver_once(NOW)
    delivery.deliver_once(NOW + timedelta(hours=1))
    assert states([lead]) == ["delivered"]
    assert [r.state for r in Delivery.select().where(Delivery.lead == lead)] == ["error", "accepted"]
    assert len(endpoint.received) == 2


@pytest.mark.parametrize("idempotent", [False, True])
def test_timeout_is_uncertain_unless_the_endpoint_is_idempotent(ctx, endpoint, idempotent):
    endpoint.answer("/leads", Reply(200, b"OK", delay=30), OK)
    integration = wire_lander(endpoint.url("/leads"), idempotent=idempotent, timeout=0.3)
    [lead] = add_leads(integration.lander_id, 1)
    delivery.deliver_once(NOW)
    first = Delivery.get(Delivery.lead == lead)
    assert first.http_status is None and "no answer" in first.reason.lower()
    delivery.deliver_once(NOW + timedelta(hours=1))
    if idempotent:
        assert states([lead]) == ["delivered"]
        assert len(endpoint.wait_for(2)) == 2
    else:
        assert first.state == "uncertain" and states([lead]) == ["uncertain"]
        assert len(endpoint.received) == 1  # never posted again on its own


@pytest.mark.parametrize("idempotent", [False, True])
def test_dropped_connection(ctx, endpoint, idempotent):
    endpoint.answer("/leads", Reply(drop=True), OK)
    integration = wire_lander(endpoint.url("/leads"), idempotent=idempotent)
    [lead] = add_leads(integration.lander_id, 1)
    delivery.deliver_once(NOW)
    delivery.deliver_once(NOW + timedelta(hours=1))
    expected = "delivered" if idempotent else "uncertain"
    assert states([lead]) == [expected]
    assert len(endpoint.received) == (2 if idempotent else 1)


def test_breaker_pauses_after_consecutive_failures_and_tells_the_operator(ctx, endpoint):
    settings.set("delivery.breaker_threshold", 3)
    settings.set("operator.email", "ops@example.com")
    told = []
    events.subscribe("notify", lambda _t, payload: told.append(payload))
    endpoint.answer("/leads", Reply(500, b"Internal Server Error"))
    integration = wire_lander(endpoint.url("/leads"), max_attempts=1)
    ids = add_leads(integration.lander_id, 5)
    report = delivery.deliver_once(NOW)
    assert len(endpoint.received) == 3
    assert states(ids) == ["failed"] * 3 + ["new"] * 2
    assert report.paused
    paused = Integration.get_by_id(integration.id)
    assert paused.paused and "3 failed attempts" in paused.paused_reason
    assert told and told[0]["title"] == "Deliveries paused"
    assert Activity.get(Activity.subject_type == "integration", Activity.action == "paused")
    alert = Email.get(Email.kind == "alert")
    assert alert.to == ["ops@example.com"] and "paused" in alert.subject and API_KEY not in alert.body
    assert delivery.deliver_once(NOW + timedelta(hours=1)).attempts == 0  # paused: nothing goes out
    endpoint.answer("/leads", OK)
    delivery.resume_integration(integration.id)
    delivery.deliver_once(NOW + timedelta(hours=2))
    assert states(ids) == ["failed"] * 3 + ["delivered"] * 2
    assert Integration.get_by_id(integration.id).consecutive_failures == 0


def test_a_sending_row_left_by_a_stopped_run_becomes_uncertain(ctx, endpoint):
    integration = wire_lander(endpoint.url("/leads"), idempotent=False)
    [lead] = add_leads(integration.lander_id, 1)
    Lead.update(delivery_state="sending").where(Lead.id == lead).execute()
    Delivery.create(lead=lead, integration=integration, attempt=1, state="sending")
    report = delivery.deliver_once(NOW)
    assert report.recovered == 1
    assert states([lead]) == ["uncertain"]
    assert Delivery.get(Delivery.lead == lead).state == "uncertain"
    assert endpoint.received == []


def test_resend_by_hand_starts_a_new_round_and_is_logged(ctx, endpoint):
    endpoint.answer("/leads", Reply(200, b'{"success": false, "reason": "bad zip"}'), OK)
    integration = wire_lander(endpoint.url("/leads"))
    [lead] = add_leads(integration.lander_id, 1)
    delivery.deliver_once(NOW)
    assert states([lead]) == ["rejected"]
    delivery.resend(lead, actor="tester", now=NOW + timedelta(minutes=1))
    assert states([lead]) == ["delivered"]
    rows = list(Delivery.select().where(Delivery.lead == lead).order_by(Delivery.id))
    assert [(r.attempt, r.state) for r in rows] == [(1, "rejected"), (1, "accepted")]
    entry = Activity.get(Activity.subject_type == "lead", Activity.subject_id == lead)
    assert (entry.action, entry.from_state, entry.actor) == ("resend", "rejected", "tester")


def test_mark_delivered_is_logged(ctx, endpoint):
    integration = wire_lander(endpoint.url("/leads"))
    [lead] = add_leads(integration.lander_id, 1)
    Lead.update(delivery_state="uncertain").where(Lead.id == lead).execute()
    delivery.mark_delivered(lead, note="seen in their CRM", actor="tester")
    assert states([lead]) == ["delivered"]
    assert Activity.get(Activity.subject_id == lead).note == "seen in their CRM"


def test_missing_setting_fails_the_lead_without_sending(ctx, endpoint):
    integration = wire_lander(endpoint.url("/leads"))
    Integration.update(settings={}).where(Integration.id == integration.id).execute()
    [lead] = add_leads(integration.lander_id, 1)
    delivery.deliver_once(NOW)
    assert states([lead]) == ["failed"]
    assert "endpoint" in Delivery.get(Delivery.lead == lead).reason
    assert endpoint.received == []


def test_per_host_limit_is_never_exceeded_and_is_used(ctx):
    """A server that holds each request until a second one is in flight: with a limit of 2, requests come in pairs
    (a lower limit would time out at the barrier), and never three at once."""
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    settings.set("delivery.per_host_limit", 2)
    barrier = threading.Barrier(2, timeout=10)
    lock = threading.Lock()
    seen = {"now": 0, "max": 0, "broken": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # http.server's name
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                seen["now"] += 1
                seen["max"] = max(seen["max"], seen["now"])
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                seen["broken"] += 1
            with lock:
                seen["now"] -= 1
            body = b'{"success": true}'
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        integration = wire_lander(f"http://127.0.0.1:{server.server_address[1]}/leads")
        ids = add_leads(integration.lander_id, 6)
        delivery.deliver_once(NOW)
    finally:
        barrier.abort()
        server.shutdown()
        server.server_close()
    assert states(ids) == ["delivered"] * 6
    assert seen["max"] == 2 and seen["broken"] == 0


def test_a_lead_in_flight_cannot_be_resent_or_marked(ctx, endpoint):
    from xsc_desktop.errors import UserError

    integration = wire_lander(endpoint.url("/leads"))
    [lead] = add_leads(integration.lander_id, 1)
    Delivery.create(lead=lead, integration=integration, attempt=1, state="sending")
    with pytest.raises(UserError, match="being sent right now"):
        delivery.resend(lead)
    with pytest.raises(UserError, match="being sent right now"):
        delivery.mark_delivered(lead)
    assert endpoint.received == []


def test_due_retries_keep_a_share_of_the_pass_behind_a_flood_of_new_leads(ctx, endpoint):
    endpoint.answer("/leads", Reply(503, b"busy"), Reply(503, b"busy"), OK)
    integration = wire_lander(endpoint.url("/leads"), max_attempts=5)
    retries = add_leads(integration.lander_id, 2)
    delivery.deliver_once(NOW)
    assert states(retries) == ["retry", "retry"]
    fresh = add_leads(integration.lander_id, 10, start=2)
    report = delivery.deliver_once(NOW + timedelta(hours=1), limit=4)
    assert report.attempts == 4
    assert states(retries) == ["delivered", "delivered"]
    assert states(fresh) == ["delivered"] * 2 + ["new"] * 8
    # With no retries due, new leads take the whole pass.
    assert delivery.deliver_once(NOW + timedelta(hours=2), limit=4).attempts == 4


def test_a_due_retry_is_not_hidden_behind_retries_that_are_not_due_yet(ctx, endpoint):
    settings.set("delivery.breaker_threshold", 50)  # five 503s in a row would pause the integration
    endpoint.answer("/leads", *[Reply(503, b"busy")] * 5, OK)
    integration = wire_lander(endpoint.url("/leads"), max_attempts=5)
    ids = add_leads(integration.lander_id, 5)
    delivery.deliver_once(NOW)
    assert states(ids) == ["retry"] * 5
    Delivery.update(next_attempt_at=NOW + timedelta(days=1)).where(Delivery.lead.in_(ids[:4])).execute()
    Delivery.update(next_attempt_at=NOW + timedelta(minutes=1)).where(Delivery.lead == ids[4]).execute()
    report = delivery.deliver_once(NOW + timedelta(hours=1), limit=4)
    assert report.attempts == 1
    assert states(ids) == ["retry"] * 4 + ["delivered"]


@pytest.mark.parametrize(("kind", "message", "expected"), [
    ("dropped", "Der Server hat die Verbindung getrennt", "uncertain"),  # the kind decides, whatever the words
    ("timeout", "Keine Antwort", "uncertain"),
    ("connect", "Could not connect to the proxy; it closed the connection", "retry"),  # never reached the client
])
def test_uncertain_is_decided_by_the_transport_error_kind_not_its_wording(ctx, endpoint, monkeypatch, kind,
                                                                          message, expected):
    from parsers.outcome import TransportError, classify
    from xsc_desktop import posting

    def post(request, spec, **_kwargs):
        error = TransportError(kind, message)
        return posting.Attempt(status=None, headers={}, body_excerpt="", elapsed=0.01,
                               outcome=classify(spec, None, error=error), error=message, error_kind=kind)

    monkeypatch.setattr(posting, "post", post)
    integration = wire_lander(endpoint.url("/leads"), idempotent=False)
    [lead] = add_leads(integration.lander_id, 1)
    delivery.deliver_once(NOW)
    assert states([lead]) == [expected]


def test_posting_names_the_transport_error_kind(endpoint):
    from parsers.render import OutgoingRequest
    from xsc_desktop import posting

    endpoint.answer("/drop", Reply(drop=True))
    endpoint.answer("/slow", Reply(delay=30))
    dropped = posting.post(OutgoingRequest("POST", endpoint.url("/drop"), {}, b"{}"), timeout=5)
    late = posting.post(OutgoingRequest("POST", endpoint.url("/slow"), {}, b"{}"), timeout=0.2)
    answered = posting.post(OutgoingRequest("POST", endpoint.url("/ok"), {}, b"{}"), timeout=5)
    assert (dropped.error_kind, late.error_kind, answered.error_kind) == ("dropped", "timeout", None)


def _stopping_server(on_request):
    """An endpoint on 127.0.0.1 that calls `on_request()` before answering 200 to each POST; (url, close)."""
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # http.server's name
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.rfile.read(int(self.headers["Content-Length"]))
            on_request()
            body = b'{"success": true}'
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()

    def close():
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_address[1]}/leads", close


def test_worker_threads_honour_the_schedulers_stop_and_finish_the_lead_in_hand(ctx):
    from xsc_desktop import jobs

    settings.set("delivery.per_host_limit", 2)  # worker threads, not the scheduler's own thread
    registry = {"deliver": jobs.JobDef("deliver", lambda now: delivery.deliver_once(NOW).summary(),
                                       every_seconds_setting="delivery.interval_seconds")}
    sched = jobs.Scheduler(jobs=registry)
    posted = []

    def quit_while_posting():
        posted.append(1)
        sched.stop_event.set()  # the operator quits while the first post is out

    url, close = _stopping_server(quit_while_posting)
    try:
        integration = wire_lander(url)
        ids = add_leads(integration.lander_id, 20)
        assert sched.run_now("deliver", wait=5) is not None
    finally:
        close()
    got = states(ids)
    assert 1 <= len(posted) <= 2  # a second worker may have had its post out already
    assert got == ["delivered"] * len(posted) + ["new"] * (20 - len(posted))  # posted ones recorded, none lost
    assert not Delivery.select().where(Delivery.state == "sending").exists()


def test_worker_threads_close_their_database_connection(ctx, endpoint, monkeypatch):
    import threading

    from xsc_desktop.models import database

    settings.set("delivery.per_host_limit", 2)
    endpoint.answer("/leads", OK)
    opened, closed = [], []
    real_connect, real_close = database.obj._connect, database.obj._close

    def connect():
        opened.append(threading.current_thread())
        return real_connect()

    def close(conn):
        closed.append(threading.current_thread())
        return real_close(conn)

    monkeypatch.setattr(database.obj, "_connect", connect)
    monkeypatch.setattr(database.obj, "_close", close)
    integration = wire_lander(endpoint.url("/leads"))
    ids = add_leads(integration.lander_id, 5)
    delivery.deliver_once(NOW)
    assert states(ids) == ["delivered"] * 5
    workers = [t for t in opened if t.name == "delivery"]
    assert workers and sorted(map(id, workers)) == sorted(id(t) for t in closed if t.name == "delivery")
