"""Rendering: golden requests for every preset (exact bytes), escaping, test modes, masking, errors."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from parsers.presets import PRESET_NAMES, preset
from parsers.render import MASK, OutgoingRequest, RenderError, compile_spec, mask_text, render
from parsers.spec import ParserSpec, secrets_needed, settings_needed

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("XSC_UPDATE_GOLDEN") == "1"

# A lead with the characters that break naive escaping: accents, &, <, quotes, a newline, an emoji.
LEAD = {
    "first_name": "Zoë", "last_name": "O'Brien & Sons <Jr>", "email": " Zoe.OBrien@Example.COM ",
    "phone": "(214) 555-0100", "phone_alt": "", "address": "12 \"Elm\" St", "city": "Dallas", "state": "Texas",
    "zip": "75201-1234", "county": "Dallas", "date_of_birth": "4/12/1985", "case_type": "Auto Accident",
    "description": "Rear-ended at a light.\nBack pain 😣; 50% sure", "incident_date": "2026-11-02",
    "ip_address": "203.0.113.7", "trustedform_cert_url": "https://cert.trustedform.com/abc",
    "jornaya_leadid": "01234567-89AB-CDEF-0123-456789ABCDEF", "landing_page_url": "https://example.com/auto?a=1&b=2",
    "source": "xsc", "sub_id": "fb-12", "lead_id": "L0000042",
}
SETTINGS = {"firm": "smithlaw", "form_id": "12", "CaptorraId": "310775", "Referrer": "0d9e8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b",
            "LeadProvider": "XSC", "domain": "buyer.example.com", "lp_campaign_id": "55",
            "endpoint": "https://client.example/leads/post",
            # the market systems' presets (tests/unit/parsers/test_presets_market.py)
            "oid": "00D5g000004XyZa", "portal_id": "62515", "form_guid": "78c2891f-ebdd-44c0-bd94-15c012bbbfbf",
            "TYPE": "33", "SRC": "XSC", "F9domain": "Smith Law Intake", "F9list": "Web Leads",
            "flow_id": "5fd4371e940df5a34a3888b2", "source_id": "5fd4371e940df5a34a3888b3", "account": "smithlaw",
            "campid": "TORT-UK", "sid": "14"}
SECRETS = {"apikey": "ak_live_123&x", "Key": "LR-KEY-9", "inbox_lead_token": "tok_abc/+=", "lp_campaign_key": "k3y 5ecret",
           "lawmatics_token": "lm_tok_5"}


def _as_text(request: OutgoingRequest) -> bytes:
    head = [f"{request.method} {request.url}"] + [f"{k}: {v}" for k, v in request.headers.items()]
    return ("\n".join(head) + "\n\n").encode("utf-8") + request.body


@pytest.mark.parametrize("test", [False, True], ids=["live", "test"])
@pytest.mark.parametrize("name", PRESET_NAMES)
def test_golden_request_of_every_preset(name, test):
    spec = preset(name)
    request = render(spec, LEAD, SETTINGS, SECRETS, test=test)
    path = GOLDEN / f"{name}.{'test' if test else 'live'}.http"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(_as_text(request))
    assert _as_text(request) == path.read_bytes()
    # The masked preview never shows a secret, in any of its escaped forms.
    preview = json.dumps(request.to_dict())
    for secret in SECRETS.values():
        assert secret not in preview and secret not in request.masked().url


def test_clio_grow_body_nests_dotted_targets_exactly():
    request = render(preset("clio_grow"), LEAD, SETTINGS, SECRETS)
    assert request.method == "POST" and request.url == "https://grow.clio.com/inbox_leads"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == (
        b'{"inbox_lead":{"from_first":"Zo\\u00eb","from_last":"O\'Brien & Sons <Jr>",'
        b'"from_message":"Rear-ended at a light.\\nBack pain \\ud83d\\ude23; 50% sure",'
        b'"from_email":"zoe.obrien@example.com","from_phone":"2145550100",'
        b'"referring_url":"https://example.com/auto?a=1&b=2","from_source":"xsc"},'
        b'"inbox_lead_token":"tok_abc/+="}')
    assert json.loads(request.body)["inbox_lead"]["from_first"] == "Zoë"


def test_form_body_is_utf8_percent_encoded_with_plus_for_spaces():
    request = render(preset("law_ruler"), LEAD, SETTINGS, SECRETS)
    assert request.url == "https://smithlaw.lawruler.com/api-legalcrmapp.aspx"
    pairs = dict(parse_qsl(request.body.decode("ascii"), keep_blank_values=True))
    assert pairs["LastName"] == "O'Brien & Sons <Jr>"
    assert pairs["Summary"] == LEAD["description"]
    assert pairs["DOB"] == "04/12/1985" and pairs["State"] == "TX" and pairs["Zip"] == "75201"
    assert pairs["Key"] == "LR-KEY-9" and pairs["Operation"] == "Create"
    assert b"LastName=O%27Brien+%26+Sons+%3CJr%3E" in request.body


def test_xml_body_escapes_entities_and_drops_forbidden_characters():
    spec = preset("generic_xml")
    spec.xml_root = "PostLead"
    request = render(spec, {**LEAD, "description": "a < b & c > d\x00\x07 ok"}, SETTINGS, SECRETS)
    assert request.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><PostLead><first_name>Zo\xc3\xab</first_name>')
    assert b"<last_name>O'Brien &amp; Sons &lt;Jr&gt;</last_name>" in request.body
    assert b"<description>a &lt; b &amp; c &gt; d ok</description>" in request.body
    import xml.etree.ElementTree as ET

    assert ET.fromstring(request.body).findtext("description") == "a < b & c > d ok"


def test_query_format_puts_fields_in_the_url():
    request = render(preset("generic_query"), LEAD, SETTINGS, SECRETS)
    assert request.method == "GET" and request.body == b"" and "Content-Type" not in request.headers
    parts = urlsplit(request.url)
    assert parts.path == "/leads/post"
    assert dict(parse_qsl(parts.query))["last_name"] == "O'Brien & Sons <Jr>"
    assert "%20" in parts.query and "+" not in parts.query


def test_test_modes():
    leadspedia = render(preset("leadspedia"), LEAD, SETTINGS, SECRETS, test=True)
    assert leadspedia.body.endswith(b"&lp_test=1")
    assert b"lp_test" not in render(preset("leadspedia"), LEAD, SETTINGS, SECRETS).body

    labelled = json.loads(render(preset("clio_grow"), LEAD, SETTINGS, SECRETS, test=True).body)["inbox_lead"]
    assert labelled["from_first"] == "TEST" and "TEST LEAD" in labelled["from_last"]
    assert labelled["from_message"].startswith("TEST LEAD from XSC Desktop")

    spec = preset("generic_json")
    spec.test.kind, spec.test_url = "url", "https://client.example/leads/test"
    assert render(spec, LEAD, SETTINGS, SECRETS, test=True).url == "https://client.example/leads/test"
    assert render(spec, LEAD, SETTINGS, SECRETS).url == SETTINGS["endpoint"]


def test_missing_required_values_are_named_and_nothing_is_built():
    with pytest.raises(RenderError) as caught:
        render(preset("law_ruler"), {"first_name": "Ann", "email": " "}, {"firm": "x"}, {})
    error = caught.value
    assert error.fields == ["LastName (last_name)", "CellPhone (phone)", "Email1 (email)"]
    assert error.settings == ["Key", "LeadProvider"]
    assert str(error) == ("Cannot build the request: required fields LastName (last_name), CellPhone (phone) and "
                          "Email1 (email) are empty; settings Key and LeadProvider are empty; fill them in the integration.")


def test_a_required_mapping_with_a_default_is_filled_not_refused():
    spec = ParserSpec.from_dict({"name": "d", "url": "https://a.example", "mappings": [
        {"target": "Type", "field": "case_type", "required": True, "default": "General"}]})
    assert render(spec, {}).body == b'{"Type":"General"}'


def test_empty_optional_fields_are_left_out_unless_send_empty():
    spec = ParserSpec.from_dict({"name": "e", "url": "https://a.example", "body_format": "form", "mappings": [
        {"target": "a", "field": "first_name"}, {"target": "b", "field": "city"}]})
    assert render(spec, {"first_name": "Ann"}).body == b"a=Ann"
    spec.send_empty = True
    assert render(spec, {"first_name": "Ann"}).body == b"a=Ann&b="


def test_auth_kinds_and_their_masking():
    base = {"name": "a", "url": "https://a.example/p?x=1", "mappings": [{"target": "n", "constant": "1"}]}
    basic = render(ParserSpec.from_dict({**base, "auth": {"kind": "basic", "username": "{user}", "secret": "pw"}}),
                   {}, {"user": "me"}, {"pw": "hunter2"})
    assert basic.headers["Authorization"] == "Basic " + base64.b64encode(b"me:hunter2").decode()
    assert basic.masked().headers["Authorization"] == f"Basic {MASK}"
    bearer = render(ParserSpec.from_dict({**base, "auth": {"kind": "bearer", "secret": "tok"}}), {}, {}, {"tok": "T0K"})
    assert bearer.headers["Authorization"] == "Bearer T0K" and "T0K" not in str(bearer.masked().headers)
    query = render(ParserSpec.from_dict({**base, "auth": {"kind": "api_key", "secret": "k", "name": "api_key",
                                                          "location": "query"}}), {}, {}, {"k": "a b&c"})
    assert query.url == "https://a.example/p?x=1&api_key=a%20b%26c"
    assert query.masked().url == f"https://a.example/p?x=1&api_key={MASK}"
    header = render(ParserSpec.from_dict({**base, "auth": {"kind": "api_key", "secret": "k", "name": "X-Api-Key"}}),
                    {}, {}, {"k": "abc"})
    assert header.headers["X-Api-Key"] == "abc" and header.masked().headers["X-Api-Key"] == MASK
    assert "hunter2" not in repr(basic)


def test_header_values_cannot_inject_lines_and_spec_headers_override_defaults():
    spec = ParserSpec.from_dict({"name": "h", "url": "https://a.example", "headers": {
        "content-type": "application/vnd.client+json", "X-Campaign": "{campaign}"}})
    request = render(spec, {}, {"campaign": "a\r\nEvil: yes"})
    assert request.headers["X-Campaign"] == "a  Evil: yes"
    assert request.headers["content-type"] == "application/vnd.client+json" and "Content-Type" not in request.headers


def test_url_settings_are_encoded_and_a_whole_url_setting_is_checked():
    spec = ParserSpec.from_dict({"name": "u", "url": "https://{firm}.example.com/f/{form}"})
    assert render(spec, {}, {"firm": "smith", "form": "a/b c"}).url == "https://smith.example.com/f/a%2Fb%20c"
    whole = preset("ice")
    with pytest.raises(RenderError, match="is not an http"):
        render(whole, LEAD, {"endpoint": "client.example/leads"})


def test_mask_text_hides_every_encoded_form():
    secret = 'p&ss "w" <d>/é'
    for form in (secret, "p%26ss+%22w%22+%3Cd%3E%2F%C3%A9", "p%26ss%20%22w%22%20%3Cd%3E%2F%C3%A9",
                 'p&ss \\"w\\" <d>/\\u00e9', "p&amp;ss \"w\" &lt;d&gt;/é"):
        assert mask_text(f"x={form};", [secret]) == f"x={MASK};"
    assert mask_text("a=1", {"name": "value"}) == "a=1"


def test_rendering_is_deterministic_and_compiled_specs_match_render():
    spec = preset("captorra")
    compiled = compile_spec(spec)
    first = render(spec, LEAD, SETTINGS, SECRETS)
    assert all(compiled.render(LEAD, SETTINGS, SECRETS) == first for _ in range(3))


def test_settings_needed_by_every_preset_are_filled_by_the_golden_settings():
    for name in PRESET_NAMES:
        spec = preset(name)
        assert set(settings_needed(spec)) <= set(SETTINGS), name
        assert set(secrets_needed(spec)) <= set(SECRETS), name


def test_typed_json_values():
    spec = ParserSpec.from_dict({"name": "t", "url": "https://a.example", "mappings": [
        {"target": "age", "field": "age", "type": "number"}, {"target": "amount", "field": "amount", "type": "number"},
        {"target": "consent", "field": "tcpa_consent", "type": "boolean"}, {"target": "zip", "field": "zip"}]})
    lead = {"age": "42", "amount": "1,250.50", "tcpa_consent": "Yes", "zip": "07520"}
    assert render(spec, lead).body == b'{"age":42,"amount":1250.5,"consent":true,"zip":"07520"}'
    with pytest.raises(RenderError, match="age must be a number, not 'forty'"):
        render(spec, {**lead, "age": "forty"})
    with pytest.raises(RenderError, match="consent \\(tcpa_consent\\) must be yes or no, not 'maybe'"):
        render(spec, {**lead, "tcpa_consent": "maybe"})


def test_preview_never_raises_and_lists_what_is_empty():
    from parsers.render import preview

    shown = preview(preset("law_ruler"), {"first_name": "Ann"}, {"firm": "smithlaw"}, {"Key": "K-1"}, test=True)
    assert shown.missing_fields == ["CellPhone (phone)", "Email1 (email)"]  # the TEST label fills LastName
    assert shown.missing_settings == ["LeadProvider"]
    assert not shown.complete and shown.error == ""
    assert shown.request.body.startswith(b"FirstName=TEST&LastName=TEST+LEAD&CellPhone=&Email1=")
    assert b"K-1" not in shown.request.body and "&Key=••••&" in shown.request.body_text()

    whole = preview(preset("ice"), LEAD, {"endpoint": "not a url"})
    assert whole.request is None and "is not an http(s) URL" in whole.error
    broken = ParserSpec.from_dict({"name": "b", "url": "https://a.example",
                                   "mappings": [{"target": "a", "field": "email", "transforms": ["nope"]}]})
    assert "unknown transform" in preview(broken, LEAD).error
    assert preview(preset("captorra"), LEAD, SETTINGS).complete
