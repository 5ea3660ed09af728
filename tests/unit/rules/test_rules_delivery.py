"""Delivery rules enforced by the delivery loop against a real HTTP endpoint on 127.0.0.1 that counts the posts it
gets per window: caps never exceeded with several workers, leads queued overnight go at opening paced and oldest
first, counts survive a restart, filtered and non-compliant leads are never posted and say why."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from tests.helpers.endpoint import Reply
from tests.helpers.lead_world import wire_lander
from xsc_desktop import db, delivery, delivery_gate, events, leads, settings
from xsc_desktop.delivery_rules import Caps, DeliveryRules, parse_filter, parse_hours
from xsc_desktop.models import Activity, Client, Delivery, Integration, Lead

OK = Reply(200, b'{"success": true, "lead_id": "R-1"}', {"Content-Type": "application/json"})
SLOW_OK = Reply(200, b'{"success": true, "lead_id": "R-1"}', {"Content-Type": "application/json"}, delay=0.05)
CERT = "https://cert.trustedform.com/0123456789abcdef0123456789abcdef01234567"
MONDAY = datetime(2026, 11, 30)  # a Monday; Chicago is UTC-6 in winter


def add(lander_id: int, count: int, *, at: datetime, start: int = 0, **fields) -> list[int]:
    ids = []
    for n in range(start, start + count):
        values = {"first_name": "Ana", "last_name": f"Test{n}", "email": f"ana{n}@example.com",
                  "phone": f"214555{2000 + n:04d}", "state": "TX", **fields}
        ids.append(Lead.create(lander=lander_id, external_id=f"E{n:06d}", captured_at=at, received_at=at,
                               **values).id)
    return ids


def set_rules(integration: Integration, rules: DeliveryRules) -> None:
    Integration.update(delivery_rules=rules.to_json()).where(Integration.id == integration.id).execute()


def names(endpoint) -> list[str]:
    return [json.loads(r.body)["last_name"] for r in endpoint.received]


def states(ids) -> list[str]:
    return [Lead.get_by_id(i).delivery_state for i in ids]


@pytest.fixture(autouse=True)
def workers(ctx):
    settings.set("delivery.per_host_limit", 3)
    settings.set("delivery.posts_per_minute", 0)


def test_a_cap_of_5_an_hour_with_3_workers_sends_exactly_5_each_hour_oldest_first(ctx, endpoint):
    endpoint.answer("/leads", SLOW_OK)
    integration = wire_lander(endpoint.url("/leads"))
    set_rules(integration, DeliveryRules(caps=Caps(hour=5), time_zone="UTC"))
    ids = add(integration.lander_id, 14, at=MONDAY + timedelta(hours=8))
    per_hour = []
    for hour in (9, 10, 11, 12):
        before = len(endpoint.received)
        for minute in (0, 20, 40):
            delivery.deliver_once(MONDAY + timedelta(hours=hour, minutes=minute))
        per_hour.append(len(endpoint.received) - before)
        if hour == 9:
            assert states(ids) == ["delivered"] * 5 + ["capped"] * 9
    assert per_hour == [5, 5, 4, 0]
    got = names(endpoint)  # oldest first, window after window (in any order within one, 3 workers post at once)
    assert [set(got[i:i + 5]) for i in (0, 5, 10)] == [{f"Test{n}" for n in range(i, min(i + 5, 14))}
                                                       for i in (0, 5, 10)]
    claimed = Counter(row.created_at.hour for row in Delivery.select())
    assert max(claimed.values()) == 5
    note = Activity.get((Activity.subject_id == ids[13]) & (Activity.action == "capped")).note
    assert "Cap of 5 an hour reached; waits until Mon 2026-11-30 10:00 UTC" in note


def test_a_client_wide_cap_holds_across_landers_and_workers_racing_for_it(ctx, endpoint):
    endpoint.answer("/leads", SLOW_OK)
    first = wire_lander(endpoint.url("/leads"), name="First")
    second = wire_lander(endpoint.url("/leads"), name="Second")
    for integration in (first, second):
        set_rules(integration, DeliveryRules(client_caps=Caps(hour=5), time_zone="UTC"))
    # Each integration alone would send 4: together they may send 5, whichever claims first.
    a = add(first.lander_id, 4, at=MONDAY)
    b = add(second.lander_id, 4, at=MONDAY, start=100)
    delivery.deliver_once(MONDAY + timedelta(hours=9))
    assert len(endpoint.received) == 5
    assert sorted(states(a + b)).count("delivered") == 5 and sorted(states(a + b)).count("capped") == 3
    delivery.deliver_once(MONDAY + timedelta(hours=9, minutes=30))
    assert len(endpoint.received) == 5
    delivery.deliver_once(MONDAY + timedelta(hours=10, minutes=1))
    assert len(endpoint.received) == 8


def test_count_and_claim_are_one_transaction_so_a_racing_worker_never_goes_over(ctx, endpoint):
    integration = wire_lander(endpoint.url("/leads"))
    set_rules(integration, DeliveryRules(caps=Caps(day=1), time_zone="UTC"))
    first, second = add(integration.lander_id, 2, at=MONDAY)
    at = MONDAY + timedelta(hours=9)
    gate = delivery_gate.gate_for(Integration.get_by_id(integration.id), "lander", at)
    route = SimpleNamespace(gate=gate, integration_id=integration.id)
    counted, go = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def slow_worker() -> None:  # counts, then holds its transaction open until told to claim
        try:
            with db.write_transaction():
                results["first allowed"] = gate.claim_allowed(first, "new", at)
                counted.set()
                go.wait(10)
                job = SimpleNamespace(route=SimpleNamespace(gate=None, integration_id=integration.id),
                                      lead_id=first, attempt=1, from_state="new")
                results["first"] = delivery._claim(job, "{}", at)
        finally:
            db.close()

    def racing_worker() -> None:
        try:
            with db.write_transaction():
                job = SimpleNamespace(route=route, lead_id=second, attempt=1, from_state="new")
                results["second"] = delivery._claim(job, "{}", at)
        finally:
            db.close()

    slow = threading.Thread(target=slow_worker)
    slow.start()
    assert counted.wait(10)
    racer = threading.Thread(target=racing_worker)
    racer.start()
    racer.join(0.3)  # it must wait for the first worker's transaction, not count past it
    go.set()
    slow.join()
    racer.join()
    assert results["first allowed"] is True and results["first"] is not None
    assert results["second"] is None
    assert Delivery.select().count() == 1 and states([first, second]) == ["sending", "capped"]  # the first is claimed (in flight)


def test_leads_queued_overnight_go_at_opening_paced_and_oldest_first(ctx, endpoint):
    settings.set("delivery.per_host_limit", 1)  # one at a time, so arrival order is the sending order
    endpoint.answer("/leads", OK)
    integration = wire_lander(endpoint.url("/leads"))
    set_rules(integration, DeliveryRules(hours=(parse_hours("mon-fri 08:00-18:00"),), posts_per_minute=3))
    Client.update(time_zone="America/Chicago").execute()
    night = MONDAY + timedelta(hours=7)  # 01:00 in Chicago
    ids = add(integration.lander_id, 7, at=night)
    for moment in (night, night + timedelta(hours=5, minutes=59)):  # 01:00 and 06:59 Chicago: closed
        assert delivery.deliver_once(moment).attempts == 0
    opening = MONDAY + timedelta(hours=14)  # 08:00 Chicago
    sent = []
    for minutes in (0, 0.5, 1, 1.5, 2, 3):
        delivery.deliver_once(opening + timedelta(minutes=minutes))
        sent.append(len(endpoint.received))
    assert sent == [3, 3, 6, 6, 7, 7]  # 3 a minute, never a burst of 7
    assert names(endpoint) == [f"Test{n}" for n in range(7)]
    assert states(ids) == ["delivered"] * 7


def test_a_restart_mid_window_keeps_the_counts(ctx, endpoint, database_url):
    endpoint.answer("/leads", OK)
    integration = wire_lander(endpoint.url("/leads"))
    set_rules(integration, DeliveryRules(caps=Caps(hour=5, day=7), time_zone="UTC"))
    add(integration.lander_id, 3, at=MONDAY)
    delivery.deliver_once(MONDAY + timedelta(hours=9, minutes=5))
    assert len(endpoint.received) == 3
    db.close()  # the app stops and starts again
    db.connect(database_url)
    later = add(integration.lander_id, 6, at=MONDAY + timedelta(hours=9, minutes=10), start=3)
    delivery.deliver_once(MONDAY + timedelta(hours=9, minutes=30))
    assert len(endpoint.received) == 5
    assert states(later) == ["delivered"] * 2 + ["capped"] * 4
    delivery.deliver_once(MONDAY + timedelta(hours=10, minutes=5))  # the day's cap of 7 leaves 2
    assert len(endpoint.received) == 7
    assert states(later) == ["delivered"] * 4 + ["capped"] * 2


def test_filtered_and_non_compliant_leads_are_never_posted_and_name_the_rule(ctx, endpoint):
    endpoint.answer("/leads", OK)
    integration = wire_lander(endpoint.url("/leads"))
    set_rules(integration, DeliveryRules(filters=(parse_filter("state in TX,OK"), parse_filter("has_attorney is no")),
                                         require=("trustedform", "jornaya")))
    at = MONDAY + timedelta(hours=9)
    leadid = "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D"
    [good] = add(integration.lander_id, 1, at=at, has_attorney="no", trustedform_cert_url=CERT, jornaya_leadid=leadid)
    [california] = add(integration.lander_id, 1, at=at, start=1, state="CA", has_attorney="no",
                       trustedform_cert_url=CERT, jornaya_leadid=leadid)
    [no_cert] = add(integration.lander_id, 1, at=at, start=2, has_attorney="no", trustedform_cert_url="not a url",
                    jornaya_leadid=leadid)
    [short_id] = add(integration.lander_id, 1, at=at, start=3, has_attorney="no", trustedform_cert_url=CERT,
                     jornaya_leadid=leadid[:30])
    changed = []
    events.subscribe("delivery.changed", lambda topic, payload: changed.append(payload))
    delivery.deliver_once(at + timedelta(minutes=1))
    assert names(endpoint) == ["Test0"]
    assert states([good, california, no_cert, short_id]) == ["delivered", "rejected_by_rule", "held", "held"]
    notes = {row.subject_id: (row.action, row.note) for row in Activity.select().where(Activity.subject_type == "lead")}
    assert notes[california] == ("rejected by rule", 'State in TX, OK: State is CA (rule "State in TX, OK").')
    assert notes[no_cert][0] == "held by rule" and "is not a URL" in notes[no_cert][1]
    assert notes[short_id][1].startswith("Jornaya LeadiD: ") and "30 characters, not 36" in notes[short_id][1]
    assert any(set(p["lead_ids"]) == {california, no_cert, short_id} for p in changed)
    delivery.deliver_once(at + timedelta(days=1))
    assert len(endpoint.received) == 1  # never posted later either
    counts = leads.lander_counts(integration.lander_id)
    assert (counts["delivered"], counts["held"], counts["pending"]) == (1, 3, 0)  # stopped leads are not pending


def test_a_cap_of_zero_pauses_and_long_capped_leads_expire_by_rule(ctx, endpoint):
    endpoint.answer("/leads", OK)
    integration = wire_lander(endpoint.url("/leads"))
    set_rules(integration, DeliveryRules(caps=Caps(day=0)))
    ids = add(integration.lander_id, 2, at=MONDAY)
    delivery.deliver_once(MONDAY + timedelta(hours=9))
    assert endpoint.received == [] and states(ids) == ["new", "new"]
    Lead.update(delivery_state="capped").where(Lead.id == ids[0]).execute()
    delivery.deliver_once(MONDAY + timedelta(hours=73))
    assert states(ids) == ["rejected_by_rule", "new"]
    note = Activity.get(Activity.subject_id == ids[0]).note
    assert note.startswith("Waited at the cap longer than 72 hours")


def test_reaching_the_daily_cap_is_announced_once(ctx, endpoint):
    endpoint.answer("/leads", OK)
    integration = wire_lander(endpoint.url("/leads"))
    set_rules(integration, DeliveryRules(caps=Caps(day=2), time_zone="America/Chicago"))
    add(integration.lander_id, 4, at=MONDAY)
    heard = []
    events.subscribe("integration.capped", lambda topic, payload: heard.append(payload))
    delivery.deliver_once(MONDAY + timedelta(hours=15))
    delivery.deliver_once(MONDAY + timedelta(hours=16))
    assert len(heard) == 1
    assert heard[0]["integration_id"] == integration.id and heard[0]["rule"] == "Cap of 2 a day"
    assert heard[0]["until"] == "2026-12-01 06:00:00"  # midnight in Chicago
    assert delivery_gate.landers_at_daily_cap(MONDAY + timedelta(hours=16)) == {integration.lander_id}
    status = delivery_gate.cap_status(integration.id, MONDAY + timedelta(hours=16))
    assert status["caps"]["day"] == {"cap": 2, "count": 2, "reopens": "2026-12-01 06:00:00"}


def test_a_weekly_cap_counts_the_earlier_days_of_the_week(ctx, endpoint):
    settings.set("delivery.capped_expiry_hours", 0)  # they wait for next week however long it takes
    endpoint.answer("/leads", OK)
    integration = wire_lander(endpoint.url("/leads"))
    set_rules(integration, DeliveryRules(caps=Caps(week=5), time_zone="UTC"))
    add(integration.lander_id, 3, at=MONDAY)
    delivery.deliver_once(MONDAY + timedelta(hours=9))  # Monday: 3 of 5
    add(integration.lander_id, 4, at=MONDAY + timedelta(days=2), start=3)
    wednesday = MONDAY + timedelta(days=2, hours=9)
    delivery.deliver_once(wednesday)  # Monday's 3 count: 2 more go
    assert len(endpoint.received) == 5
    # A Monday attempt that ends rejected stops counting; the remembered count of earlier days may only be high,
    # so this week stays closed rather than ever going over.
    Delivery.update(state="rejected").where(Delivery.id == Delivery.select(Delivery.id).order_by(Delivery.id)
                                            .limit(1).scalar()).execute()
    delivery.deliver_once(wednesday + timedelta(hours=1))
    assert len(endpoint.received) <= 6
    delivery.deliver_once(MONDAY + timedelta(days=7, hours=9))  # next week: the last ones go
    assert len(endpoint.received) == 7
