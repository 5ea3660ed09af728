"""ParserSpec JSON round trip, validation problems and the settings an integration must fill."""

from __future__ import annotations

import json

import pytest

from parsers.presets import load_presets
from parsers.spec import (
    Mapping,
    ParserSpec,
    SpecError,
    TransformStep,
    missing_settings,
    secrets_needed,
    settings_needed,
    validate,
)


def _spec(**overrides) -> ParserSpec:
    data = {
        "name": "acme",
        "url": "https://{firm}.example.com/leads",
        "settings": [{"name": "firm"}],
        "mappings": [{"target": "First", "field": "first_name", "required": True}],
    }
    data.update(overrides)
    return ParserSpec.from_dict(data)


def _messages(spec: ParserSpec, severity: str = "error") -> list[str]:
    return [str(p) for p in validate(spec) if p.severity == severity]


@pytest.mark.parametrize("name", list(load_presets()))
def test_every_preset_round_trips_and_validates_clean(name):
    spec = load_presets()[name]
    again = ParserSpec.from_json(spec.to_json())
    assert again == spec
    assert again.to_dict() == spec.to_dict()
    assert validate(spec) == []


def test_shorthand_mapping_forms_are_read_into_the_canonical_form():
    spec = ParserSpec.from_dict({"name": "x", "url": "https://a.example", "mappings": [
        {"target": "Full", "template": "{first_name} {last_name}", "transforms": ["trim"]},
        {"target": "Src", "constant": "XSC"},
    ]})
    assert spec.mappings[0] == Mapping("Full", "{first_name} {last_name}", "template", [TransformStep("trim")])
    assert spec.mappings[1].kind == "constant" and spec.mappings[1].source == "XSC"
    assert spec.to_dict()["mappings"][1] == {"target": "Src", "kind": "constant", "source": "XSC", "transforms": [],
                                             "required": False, "default": "", "note": "", "type": "string"}


