"""Delivery rules as an operator writes them and as a lead meets them: caps, hours, filters, compliance checks."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from xsc_desktop import delivery_rules as dr
from xsc_desktop.delivery_rules import Caps, Counts, DeliveryRules, RuleError, evaluate, parse_filter, parse_hours

CERT = "https://cert.trustedform.com/" + "0123456789abcdef0123456789abcdef01234567"
LEADID = "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D"
NOW = datetime(2026, 3, 4, 15, 0)  # a Wednesday, 09:00 in Chicago (UTC-6)


def good_lead(**changes):
    lead = {"first_name": "Ana", "phone": "2145551234", "email": "ana@example.com", "state": "TX",
            "case_type": "Auto accident", "has_attorney": "No", "trustedform_cert_url": CERT,
            "jornaya_leadid": LEADID, "tcpa_consent": "yes", "tcpa_text": "I agree to be called.",
            "created_at": NOW - timedelta(hours=1)}
    lead.update(changes)
    return lead


def test_rules_round_trip_through_json_and_empty_rules_store_nothing():
    rules = DeliveryRules(caps=Caps(hour=5, day=25, week=100), client_caps=Caps(day=40), time_zone="America/Chicago",
                          hours=(parse_hours("mon-fri 08:00-18:00"), parse_hours("sat 09:00-13:00")),
                          holidays=(date(2026, 12, 25),), filters=(parse_filter("state in TX,OK,LA"),
                                                                  parse_filter("has_attorney is no")),
                          require=("trustedform", "jornaya"), trustedform_max_age_hours=48, posts_per_minute=10)
    assert DeliveryRules.from_json(rules.to_json()) == rules
    assert DeliveryRules().to_json() is None
    assert DeliveryRules.from_json(None) == DeliveryRules.from_json("") == DeliveryRules()
    with pytest.raises(RuleError, match="not readable JSON"):
        DeliveryRules.from_json("{broken")


@pytest.mark.parametrize(("text", "days", "start", "end"), [
    ("mon-fri 08:00-18:00", (0, 1, 2, 3, 4), 480, 1080),
    ("sat 09:00-13:00", (5,), 540, 780),
    ("Mon,Wed,Friday 8:30-12:00", (0, 2, 4), 510, 720),
    ("daily 00:00-24:00", tuple(range(7)), 0, 1440),
    ("weekends 10:00 - 14:00", (5, 6), 600, 840),
])
def test_hours_are_read_as_written(text, days, start, end):
    rng = parse_hours(text)
    assert (rng.days, rng.start, rng.end) == (days, start, end)
    assert parse_hours(rng.text()) == rng


@pytest.mark.parametrize(("text", "sentence"), [
    ("monday to friday", "are not readable"),
    ("funday 08:00-18:00", "not one of mon"),
    ("mon-fri 18:00-08:00", "end before they start"),
    ("mon 25:00-26:00", "does not exist"),
    ("fri-mon 08:00-10:00", "backwards"),
])
def test_bad_hours_say_what_to_write(text, sentence):
    with pytest.raises(RuleError, match=sentence) as caught:
        parse_hours(text)
    assert str(caught.value).endswith(".")


@pytest.mark.parametrize(("text", "expected"), [
    ("state in TX,OK", dr.Filter("state", "in", ("TX", "OK"))),
    ("state in texas, Oklahoma", dr.Filter("state", "in", ("TX", "OK"))),
    ("state not in CA", dr.Filter("state", "not in", ("CA",))),
    ("case type in Auto accident,Truck accident", dr.Filter("case_type", "in", ("Auto accident", "Truck accident"))),
    ("has_attorney is no", dr.Filter("has_attorney", "is", ("no",))),
    ("age < 24", dr.Filter("age", "<", ("24",))),
    ("age < 48h", dr.Filter("age", "<", ("48",))),
    ("required phone,email,zip", dr.Filter("", "required", ("phone", "email", "zip"))),
])
def test_filters_are_read_as_written(text, expected):
    assert parse_filter(text) == expected
    assert parse_filter(expected.text()) == expected


@pytest.mark.parametrize(("text", "sentence"), [
    ("state", "not readable"),
    ("favourite_colour in red", "not a lead field"),
    ("state in TX,Narnia", "not a US state"),
    ("has_attorney is maybe", "takes yes or no"),
    ("zip < 5", "only the lead's age"),
    ("age < 0", "above 0"),
])
def test_bad_filters_say_what_to_write(text, sentence):
    with pytest.raises(RuleError, match=sentence):
        parse_filter(text)


def test_validate_says_each_problem_in_one_sentence():
    rules = DeliveryRules(caps=Caps(day=0), time_zone="Mars/Olympus",
                          hours=(parse_hours("mon-fri 08:00-12:00"), parse_hours("wed 11:00-14:00")),
                          filters=(parse_filter("case_type in Auto accident"),), require=("jornaya",))
    problems = dr.validate(rules, lander_fields={"first_name", "phone", "state"})
    texts = [p.message for p in problems]
    assert any("A cap of 0 a day pauses delivery" in t for t in texts)
    assert any("'Mars/Olympus' is unknown" in t for t in texts)
    assert any("overlap on Wednesday" in t for t in texts)
    assert any("Case type, which this lander does not collect" in t for t in texts)
    assert any("Jornaya LeadiD" in t and "does not collect" in t for t in texts)
    assert all(t.count(". ") <= 1 and t.endswith(".") for t in texts)
    paused = [p for p in problems if "pauses" in p.message]
    assert not paused[0].blocking and len(dr.blocking(problems)) == 4
    assert dr.validate(DeliveryRules(caps=Caps(hour=5)), {"phone"}) == []


def test_a_lead_passing_every_rule_goes():
    rules = DeliveryRules(caps=Caps(hour=5), time_zone="America/Chicago", hours=(parse_hours("mon-fri 08:00-18:00"),),
                          filters=(parse_filter("state in TX,OK"), parse_filter("has_attorney is no"),
                                   parse_filter("age < 24"), parse_filter("required phone,email")),
                          require=dr.CHECKS)
    assert evaluate(rules, good_lead(), NOW, Counts({"hour": 4})) == dr.DELIVER


@pytest.mark.parametrize(("change", "rule", "reason"), [
    ({"state": "CA"}, "State in TX, OK", "State is CA"),
    ({"state": ""}, "State in TX, OK", "State is missing"),
    ({"has_attorney": "Yes"}, "Has attorney is no", "Has attorney is yes"),
    ({"created_at": NOW - timedelta(hours=30)}, "Lead younger than 24 hours", "30 hours old"),
    ({"email": ""}, "Required: Phone, E-mail", "Missing E-mail"),
])
def test_a_filtered_lead_is_rejected_with_the_rule_named(change, rule, reason):
    rules = DeliveryRules(filters=(parse_filter("state in TX,OK"), parse_filter("has_attorney is no"),
                                   parse_filter("age < 24"), parse_filter("required phone,email")))
    outcome = evaluate(rules, good_lead(**change), NOW)
    assert (outcome.kind, outcome.rule) == ("rejected_by_rule", rule)
    assert reason in outcome.reason


@pytest.mark.parametrize(("url", "reason"), [
    (CERT, None),
    ("", "No TrustedForm certificate URL"),
    ("not a url", "is not a URL"),
    ("http://cert.trustedform.com/0123456789abcdef0123456789abcdef01234567", "is not https"),
    ("https://ping.trustedform.com/0123456789abcdef0123456789abcdef01234567", "is not on cert.trustedform.com"),
    ("https://cert.trustedform.com.evil.example/0123456789abcdef0123456789abcdef01234567", "is not on"),
    ("https://cert.trustedform.com/", "has no certificate id"),
])
def test_trustedform_samples_good_and_bad(url, reason):
    rules = DeliveryRules(require=("trustedform",))
    outcome = evaluate(rules, good_lead(trustedform_cert_url=url), NOW)
    if reason is None:
        assert outcome.kind == "deliver"
    else:
        assert outcome.kind == "held" and outcome.rule == "TrustedForm certificate" and reason in outcome.reason


def test_a_trustedform_certificate_older_than_the_clients_limit_is_held():
    rules = DeliveryRules(require=("trustedform",))
    assert evaluate(rules, good_lead(created_at=NOW - timedelta(hours=71)), NOW).kind == "deliver"
    old = evaluate(rules, good_lead(created_at=NOW - timedelta(hours=73)), NOW)
    assert old.kind == "held" and "73 hours old" in old.reason and "at most 72 hours" in old.reason
    stricter = rules.with_changes(trustedform_max_age_hours=24)
    assert evaluate(stricter, good_lead(created_at=(NOW - timedelta(hours=30)).isoformat()), NOW).kind == "held"


@pytest.mark.parametrize(("token", "reason"), [
    (LEADID, None), (LEADID.lower(), None),
    ("", "No Jornaya LeadiD"), (LEADID[:-1], "35 characters, not 36"),
    ("Z1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D", "8-4-4-4-12"),
])
def test_jornaya_samples_good_and_bad(token, reason):
    outcome = evaluate(DeliveryRules(require=("jornaya",)), good_lead(jornaya_leadid=token), NOW)
    assert outcome.kind == ("deliver" if reason is None else "held")
    if reason:
        assert reason in outcome.reason and outcome.rule == "Jornaya LeadiD"


@pytest.mark.parametrize(("change", "reason"), [
    ({"tcpa_consent": "No"}, "did not give TCPA consent"),
    ({"tcpa_consent": ""}, "No TCPA consent"),
    ({"tcpa_text": ""}, "wording is not stored"),
    ({"phone": "214-555-0123"}, "fictional 555-01xx"),
    ({"phone": "(374) 555-1234"}, "area code or exchange that does not exist"),
    ({"phone": "214 055 1234"}, "does not exist"),
    ({"phone": "12345"}, "not a 10-digit US number"),
    ({"email": "ana.example.com"}, "not written like name@example.com"),
])
def test_other_compliance_checks_hold_bad_leads(change, reason):
    outcome = evaluate(DeliveryRules(require=("tcpa", "phone", "email")), good_lead(**change), NOW)
    assert outcome.kind == "held" and reason in outcome.reason


def test_outside_hours_waits_for_the_next_opening_in_the_clients_zone():
    rules = DeliveryRules(hours=(parse_hours("mon-fri 08:00-18:00"),), holidays=(date(2026, 3, 6),))
    # Wednesday 19:30 in Chicago: closed until Thursday 08:00 Chicago = 14:00 UTC.
    wednesday_evening = datetime(2026, 3, 5, 1, 30)
    outcome = evaluate(rules, good_lead(), wednesday_evening, client_zone="America/Chicago")
    assert outcome.kind == "outside_hours" and outcome.until == datetime(2026, 3, 5, 14, 0)
    assert "Thu 2026-03-05 08:00 America/Chicago" in outcome.reason
    # Thursday 18:30: Friday is a holiday, the weekend is closed: Monday 08:00 (DST began Sunday: UTC-5).
    outcome = evaluate(rules, good_lead(), datetime(2026, 3, 6, 0, 30), client_zone="America/Chicago")
    assert outcome.until == datetime(2026, 3, 9, 13, 0)
    assert evaluate(rules, good_lead(), datetime(2026, 3, 5, 14, 0), client_zone="America/Chicago").deliverable


def test_caps_wait_until_the_window_reopens_and_zero_pauses():
    rules = DeliveryRules(caps=Caps(hour=5, day=20), time_zone="America/Chicago")
    assert evaluate(rules, good_lead(), NOW, Counts({"hour": 4, "day": 4})).deliverable
    hour = evaluate(rules, good_lead(), NOW + timedelta(minutes=20), Counts({"hour": 5, "day": 5}))
    assert (hour.kind, hour.until, hour.rule) == ("capped", datetime(2026, 3, 4, 16, 0), "Cap of 5 an hour")
    day = evaluate(rules, good_lead(), NOW, Counts({"hour": 5, "day": 20}))
    assert day.until == datetime(2026, 3, 5, 6, 0) and day.rule == "Cap of 20 a day"  # Chicago midnight
    client = DeliveryRules(client_caps=Caps(week=3))
    assert evaluate(client, good_lead(), NOW, Counts(client={"week": 3})).rule == "Client cap of 3 a week"
    paused = evaluate(DeliveryRules(caps=Caps(day=0)), good_lead(), NOW, Counts())
    assert paused.kind == "capped" and paused.until is None and "pauses delivery" in paused.reason
    assert dr.remaining(rules, Counts({"hour": 3, "day": 19})) == 1
    assert dr.remaining(DeliveryRules(), Counts()) is None


def test_a_cap_reopening_outside_hours_waits_for_the_opening():
    rules = DeliveryRules(caps=Caps(day=2), hours=(parse_hours("mon-fri 08:00-18:00"),), time_zone="UTC")
    friday = datetime(2026, 3, 6, 10, 0)
    outcome = evaluate(rules, good_lead(), friday, Counts({"day": 2}))
    assert outcome.kind == "capped" and outcome.until == datetime(2026, 3, 9, 8, 0)


def test_windows_are_calendar_windows_of_the_zone():
    zone = DeliveryRules(time_zone="America/Chicago").zone()
    assert dr.window("hour", datetime(2026, 3, 4, 15, 42), zone) == (datetime(2026, 3, 4, 15), datetime(2026, 3, 4, 16))
    assert dr.window("day", NOW, zone) == (datetime(2026, 3, 4, 6), datetime(2026, 3, 5, 6))
    assert dr.window("week", NOW, zone) == (datetime(2026, 3, 2, 6), datetime(2026, 3, 9, 5))  # DST on the 8th
    assert dr.window("month", NOW, zone) == (datetime(2026, 3, 1, 6), datetime(2026, 4, 1, 5))
    assert DeliveryRules().zone("Europe/Berlin").key == "Europe/Berlin"


def test_describe_speaks_the_operators_words():
    rules = DeliveryRules(caps=Caps(day=25, week=0), hours=(parse_hours("mon-fri 08:00-18:00"),),
                          filters=(parse_filter("has_attorney is no"),), require=("trustedform",))
    lines = dr.describe(rules, "America/Chicago")
    assert "Cap: 25 a day" in lines and "Cap: 0 a week (paused)" in lines
    assert "Delivery hours: Monday to Friday 08:00–18:00" in lines
    assert "Time zone: America/Chicago (the client's)" in lines
    assert "Filter: Has attorney is no" in lines and "Check: TrustedForm certificate (at most 72 hours old)" in lines
    assert not any("_" in line for line in lines)
