"""Value transforms, their argument checks, and the normalisers lead import reuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from parsers.transforms import (
    TRANSFORMS,
    TransformError,
    apply,
    catalogue,
    check_step,
    compile_chain,
    normalise_phone,
    normalise_state,
    parse_date,
    parse_datetime,
    parse_yes_no,
)


@pytest.mark.parametrize("text, expected", [
    ("2145550100", "2145550100"), ("(214) 555-0100", "2145550100"), ("214.555.0100", "2145550100"),
    ("+1 214-555-0100", "2145550100"), ("1 (214) 555 0100", "2145550100"), ("214-555-0100 x123", "2145550100"),
    ("214-555-0100 ext. 9", "2145550100"), (2145550100, "2145550100"),
    (2145550100.0, "2145550100"), ("2145550100.0", "2145550100"), ("555-0100", None), ("", None), (None, None), ("+44 20 7946 0958", None), ("not a phone", None),
])
def test_normalise_phone(text, expected):
    assert normalise_phone(text) == expected


@pytest.mark.parametrize("fmt, expected", [
    ("digits", "2145550100"), ("e164", "+12145550100"), ("dashes", "214-555-0100"),
    ("parens", "(214) 555-0100"), ("dots", "214.555.0100"),
])
def test_phone_formats(fmt, expected):
    assert apply("phone", "+1 (214) 555-0100", format=fmt) == expected


def test_phone_leaves_a_non_us_number_as_it_came():
    assert apply("phone", " +44 20 7946 0958 ", format="e164") == "+44 20 7946 0958"


@pytest.mark.parametrize("text, expected", [
    ("TX", "TX"), ("tx", "TX"), ("Texas", "TX"), ("TEXAS", "TX"), ("TX Texas", "TX"), ("TX - Texas", "TX"),
    ("Texas (TX)", "TX"), ("new york", "NY"), ("N.Y.", "NY"), ("New-Mexico", "NM"), ("District of Columbia", "DC"),
    (" mi ", "MI"), ("West Virginia", "WV"), ("Ontario", None), ("", None), (None, None), ("XX", None),
])
def test_normalise_state(text, expected):
    assert normalise_state(text) == expected


@pytest.mark.parametrize("fmt, expected", [("code", "NY"), ("name", "New York"), ("code_name", "NY New York")])
def test_state_formats(fmt, expected):
    assert apply("state", "new york", format=fmt) == expected


@pytest.mark.parametrize("text, expected", [
    ("2026-11-20", datetime(2026, 11, 20)), ("11/20/2026", datetime(2026, 11, 20)), ("11/20/26", datetime(2026, 11, 20)),
    ("1/2/1985", datetime(1985, 1, 2)), ("31/12/2026", datetime(2026, 12, 31)), ("2026/11/20", datetime(2026, 11, 20)),
    ("11-20-2026", datetime(2026, 11, 20)), ("11.20.2026", datetime(2026, 11, 20)),
    ("Nov 20, 2026", datetime(2026, 11, 20)), ("November 20th, 2026", datetime(2026, 11, 20)),
    ("20 Nov 2026", datetime(2026, 11, 20)), ("Friday, November 20, 2026", datetime(2026, 11, 20)),
    ("20261120", datetime(2026, 11, 20)), ("11/20/2026 2:03 PM", datetime(2026, 11, 20, 14, 3)),
    ("11/20/2026 12:15 am", datetime(2026, 11, 20, 0, 15)),
    ("2026-11-20T14:03:11Z", datetime(2026, 11, 20, 14, 3, 11, tzinfo=UTC)),
    ("2026-11-20 14:03:11.250-05:00", datetime(2026, 11, 20, 14, 3, 11, 250000, tzinfo=timezone(timedelta(hours=-5)))),
    ("02/30/2026", None), ("13/13/2026", None), ("yesterday", None), ("", None), (None, None), ("1" * 100, None),
])
def test_parse_datetime_reads_common_forms(text, expected):
    assert parse_datetime(text) == expected


def test_parse_date_and_date_transform():
    assert parse_date("Nov 20, 2026") == date(2026, 11, 20)
    assert apply("date", "2026-11-02") == "11/02/2026"
    assert apply("date", "11/20/2026 2:03 PM", format="%Y-%m-%dT%H:%M:%S") == "2026-11-20T14:03:00"
    assert apply("date", "someday", format="%Y") == "someday"


@pytest.mark.parametrize("value, expected", [
    ("Yes", True), ("y", True), ("TRUE", True), ("1", True), ("on", True), ("checked", True), (True, True),
    ("No", False), ("n", False), ("false", False), ("0", False), (False, False), ("maybe", None), ("", None),
])
def test_parse_yes_no(value, expected):
    assert parse_yes_no(value) is expected


@pytest.mark.parametrize("args, yes, no", [
    ({}, "Yes", "No"), ({"style": "Y/N"}, "Y", "N"), ({"style": "1/0"}, "1", "0"),
    ({"style": "true/false"}, "true", "false"), ({"yes": "Si", "no": "Nah"}, "Si", "Nah"),
])
def test_yesno_styles(args, yes, no):
    assert apply("yesno", "y", **args) == yes
    assert apply("yesno", "0", **args) == no
    assert apply("yesno", "unsure", **args) == "unsure"


@pytest.mark.parametrize("name, args, value, expected", [
    ("upper", {}, "Tx", "TX"), ("lower", {}, "A@B.COM", "a@b.com"), ("title", {}, "mary-kate o'neil", "Mary-Kate O'neil"),
    ("trim", {}, "  a \n b  ", "a b"), ("truncate", {"length": 3}, "abcdef", "abc"),
    ("truncate", {"length": 4, "ellipsis": True}, "abcdef", "abc…"), ("truncate", {"length": 9}, "abc", "abc"),
    ("zip5", {}, "75201-1234", "75201"), ("zip5", {}, "752011234", "75201"), ("zip5", {}, "7520", "07520"),
    ("zip5", {}, "K1A 0B1", "K1A 0B1"), ("zip5", {}, "7520.0", "07520"), ("digits", {}, "a1-2b3", "123"),
    ("lookup", {"map": {"Auto Accident": "GUID-1"}}, " auto accident ", "GUID-1"),
    ("lookup", {"map": {"Auto Accident": "GUID-1"}}, "Slip", "Slip"),
    ("lookup", {"map": {"Auto Accident": "GUID-1"}, "fallback": "GUID-0"}, "Slip", "GUID-0"),
    ("lookup", {"map": {"A": "1"}, "case_sensitive": True}, "a", "a"),
    ("regex_replace", {"pattern": r"(\d{3})(\d{4})", "replacement": r"\1-\2"}, "5550100", "555-0100"),
    ("regex_replace", {"pattern": "TEST", "replacement": "", "ignore_case": True}, "a test b", "a  b"),
    ("default", {"value": "n/a"}, "  ", "n/a"), ("default", {"value": "n/a"}, "x", "x"),
    ("prefix", {"text": "XSC-"}, "7", "XSC-7"), ("prefix", {"text": "XSC-"}, "", ""),
    ("suffix", {"text": "!"}, "a", "a!"),
])
def test_simple_transforms(name, args, value, expected):
    assert apply(name, value, **args) == expected


def test_join_reads_other_lead_fields():
    lead = {"first_name": "Ann", "last_name": "Lee", "city": "", "case_type": "Auto"}
    assert apply("join", "ignored", lead, fields=["first_name", "city", "last_name"]) == "Ann Lee"
    assert apply("join", "", lead, fields=["case_type", "first_name"], separator="; ", labels=True) == \
        "case_type: Auto; first_name: Ann"


def test_chain_runs_in_order():
    chain = compile_chain([("trim", {}), ("upper", {}), ("truncate", {"length": 2})])
    assert chain("  tx texas ", {}) == "TX"


@pytest.mark.parametrize("name, args, fragment", [
    ("nope", {}, "unknown transform 'nope'"), ("truncate", {}, "needs the argument 'length'"),
    ("truncate", {"length": "3"}, "must be a whole number"), ("truncate", {"length": 0}, "at least 1"),
    ("truncate", {"length": True}, "must be a whole number"), ("date", {"format": "YYYY"}, "has no date codes"),
    ("lookup", {"map": ["a"]}, "must be an object"), ("join", {"fields": []}, "non-empty list"),
    ("regex_replace", {"pattern": "a", "replacement": r"\2"}, "refers to a group"), ("upper", {"x": 1}, "not an argument"),
    ("phone", "digits", "arguments must be an object"),
])
def test_bad_steps_are_reported_not_raised(name, args, fragment):
    messages = check_step(name, args)
    assert any(fragment in m for m in messages), messages


def test_compiling_a_bad_step_raises_a_transform_error():
    with pytest.raises(TransformError, match="unknown transform"):
        compile_chain([("nope", {})])


def test_catalogue_lists_every_transform_with_its_arguments():
    listed = {item["name"]: item for item in catalogue()}
    assert set(listed) == set(TRANSFORMS)
    assert all(item["description"] for item in listed.values())
    assert listed["phone"]["args"][0]["choices"] == ["digits", "e164", "dashes", "parens", "dots"]
