"""The Leads page with delivery rules: leads the real delivery loop capped, held or filtered are found by the state
filter in operators' words, and the row and the lead pane name the rule and why."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.helpers.endpoint import RecordingEndpoint, Reply
from tests.helpers.lead_world import wire_lander
from xsc_desktop import delivery, settings
from xsc_desktop.delivery_rules import DeliveryRules
from xsc_desktop.models import Integration, Lead

MONDAY = datetime(2026, 11, 30, 15, 0)  # 09:00 in Chicago


@pytest.fixture
def ruled(ctx):
    settings.set("delivery.posts_per_minute", 0)
    with RecordingEndpoint() as server:
        server.answer("/leads", Reply(200, b'{"success": true, "id": "C-1"}', {"Content-Type": "application/json"}))
        integration = wire_lander(server.url("/leads"))
        rules = DeliveryRules.from_dict({"caps": {"day": 1}, "time_zone": "America/Chicago",
                                         "filters": ["state in TX"], "require": ["trustedform"]})
        Integration.update(delivery_rules=rules.to_json()).execute()
        cert = "https://cert.trustedform.com/0123456789abcdef0123456789abcdef01234567"
        ids = {}
        for name, state, tf in (("Sent", "TX", cert), ("Over", "TX", cert), ("Okie", "OK", cert), ("Nocert", "TX", "")):
            ids[name] = Lead.create(lander=integration.lander_id, first_name="Ana", last_name=name, state=state,
                                    phone="2145552000", email="a@example.com", trustedform_cert_url=tf or None,
                                    captured_at=MONDAY - timedelta(minutes=5), received_at=MONDAY).id
        delivery.deliver_once(MONDAY)
        yield ids


def test_rule_states_are_filtered_and_say_their_rule(window, ruled):
    states = {name: Lead.get_by_id(i).delivery_state for name, i in ruled.items()}
    assert states == {"Sent": "delivered", "Over": "capped", "Okie": "rejected_by_rule", "Nocert": "held"}
    page = window.show_page("leads")
    labels = [page.state_filter.itemText(i) for i in range(page.state_filter.count())]
    assert {"capped", "held", "filtered by rule"} <= set(labels)

    seen = {}
    for label in ("capped", "held", "filtered by rule"):
        page.state_filter.setCurrentIndex(labels.index(label))
        assert page.model.rowCount() == 1
        index = page.model.index(0, 1)
        seen[label] = (index.data(), index.data(3))  # 3: the tooltip role
    assert seen["capped"][0] == "capped: Cap of 1 a day"
    assert seen["capped"][1].startswith("Cap of 1 a day: Cap of 1 a day reached; waits until Tue 2026-12-01 00:00")
    assert seen["held"][0] == "held: TrustedForm certificate"
    assert "No TrustedForm certificate URL" in seen["held"][1]
    assert seen["filtered by rule"][0] == "filtered by rule: State in TX"
    assert "State is OK" in seen["filtered by rule"][1]

    page.table.selectRow(0)
    text = page.detail.fields.text()
    assert "Delivery rule" in text and "State in TX" in text and "filter of the integration" in text
    assert page.detail.heading.text().endswith("filtered by rule")
