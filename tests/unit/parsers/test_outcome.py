"""Answer classification: every answer shape in DOMAIN.md, rules before defaults, bad bodies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parsers.outcome import TransportError, classify, decode_body, parse_retry_after
from parsers.presets import preset
from parsers.spec import ParserSpec

NOW = datetime(2026, 11, 28, 8, 0, 0, tzinfo=UTC)
JSON = {"Content-Type": "application/json"}
XML = {"Content-Type": "application/xml"}

# (status, headers, body) → (kind, retryable, reason, remote_id, retry_after)
SHAPES = [
    # JSON success flags
    (200, JSON, b'{"success": true, "opportunityId": 991}', ("accepted", False, "", "991", None)),
    (200, JSON, b'{"Success":"true","ErrorCode":"","Message":"Good post"}', ("accepted", False, "Good post", "", None)),
    (200, JSON, b'{"result":"success","lead_id":"LP-77"}', ("accepted", False, "", "LP-77", None)),
    (200, JSON, b'{"result":"failed","msg":"Duplicate"}', ("duplicate", False, "Duplicate", "", None)),
    (200, JSON, b'{"outcome":"failure","reason":"Failed email validation"}',
     ("rejected", False, "Failed email validation", "", None)),
    (200, JSON, b'{"success": false, "message": "Phone is invalid"}', ("rejected", False, "Phone is invalid", "", None)),
    (200, JSON, b'{"Success":"false","ErrorCode":"E12","Message":"Lead already exists"}',
     ("duplicate", False, "Lead already exists", "", None)),
    (200, JSON, b'{"status":"ok","data":{"id":"abc"}}', ("accepted", False, "", "abc", None)),
    (200, JSON, b'{"ErrorCode":"301","Message":"Missing zip"}', ("rejected", False, "Missing zip", "", None)),
    (200, JSON, b'{"status":"error","message":"Invalid phone"}', ("error", False, "Invalid phone", "", None)),
    (200, JSON, b'{"status":"error","message":"Service temporarily unavailable"}',
     ("error", True, "Service temporarily unavailable", "", None)),
    (200, JSON, b'[{"success": true, "id": 5}]', ("accepted", False, "", "5", None)),
    # XML
    (200, XML, b"<PostResponse><Response>ACCEPTED</Response><LeadId>A-1</LeadId></PostResponse>",
     ("accepted", False, "", "A-1", None)),
    (200, XML, b"<PostResponse><Response>REJECTED</Response><Reason>Duplicate lead</Reason></PostResponse>",
     ("duplicate", False, "Duplicate lead", "", None)),
    (200, XML, b"<PostResponse><Response>REJECTED</Response><Reason>Outside service area</Reason></PostResponse>",
     ("rejected", False, "Outside service area", "", None)),
    (200, XML, b"<response><status>Matched</status><id>9</id></response>", ("accepted", False, "", "9", None)),
    (200, XML, b"<response><status>Unmatched</status><message>No buyer</message></response>",
     ("rejected", False, "No buyer", "", None)),
    (200, XML, b"<response><status>Error</status><message>Database timeout</message></response>",
     ("error", True, "Database timeout", "", None)),
    (200, XML, b"<result><responseCode>1200</responseCode><message>Lead received</message></result>",
     ("accepted", False, "Lead received", "", None)),
    (200, XML, b"<result><responseCode>1400</responseCode><message>Missing phone</message></result>",
     ("rejected", False, "Missing phone", "", None)),
    (200, XML, b'<?xml version="1.0"?><r:Reply xmlns:r="urn:x"><r:Status>Matched</r:Status></r:Reply>',
     ("accepted", False, "", "", None)),
    # plain text
    (200, {}, b"OK|12345", ("accepted", False, "", "12345", None)),
    (200, {}, b"ERR|DUPLICATE", ("duplicate", False, "DUPLICATE", "", None)),
    (200, {}, b"ERR|Invalid zip", ("rejected", False, "Invalid zip", "", None)),
    (200, {}, b"SUCCESS 123", ("accepted", False, "", "123", None)),
    (200, {}, b"rejected: outside service area", ("rejected", False, "outside service area", "", None)),
    (200, {}, b"Duplicate lead", ("duplicate", False, "Duplicate lead", "", None)),
    (200, {}, b"Thanks, we got it", ("accepted", False, "", "", None)),
    # HTML pages
    (200, {}, b"<!DOCTYPE html><html><head><title>Runtime Error</title></head><body>Server Error in '/' Application.</body></html>",
     ("error", True, "error page: Runtime Error", "", None)),
    (200, {}, b"<html><head><title>Thank you</title></head><body>Thanks!</body></html>", ("accepted", False, "", "", None)),
    (502, {}, b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
     ("error", True, "The client's server failed (HTTP 502): error page: 502 Bad Gateway", "", None)),
    # HTTP statuses
    (201, JSON, b'{"id": 31}', ("accepted", False, "", "31", None)),
    (202, {}, b"", ("accepted", False, "", "", None)),
    (204, {}, b"", ("accepted", False, "", "", None)),
    (400, JSON, b'{"errors":{"email":["is invalid"]}}', ("rejected", False, "email is invalid", "", None)),
    (422, JSON, b'{"error":"from_first can\'t be blank"}', ("rejected", False, "from_first can't be blank", "", None)),
    (422, {}, b"", ("rejected", False, "HTTP 422 Unprocessable entity", "", None)),
    (401, JSON, b'{"message":"Invalid token"}',
     ("rejected", False, "The client refused our credentials (HTTP 401); check the key or token: Invalid token", "", None)),
    (403, {}, b"", ("rejected", False, "The client refused our credentials (HTTP 403); check the key or token", "", None)),
    (409, {}, b"", ("duplicate", False, "Duplicate lead (HTTP 409)", "", None)),
    (400, {}, b"Duplicate lead", ("duplicate", False, "Duplicate lead", "", None)),
    (429, {"Retry-After": "30"}, b"", ("error", True, "The client asks us to slow down (HTTP 429)", "", 30.0)),
    (429, {"Retry-After": "Sat, 28 Nov 2026 08:02:00 GMT"}, b"slow down",
     ("error", True, "The client asks us to slow down (HTTP 429): slow down", "", 120.0)),
    (408, {}, b"", ("error", True, "The client timed out reading the lead (HTTP 408)", "", None)),
    (500, {}, b"boom", ("error", True, "The client's server failed (HTTP 500): boom", "", None)),
    (503, {"Retry-After": "120"}, b"", ("error", True, "The client's server failed (HTTP 503)", "", 120.0)),
    (302, {"Location": "https://other.example/login"}, b"",
     ("error", False, "The client answered with a redirect (HTTP 302) to https://other.example/login; check the endpoint URL",
      "", None)),
    (404, {}, b"Not Found", ("rejected", False, "Not Found", "", None)),
]


@pytest.mark.parametrize("status, headers, body, expected", SHAPES,
                         ids=[f"{s}-{b[:30]!r}" for s, _, b, _ in SHAPES])
def test_every_answer_shape_is_classified_by_the_defaults(status, headers, body, expected):
    outcome = classify(None, status, headers, body, 0.2, now=NOW)
    assert (outcome.kind, outcome.retryable, outcome.reason, outcome.remote_id, outcome.retry_after) == expected
    assert outcome.rule is None


@pytest.mark.parametrize("body", [
    b"\x00\x01\x02\xff" * 100_000,                       # binary
    b"\xff\xfe\x00\xd8" * 10,                            # broken UTF-16
    b"caf\xe9 rejected \x81\x8d",                        # Windows-1252, not UTF-8
    b'{"success": true, "id": "' + b"9" * 5_000_000 + b'"}',  # huge JSON, past the parse limit
    b"<" * 1_000_000,                                    # not XML at all
    b"<!DOCTYPE foo [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;&a;'>]><foo>&b;&b;&b;</foo>",
    b'{"success": ',                                     # cut-off JSON
    "Réponse acceptée".encode("utf-16"),
])
@pytest.mark.parametrize("status", [200, 400, 500])
def test_odd_bodies_classify_without_a_crash(body, status):
    outcome = classify(None, status, {"Content-Type": "text/plain; charset=bogus"}, body, 0.1, now=NOW)
    assert outcome.kind in ("accepted", "duplicate", "rejected", "error")
    assert len(outcome.reason) <= 300


def test_transport_errors_are_retryable_except_an_unsure_timeout_of_a_non_idempotent_parser():
    connect = classify(None, None, error=TransportError("connect", "Could not connect to a.example"))
    assert (connect.kind, connect.retryable) == ("error", True)
    assert classify(preset("generic_json"), None, error=TransportError("timeout", "No answer in 20 s")).retryable
    litify = classify(preset("litify"), None, error=TransportError("timeout", "No answer in 20 s"))
    assert (litify.kind, litify.retryable) == ("error", False)
    assert "may have the lead" in litify.reason
    assert classify(None, None, error="socket closed").reason == "socket closed"


def _rules(*rules) -> ParserSpec:
    return ParserSpec.from_dict({"name": "r", "url": "https://a.example", "rules": list(rules)})


def test_rules_come_first_in_order_and_extract_reason_and_id():
    spec = _rules(
        {"outcome": "rejected", "status": "200", "body_regex": r"<Result>\s*0\s*</Result>",
         "reason": {"kind": "xpath", "expr": ".//Message"}},
        {"outcome": "accepted", "status": "2xx", "xpath": "/Reply/Result", "equals": "1",
         "remote_id": {"kind": "xpath", "expr": "/Reply/LeadRef"}},
    )
    rejected = classify(spec, 200, XML, b"<Reply><Result>0</Result><Message>No coverage</Message></Reply>")
    assert (rejected.kind, rejected.reason, rejected.rule) == ("rejected", "No coverage", 1)
    accepted = classify(spec, 201, XML, b"<Reply><Result>1</Result><LeadRef>R-9</LeadRef></Reply>")
    assert (accepted.kind, accepted.remote_id, accepted.rule) == ("accepted", "R-9", 2)
    fallthrough = classify(spec, 200, XML, b"<Reply><Result>7</Result></Reply>")
    assert fallthrough.rule is None and fallthrough.kind == "accepted"


def test_a_rule_turns_a_200_with_a_hidden_rejection_into_a_rejection():
    spec = _rules({"outcome": "rejected", "json_path": "$.data.accepted", "equals": "false|0|no",
                   "reason": {"kind": "json_path", "expr": "$.data.why"}})
    outcome = classify(spec, 200, JSON, b'{"data": {"accepted": false, "why": "Too old"}}')
    assert (outcome.kind, outcome.reason, outcome.retryable) == ("rejected", "Too old", False)


def test_rule_extras_regex_literal_retryable_and_status_ranges():
    spec = _rules(
        {"outcome": "error", "status": "400-499", "body_regex": "quota", "retryable": True,
         "reason": {"kind": "literal", "expr": "Daily cap reached"}},
        {"outcome": "accepted", "status": "200,201", "remote_id": {"kind": "regex", "expr": r"Lead #(\d+)"}},
    )
    capped = classify(spec, 403, {"Retry-After": "60"}, b"QUOTA exceeded", now=NOW)
    assert (capped.kind, capped.retryable, capped.reason, capped.retry_after) == ("error", True, "Daily cap reached", 60.0)
    assert classify(spec, 201, {}, b"Created Lead #4411").remote_id == "4411"


def test_lead_docket_preset_rules_read_its_answers():
    spec = preset("lead_docket")
    ok = classify(spec, 200, JSON, b'{"success": true, "opportunityId": 5521}')
    assert (ok.kind, ok.remote_id, ok.rule) == ("accepted", "5521", 1)
    bad = classify(spec, 200, JSON, b'{"success": false, "message": "Form not found"}')
    assert (bad.kind, bad.reason, bad.rule) == ("rejected", "Form not found", 2)


def test_retry_after_forms():
    assert parse_retry_after("45") == 45.0
    assert parse_retry_after("Sat, 28 Nov 2026 08:00:30 GMT", NOW) == 30.0
    assert parse_retry_after("Sat, 28 Nov 2026 07:00:00 GMT", NOW) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after("") is None
    # A header decoded as latin-1 can hold "²", which str.isdigit() accepts and int() refuses.
    assert parse_retry_after("²") is None
    assert classify(None, 429, {"Retry-After": "²"}, b"").kind == "error"


def test_decode_body_prefers_the_declared_charset_then_utf8_then_cp1252():
    assert decode_body("é".encode("latin-1"), "text/plain; charset=ISO-8859-1") == "é"
    assert decode_body("é".encode()) == "é"
    assert decode_body(b"caf\xe9") == "café"
    assert decode_body(b"\xef\xbb\xbfOK") == "OK"


def test_outcome_summary_and_dict():
    outcome = classify(None, 200, {}, b"OK|12345")
    assert outcome.ok and outcome.summary() == "accepted (id 12345)"
    assert outcome.to_dict() == {"kind": "accepted", "retryable": False, "reason": "", "remote_id": "12345",
                                 "retry_after": None, "rule": None}
    slow = classify(None, 429, {"Retry-After": "5"}, b"")
    assert slow.summary() == "error: The client asks us to slow down (HTTP 429) — will retry in 5 s"