@pytest.mark.parametrize("text, fragment", [
    ("not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"url": "https://a.example"}', "has no name"),
    ('{"name": "x", "mappings": {"a": 1}}', "'mappings' must be a JSON list"),
    ('{"name": "x", "mappings": [{"target": "a", "transforms": "trim"}]}', "transforms that are not a list"),
    ('{"name": "x", "timeout": "soon"}', "timeout must be a number"),
])
def test_malformed_json_raises_one_plain_spec_error(text, fragment):
    with pytest.raises(SpecError, match=fragment):
        ParserSpec.from_json(text)


def test_secrets_are_left_out_of_the_export_form_on_request():
    spec = _spec(static=[{"name": "key", "value": "s3cret", "secret": True}, {"name": "src", "value": "XSC"}])
    assert json.loads(spec.to_json(with_secrets=False))["static"][0]["value"] == ""
    assert json.loads(spec.to_json(with_secrets=False))["static"][1]["value"] == "XSC"
    assert json.loads(spec.to_json())["static"][0]["value"] == "s3cret"


@pytest.mark.parametrize("overrides, fragment", [
    ({"url": ""}, "endpoint URL: is empty"),
    ({"url": "ftp://x.example/a"}, "is not a valid http(s) URL"),
    ({"url": "https://x.example/{firm"}, "stray '{'"),
    ({"method": "PATCH"}, "method: 'PATCH' is not one of"),
    ({"body_format": "yaml"}, "body format: 'yaml'"),
    ({"mappings": [{"target": "", "field": "first_name"}]}, "needs a target"),
    ({"mappings": [{"target": "a", "field": "email"}, {"target": "a", "field": "phone"}]}, "sends 'a' a second time"),
    ({"mappings": [{"target": "a", "field": "email", "transforms": [{"name": "shout"}]}]}, "unknown transform 'shout'"),
    ({"mappings": [{"target": "a", "field": "email", "transforms": [{"name": "truncate", "args": {}}]}]},
     "needs the argument 'length'"),
    ({"mappings": [{"target": "a", "field": "email", "transforms": [{"name": "phone", "args": {"format": "x"}}]}]},
     "'format' must be one of"),
    ({"mappings": [{"target": "a", "field": "email", "transforms": [{"name": "trim", "args": {"x": 1}}]}]},
     "'x' is not an argument of trim"),
    ({"mappings": [{"target": "a", "field": "email", "transforms": [{"name": "regex_replace", "args": {"pattern": "("}}]}]},
     "not a valid regular expression"),
    ({"mappings": [{"target": "a", "template": "{first_name"}]}, "the template has a stray"),
    ({"rules": [{"outcome": "accepted", "body_regex": "(["}]}, "the body pattern"),
    ({"rules": [{"outcome": "accepted", "json_path": "data..id"}]}, "the JSON path"),
    ({"rules": [{"outcome": "accepted", "xpath": "//[x"}]}, "the XPath"),
    ({"rules": [{"outcome": "accepted"}]}, "needs a condition"),
    ({"rules": [{"outcome": "great", "status": "200"}]}, "outcome 'great'"),
    ({"rules": [{"outcome": "accepted", "status": "2yy"}]}, "status '2yy'"),
    ({"rules": [{"outcome": "accepted", "status": "200", "remote_id": {"kind": "regex", "expr": "("}}]},
     "the remote id pattern"),
    ({"auth": {"kind": "bearer"}}, "needs the name of the secret"),
    ({"auth": {"kind": "api_key", "secret": "k"}}, "header or query parameter name"),
    ({"test": {"kind": "field"}}, "test mode: a test field needs its name"),
    ({"headers": {"Bad Name": "x"}}, "is not a valid header name"),
    ({"body_format": "xml", "xml_root": "1root"}, "not a valid XML element name"),
    ({"timeout": 0}, "timeout: must be between"),
])
def test_validation_reports_readable_problems(overrides, fragment):
    messages = _messages(_spec(**overrides))
    assert any(fragment in m for m in messages), messages


def test_validation_warns_about_unknown_placeholders_and_fields_without_failing():
    spec = _spec(url="https://{firm}.example.com/{form}",
                 mappings=[{"target": "Name", "template": "{first_name} {nickname}"},
                           {"target": "Q1", "field": "favourite_colour"}])
    warnings = _messages(spec, "warning")
    assert any("{form}" in w and "declared settings" in w for w in warnings)
    assert any("{nickname}" in w for w in warnings)
    assert any("favourite_colour" in w for w in warnings)
    assert _messages(spec) == []


def test_settings_and_secrets_needed_name_what_an_integration_must_fill():
    spec = _spec(headers={"X-Campaign": "{campaign}"},
                 auth={"kind": "basic", "username": "{user}", "secret": "password"},
                 static=[{"name": "CaptorraId"}, {"name": "Src", "value": "XSC"}, {"name": "apikey", "secret": True},
                         {"name": "sig", "value": "{signing_key}", "secret": True}])
    assert settings_needed(spec) == ["firm", "user", "campaign", "CaptorraId"]
    assert secrets_needed(spec) == ["password", "apikey", "signing_key"]
    assert missing_settings(spec, {"firm": "a", "user": "u", "campaign": " ", "CaptorraId": ""},
                            {"password": "p", "apikey": "", "signing_key": "k"}) == ["campaign", "CaptorraId", "apikey"]


def test_retry_policy_backs_off_and_honours_retry_after():
    spec = _spec(retry={"max_attempts": 4, "backoff_base": 10})
    assert [spec.retry.delay(n) for n in (1, 2, 3)] == [10, 20, 40]
    assert spec.retry.delay(2, retry_after=7) == 7


def test_required_fields_of_the_client_must_be_sent():
    spec = _spec(required_fields=["First", "Phone", "vendor"], static=[{"name": "vendor", "value": "7"}],
                 mappings=[{"target": "First", "field": "first_name"}])
    problems = validate(spec)
    assert [(p.severity, p.message) for p in problems if p.section == "required fields"] == [
        ("warning", "'First' is required by the client: mark its mapping required (or give it a default) so an "
                    "empty value is caught before sending"),
        ("error", "the client requires 'Phone', but no mapping or static field sends it"),
    ]
    # Removing a required mapping from a preset is caught.
    from parsers.presets import preset

    law_ruler = preset("law_ruler")
    law_ruler.mappings = [m for m in law_ruler.mappings if m.target != "CellPhone"]
    assert [str(p) for p in validate(law_ruler)] == [
        "required fields: the client requires 'CellPhone', but no mapping or static field sends it"]


def test_problems_point_at_the_row_for_the_editor():
    spec = _spec(headers={"Ok": "1", "Bad Name": "x"},
                 static=[{"name": "a", "value": "1"}, {"name": "", "value": "2"}],
                 mappings=[{"target": "First", "field": "first_name"},
                           {"target": "x", "field": "email", "transforms": [{"name": "nope"}]}],
                 rules=[{"outcome": "accepted", "status": "200"}, {"outcome": "accepted", "body_regex": "("}])
    located = {(p.section, p.index) for p in validate(spec) if p.severity == "error"}
    assert located == {("headers", 1), ("static", 1), ("mappings", 1), ("rules", 1)}
