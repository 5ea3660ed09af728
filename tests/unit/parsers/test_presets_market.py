"""Presets for the systems agencies post into, built from each system's public documentation: the request
(golden files in golden/, written by test_render) and how each system's answers read (accepted, duplicate,
rejected, error) with answers shaped as the documentation shows them."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from parsers.outcome import classify
from parsers.presets import PRESET_NAMES, SYSTEM_ALIASES, SYSTEM_SIGNS, preset, preset_for_system
from parsers.render import render
from parsers.spec import SYSTEMS, validate
from tests.unit.parsers.test_render import LEAD, SECRETS, SETTINGS

MARKET = ("salesforce_w2l", "hubspot_forms", "boberdoo", "five9_web2campaign", "leadconduit", "leadbyte", "lawmatics",
          "smartadvocate")


def _form(request) -> dict[str, str]:
    return dict(parse_qsl(request.body.decode("ascii"), keep_blank_values=True))


def test_every_market_system_has_a_clean_preset_and_signs():
    for name in MARKET:
        spec = preset(name)
        assert name in PRESET_NAMES and name in SYSTEMS and spec.system == name
        assert [p for p in validate(spec) if p.severity == "error"] == [], name
        assert preset_for_system(name).name == name
        assert name in SYSTEM_SIGNS and re.compile(SYSTEM_SIGNS[name]["hosts"])


@pytest.mark.parametrize("alias, name", [("filevine", "lead_docket"), ("hubspot", "hubspot_forms"),
                                         ("five9", "five9_web2campaign"), ("salesforce", "salesforce_w2l")])
def test_other_names_of_a_system_find_its_preset(alias, name):
    assert SYSTEM_ALIASES[alias] == name and preset_for_system(alias).name == name


def test_salesforce_web_to_lead_request():
    request = render(preset("salesforce_w2l"), LEAD, SETTINGS, SECRETS)
    assert request.method == "POST"
    assert request.url == "https://webto.salesforce.com/servlet/servlet.WebToLead?encoding=UTF-8"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = _form(request)
    assert form["oid"] == "00D5g000004XyZa" and form["last_name"] == "O'Brien & Sons <Jr>"
    assert form["state"] == "TX" and form["zip"] == "75201"
    assert "debug" not in form and "retURL" not in form  # testing switches and the thank-you page never go live
    test = _form(render(preset("salesforce_w2l"), LEAD, SETTINGS, SECRETS, test=True))
    assert "TEST LEAD" in test["last_name"] and "debug" not in test


def test_salesforce_answers_the_same_page_so_received_is_accepted():
    spec = preset("salesforce_w2l")
    assert classify(spec, 200, {"Content-Type": "text/html"}, b"<html><body></body></html>").kind == "accepted"
    assert classify(spec, 503, {}, b"Service Unavailable").kind == "error"


def test_hubspot_forms_request_sends_fields_as_name_value_items():
    request = render(preset("hubspot_forms"), LEAD, SETTINGS, SECRETS)
    assert request.url == ("https://api.hsforms.com/submissions/v3/integration/submit/62515/"
                           "78c2891f-ebdd-44c0-bd94-15c012bbbfbf")
    body = json.loads(request.body)
    assert body["fields"][:3] == [{"name": "firstname", "value": "Zoë"},
                                  {"name": "lastname", "value": "O'Brien & Sons <Jr>"},
                                  {"name": "email", "value": "zoe.obrien@example.com"}]
    assert body["context"] == {"pageUri": "https://example.com/auto?a=1&b=2", "ipAddress": "203.0.113.7"}
    assert "Authorization" not in request.headers


def test_hubspot_answers():
    spec = preset("hubspot_forms")
    ok = classify(spec, 200, {"Content-Type": "application/json"}, b'{"inlineMessage":"Thanks for submitting the form."}')
    assert ok.kind == "accepted"
    bad = classify(spec, 400, {"Content-Type": "application/json"}, json.dumps({
        "status": "error", "message": "The request is not valid", "correlationId": "0c1d",
        "errors": [{"message": "Error in 'fields.email'. Invalid email address", "errorType": "INVALID_EMAIL"}]}))
    assert bad.kind == "rejected" and "Invalid email address" in bad.reason and not bad.retryable


def test_boberdoo_request_posts_the_full_lead_once_with_the_test_switch_only_in_test():
    live = render(preset("boberdoo"), LEAD, SETTINGS, SECRETS)
    assert live.url == "https://buyer.example.com/new_api/api.php"
    form = _form(live)
    assert (form["API_Action"], form["Mode"], form["TYPE"], form["SRC"]) == ("pingPostLead", "full", "33", "XSC")
    assert form["Key"] == "LR-KEY-9" and form["Primary_Phone"] == "2145550100" and "Test_Lead" not in form
    assert _form(render(preset("boberdoo"), LEAD, SETTINGS, SECRETS, test=True))["Test_Lead"] == "1"


@pytest.mark.parametrize("answer, kind, detail", [
    ("<response><status>Matched</status><lead_id>26635027</lead_id></response>", "accepted", "26635027"),
    ("<response><status>Unmatched</status><lead_id>26635028</lead_id></response>", "rejected", "no buyer"),
    ("<response><status>Error</status><error>Missing Zip</error></response>", "rejected", "Missing Zip"),
    ("<response><status>Error</status><error>Duplicate lead</error></response>", "duplicate", "Duplicate"),
])
def test_boberdoo_answers(answer, kind, detail):
    outcome = classify(preset("boberdoo"), 200, {"Content-Type": "text/xml"}, answer.encode())
    assert outcome.kind == kind
    assert detail in (outcome.remote_id or "") + (outcome.reason or "")


def test_five9_request_and_answers():
    request = render(preset("five9_web2campaign"), LEAD, SETTINGS, SECRETS)
    assert request.url == "https://api.five9.com/web2campaign/AddToList"
    form = _form(request)
    assert (form["F9domain"], form["F9list"], form["F9key"], form["F9retResults"]) == (
        "Smith Law Intake", "Web Leads", "number1", "1")
    assert form["number1"] == "2145550100"
    spec = preset("five9_web2campaign")
    page = ('<html><body><form><input type=hidden name="F9errCode" value="0">'
            '<input type=hidden name="F9errDesc" value=""></form></body></html>')
    assert classify(spec, 200, {"Content-Type": "text/html"}, page.encode()).kind == "accepted"
    page = ('<html><body><input type=hidden name="F9errCode" value="700">'
            '<input type=hidden name="F9errDesc" value="List not found"></body></html>')
    refused = classify(spec, 200, {"Content-Type": "text/html"}, page.encode())
    assert refused.kind == "rejected" and refused.reason == "List not found"


def test_leadconduit_request_and_answers():
    request = render(preset("leadconduit"), LEAD, SETTINGS, SECRETS)
    assert urlsplit(request.url).path == "/flows/5fd4371e940df5a34a3888b2/sources/5fd4371e940df5a34a3888b3/submit"
    assert request.headers["Accept"] == "application/json"
    assert _form(request)["phone_1"] == "2145550100" and _form(request)["postal_code"] == "75201"
    spec = preset("leadconduit")
    ok = classify(spec, 201, {}, b'{"outcome":"success","lead":{"id":"abc123"},"price":0}')
    assert (ok.kind, ok.remote_id) == ("accepted", "abc123")
    no = classify(spec, 201, {}, b'{"outcome":"failure","reason":"state must be valid","lead":{"id":"x"}}')
    assert (no.kind, no.reason) == ("rejected", "state must be valid")
    dup = classify(spec, 201, {}, b'{"outcome":"failure","reason":"Duplicate lead","lead":{"id":"x"}}')
    assert dup.kind == "duplicate"
    err = classify(spec, 201, {}, b'{"outcome":"error","reason":"Flow is disabled"}')
    assert err.kind == "error" and err.retryable


def test_leadbyte_request_and_answer_codes():
    request = render(preset("leadbyte"), LEAD, SETTINGS, SECRETS)
    parts = urlsplit(request.url)
    assert parts.netloc == "smithlaw.leadbyte.co.uk" and parts.path == "/api/submit.php"
    assert dict(parse_qsl(parts.query)) == {"campid": "TORT-UK", "sid": "14", "returnjson": "yes"}
    assert _form(request)["towncity"] == "Dallas" and _form(request)["phone1"] == "2145550100"
    spec = preset("leadbyte")
    ok = classify(spec, 200, {}, b'{"code":1,"response":"OK","info":[],"leadId":123456,"processTime":0.12}')
    assert (ok.kind, ok.remote_id) == ("accepted", "123456")
    assert classify(spec, 200, {}, b'{"code":-2,"response":"Duplicate or resubmission","leadId":null}').kind == "duplicate"
    cap = classify(spec, 200, {}, b'{"code":-4,"response":"Campaign cap reached","leadId":null}')
    assert cap.kind == "error" and cap.retryable
    hlr = classify(spec, 200, {}, b'{"code":-8,"response":"HLR rejection","info":{"status":"UNDELIV"},"leadId":null}')
    assert (hlr.kind, hlr.reason) == ("rejected", "HLR rejection")


def test_lawmatics_request_and_answers():
    request = render(preset("lawmatics"), LEAD, SETTINGS, SECRETS)
    assert request.url == "https://api.lawmatics.com/v1/prospects"
    assert request.headers["Authorization"] == "Bearer lm_tok_5"
    assert json.loads(request.body)["first_name"] == "Zoë"
    assert "lm_tok_5" not in json.dumps(request.to_dict())
    spec = preset("lawmatics")
    ok = classify(spec, 201, {}, b'{"data":{"id":"9876","type":"prospect","attributes":{}}}')
    assert (ok.kind, ok.remote_id) == ("accepted", "9876")
    assert classify(spec, 401, {}, b'{"errors":[{"detail":"Unauthorized"}]}').kind == "rejected"


def test_smartadvocate_request_uses_its_own_names_with_spaces():
    request = render(preset("smartadvocate"), LEAD, SETTINGS, SECRETS)
    assert request.url == "https://client.example/leads/post"
    form = _form(request)
    assert form["first name"] == "Zoë" and form["CaseType"] == "Auto Accident" and form["DOB"] == "04/12/1985"
    assert b"first+name=Zo%C3%AB" in request.body
    spec = preset("smartadvocate")
    ok = classify(spec, 200, {"Content-Type": "text/plain"}, b"90001234")
    assert (ok.kind, ok.remote_id) == ("accepted", "90001234")
    bad = classify(spec, 200, {"Content-Type": "text/plain"}, b"Error 12: last name is required")
    assert bad.kind == "rejected" and "last name is required" in bad.reason


def test_a_draft_naming_a_market_system_starts_from_its_preset():
    from xsc_desktop.intake.store import build_parser_setup

    setup = build_parser_setup({"system": "hubspot_forms", "format": "json", "method": "POST",
                                "endpoint": "https://api.hsforms.com/submissions/v3/integration/submit/4411/ab-12"},
                               "Acme (hubspot_forms)")
    assert setup.spec.system == "hubspot_forms" and setup.settings == {"portal_id": "4411", "form_guid": "ab-12"}
    assert setup.missing == []
    setup = build_parser_setup({"system": "filevine", "format": "json",
                                "endpoint": "https://smithlaw.leaddocket.com/opportunities/formjson/12"}, "Smith")
    assert setup.spec.system == "lead_docket" and setup.settings == {"firm": "smithlaw", "form_id": "12"}


SUCCESS = {
    "salesforce_w2l": (200, b"<html><head><meta http-equiv='refresh'></head><body></body></html>", "text/html", None),
    "hubspot_forms": (200, b'{"inlineMessage":"Thanks for submitting the form."}', "application/json", None),
    "boberdoo": (200, b"<response><status>Matched</status><lead_id>26635027</lead_id></response>", "text/xml",
                 "26635027"),
    "five9_web2campaign": (200, b'<html><body><input type=hidden name="F9errCode" value="0">'
                                b'<input type=hidden name="F9errDesc" value=""></body></html>', "text/html", None),
    "leadconduit": (201, b'{"outcome":"success","lead":{"id":"abc123"},"price":0}', "application/json", "abc123"),
    "leadbyte": (200, b'{"code":1,"response":"OK","info":[],"leadId":123456}', "application/json", "123456"),
    "lawmatics": (201, b'{"data":{"id":"9876","type":"prospect"}}', "application/json", "9876"),
    "smartadvocate": (200, b"90001234", "text/plain", "90001234"),
}


@pytest.mark.parametrize("name", MARKET)
def test_each_market_preset_posts_over_the_wire_and_reads_the_documented_success(endpoint, name):
    from xsc_desktop.posting import post

    status, body, ctype, remote_id = SUCCESS[name]
    endpoint.answer("/intake", status=status, body=body, headers={"Content-Type": ctype})
    spec = preset(name)
    spec.url = endpoint.url("/intake")  # the system's own address, here on 127.0.0.1
    request = render(spec, LEAD, SETTINGS, SECRETS, test=True)
    attempt = post(request, spec)
    got = endpoint.wait_for(1)[0]
    assert got.body == request.body and got.method == "POST"
    assert (attempt.outcome.kind, attempt.outcome.remote_id or None) == ("accepted", remote_id), attempt.outcome
