"""`xsc-desktop integrations rules show|set` and `leads list --state capped|held|rejected_by_rule` in a subprocess:
rules saved whole or not at all, each bad input one sentence with exit code 2, stopped leads listed with the rule."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from tests.helpers.endpoint import RecordingEndpoint, Reply
from tests.helpers.lead_world import wire_lander
from xsc_desktop import delivery_gate
from xsc_desktop.delivery_rules import Caps, DeliveryRules
from xsc_desktop.models import Integration, Lander, Lead


@pytest.fixture
def integration(ctx):
    integration = wire_lander("http://127.0.0.1:9/leads")
    Lander.update(sample_lead={"first_name": "Ana", "phone": "2145552000", "email": "ana@example.com",
                               "state": "TX", "has_attorney": "no", "trustedform_cert_url": "https://cert."
                               "trustedform.com/0123456789abcdef0123456789abcdef01234567"}).execute()
    return integration


def stored(integration) -> str | None:
    return Integration.get_by_id(integration.id).delivery_rules


def test_set_then_show_the_rules(cli, integration):
    ident = str(integration.id)
    done = cli("integrations", "rules", "set", ident, "--cap-hour", "5", "--cap-day", "25", "--tz", "America/Chicago",
               "--hours", "mon-fri 08:00-18:00", "--hours", "sat 09:00-13:00", "--filter", "state in TX,OK",
               "--filter", "has_attorney is no", "--require", "trustedform", "--require", "phone")
    assert done.returncode == 0, done.stderr
    assert "Cap: 5 an hour" in done.stdout and "Filter: State in TX, OK" in done.stdout
    shown = json.loads(cli("integrations", "rules", "show", ident, "--json").stdout)
    assert shown["rules"]["caps"] == {"hour": 5, "day": 25, "week": None, "month": None}
    assert shown["rules"]["hours"] == ["mon-fri 08:00-18:00", "sat 09:00-13:00"]
    assert shown["rules"]["filters"] == ["state in TX,OK", "has_attorney is no"]
    assert shown["rules"]["require"] == ["trustedform", "phone"] and shown["time_zone_used"] == "America/Chicago"
    assert shown["status"]["caps"]["day"]["count"] == 0
    text = cli("integrations", "rules", "show", ident).stdout
    assert "Delivery hours: Monday to Friday 08:00–18:00; Saturday 09:00–13:00" in text and "0 of 5 this hour" in text
    # Parts not given stay; --cap-hour none removes one cap.
    assert cli("integrations", "rules", "set", ident, "--cap-hour", "none").returncode == 0
    rules = json.loads(stored(integration))
    assert rules["caps"]["hour"] is None and rules["caps"]["day"] == 25 and rules["require"] == ["trustedform", "phone"]
    cleared = cli("integrations", "rules", "set", ident, "--clear")
    assert cleared.returncode == 0 and "every lead goes as it comes" in cleared.stdout
    assert stored(integration) is None


def test_a_cap_of_zero_is_saved_and_said_to_pause(cli, integration):
    done = cli("integrations", "rules", "set", str(integration.id), "--cap-day", "0")
    assert done.returncode == 0, done.stderr
    assert "Note: A cap of 0 a day pauses delivery" in done.stdout and "(paused)" in done.stdout


@pytest.mark.parametrize(("args", "sentence"), [
    (("--tz", "Mars/Olympus"), "The time zone 'Mars/Olympus' is unknown; use an IANA name such as America/Chicago."),
    (("--hours", "mon-fri 08:00-12:00", "--hours", "wed 11:00-14:00"),
     "overlap on Wednesday; make the ranges separate or join them into one."),
    (("--hours", "weekdays 9 to 5"), "are not readable; write them like \"mon-fri 08:00-18:00\"."),
    (("--filter", "case_type in Auto accident"), "reads Case type, which this lander does not collect"),
    (("--filter", "colour in red"), "'colour', which is not a lead field"),
    (("--require", "jornaya"), "needs Jornaya LeadiD, which this lander does not collect"),
    (("--require", "blood test"), "There is no compliance check called 'blood test'"),
    (("--cap-day", "lots"), "--cap-day takes a whole number of leads"),
    (("--cap-hour", "-3"), "--cap-hour takes a whole number of leads"),
    (("--holiday", "Christmas"), "The holiday 'Christmas' is not a date"),
])
def test_bad_input_is_one_sentence_exit_2_and_nothing_half_saved(cli, integration, args, sentence):
    ident = str(integration.id)
    delivery_gate.save_rules(integration.id, DeliveryRules(caps=Caps(day=10)))
    before = stored(integration)
    done = cli("integrations", "rules", "set", ident, "--cap-week", "40", *args)
    assert done.returncode == 2
    assert sentence in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert stored(integration) == before  # the valid --cap-week 40 was not saved either


def test_an_unknown_integration_is_said_so(cli, ctx):
    done = cli("integrations", "rules", "show", "99")
    assert done.returncode == 1 and "no integration with id 99" in done.stderr


def test_leads_stopped_by_rules_are_listed_with_the_rule(cli, ctx):
    with RecordingEndpoint() as endpoint:
        endpoint.answer("/leads", Reply(200, b'{"success": true, "id": "X1"}', {"Content-Type": "application/json"}))
        integration = wire_lander(endpoint.url("/leads"))
        now = datetime(2026, 11, 30, 15)
        for n, state in enumerate(["TX", "CA", "TX", "TX"]):
            Lead.create(lander=integration.lander_id, external_id=f"E{n}", first_name="Ana", last_name=f"Test{n}",
                        phone=f"214555{2000 + n}", email="" if n == 2 else f"ana{n}@example.com", state=state,
                        captured_at=now, received_at=now)
        ident = str(integration.id)
        assert cli("integrations", "rules", "set", ident, "--filter", "state in TX", "--require", "email",
                   "--cap-day", "1").returncode == 0
        assert cli("deliver", "--once").returncode == 0
        assert len(endpoint.received) == 1
    rejected = json.loads(cli("leads", "list", "--state", "rejected_by_rule", "--json").stdout)
    assert [(lead["external_id"], lead["rule"]) for lead in rejected] == [
        ("E1", 'State in TX: State is CA (rule "State in TX").')]
    held = cli("leads", "list", "--state", "held").stdout
    assert "E2" in held and "E-mail syntax: No e-mail address; the client requires one." in held
    capped = cli("leads", "list", "--state", "capped").stdout
    assert "E3" in capped and "Cap of 1 a day reached" in capped
