"""`xsc-desktop parsers ...` in a subprocess against a temp data dir and a recording endpoint on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from parsers.presets import PRESET_NAMES
from tests.helpers.endpoint import RecordingEndpoint

pytestmark = pytest.mark.slow

LEAD = {"First Name": "Zoë", "Last Name": "O'Brien", "Phone": "(214) 555-0100", "Email Address": "Zoe@Example.com",
        "State": "Texas", "Zip": "75201", "Case Type": "Auto Accident", "Description": "Rear-ended & hurt"}


@pytest.fixture
def files(tmp_path):
    lead = tmp_path / "lead.json"
    lead.write_text(json.dumps(LEAD), encoding="utf-8")
    return tmp_path, lead


def test_import_list_show_preview_test_and_export(cli, files):
    tmp, lead = files
    with RecordingEndpoint() as endpoint:
        endpoint.answer("/leads", status=200, body=b'{"success": true, "opportunityId": 4411}',
                        headers={"Content-Type": "application/json"})
        parser = {"name": "Baker Injury", "preset": "generic_form", "url": endpoint.url("/leads"), "body_format": "form",
                  "static": [{"name": "vendor_id", "value": "77"}, {"name": "api_key", "value": "K-SECRET-1", "secret": True}],
                  "test": {"kind": "field", "field": "test", "value": "1"},
                  "mappings": [{"target": "fname", "field": "first_name", "required": True},
                               {"target": "lname", "field": "last_name", "required": True},
                               {"target": "phone", "field": "phone", "required": True,
                                "transforms": [{"name": "phone", "args": {"format": "dashes"}}]},
                               {"target": "state", "field": "state", "transforms": ["state"]},
                               {"target": "injury_type", "field": "case_type"}]}
        (tmp / "baker.json").write_text(json.dumps(parser), encoding="utf-8")

        done = cli("parsers", "import", str(tmp / "baker.json"))
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "Imported parser Baker Injury as version 1."

        listed = json.loads(cli("parsers", "list", "--json").stdout)
        assert [r["name"] for r in listed] == ["Baker Injury", *PRESET_NAMES]
        assert listed[0] == {"name": "Baker Injury", "system": "generic", "kind": "saved", "preset": "generic_form",
                             "version": 1, "updated_at": listed[0]["updated_at"], "description": "", "problems": 0}

        shown = cli("parsers", "show", "Baker Injury")
        assert shown.returncode == 0 and "phone" in shown.stdout and "K-SECRET-1" not in shown.stdout
        assert json.loads(cli("parsers", "show", "Baker Injury", "--json").stdout)["static"][1]["value"] == "••••"

        preview = cli("parsers", "preview", "Baker Injury", "--lead", str(lead), "--test", "--json")
        assert preview.returncode == 0, preview.stderr
        request = json.loads(preview.stdout)
        assert list(request) == ["method", "url", "headers", "body"]
        assert request["body"] == ("fname=Zo%C3%AB&lname=O%27Brien&phone=214-555-0100&state=TX&injury_type=Auto+Accident"
                                   "&vendor_id=77&api_key=••••&test=1")

        sent = cli("parsers", "test", "Baker Injury", "--lead", str(lead))
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.startswith("ACCEPTED: accepted (id 4411)")
        got = endpoint.wait_for(1)[0]
        assert got.body == request["body"].replace("••••", "K-SECRET-1").encode()
        assert got.method == "POST" and got.header("Content-Type") == "application/x-www-form-urlencoded"
        assert "K-SECRET-1" not in sent.stdout + sent.stderr

    plain = cli("parsers", "export", "Baker Injury", "-o", str(tmp / "out.json"))
    assert plain.returncode == 0 and "without secret values" in plain.stdout
    assert "K-SECRET-1" not in (tmp / "out.json").read_text()
    with_secrets = cli("parsers", "export", "Baker Injury", "--with-secrets")
    assert json.loads(with_secrets.stdout)["static"][1]["value"] == "K-SECRET-1"


def test_preview_of_a_preset_with_settings_and_secrets(cli, files):
    tmp, lead = files
    (tmp / "s.json").write_text(json.dumps({"firm": "smithlaw", "form_id": "12", "secrets": {"apikey": "AK-9"}}))
    done = cli("parsers", "preview", "lead_docket", "--lead", str(lead), "--settings", str(tmp / "s.json"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "POST https://smithlaw.leaddocket.com/opportunities/formjson/12?apikey=••••"
    assert done.stdout.rstrip().endswith('{"First":"Zo\\u00eb","Last":"O\'Brien","Phone":"2145550100",'
                                         '"Email":"zoe@example.com","Summary":"Rear-ended & hurt"}')
    assert "AK-9" not in done.stdout


def test_failures_are_one_sentence_on_stderr_with_exit_1(cli, files):
    tmp, lead = files
    (tmp / "bad.json").write_text("{oops")
    bad = cli("parsers", "import", str(tmp / "bad.json"))
    assert bad.returncode == 1 and bad.stderr.startswith("xsc-desktop: bad.json is not a parser file")
    assert json.loads(cli("parsers", "list", "--json").stdout)[0]["kind"] == "preset"

    missing = cli("parsers", "preview", "lead_docket", "--lead", str(lead))
    assert missing.returncode == 1
    assert missing.stderr.strip() == ("xsc-desktop: Cannot build the request: settings apikey, firm and form_id are empty; "
                                      "fill them in the integration.")
    assert cli("parsers", "show", "nope").returncode == 1


def test_a_refused_test_post_exits_1_with_the_outcome(cli, files):
    tmp, lead = files
    with RecordingEndpoint() as endpoint:
        endpoint.answer("/leads", status=200, body=b"ERR|DUPLICATE")
        endpoint.answer("/bad", status=422, body=b'{"errors": {"email": ["is invalid"]}}')
        (tmp / "s.json").write_text(json.dumps({"endpoint": endpoint.url("/bad")}))
        done = cli("parsers", "test", "generic_json", "--lead", str(lead), "--settings", str(tmp / "s.json"), "--json")
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["attempt"]["status"] == 422
    assert result["attempt"]["outcome"]["kind"] == "rejected" and result["attempt"]["outcome"]["reason"] == "email is invalid"
    assert result["request"]["url"] == endpoint.url("/bad")
