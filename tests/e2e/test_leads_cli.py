"""The headless lead commands in a subprocess: import, list --json, export, deliver --once, resend."""

from __future__ import annotations

import json

from tests.helpers.endpoint import RecordingEndpoint, Reply
from tests.helpers.lead_world import wire_lander
from xsc_desktop.scheduled import default_jobs


def test_import_list_export_deliver_resend(ctx, cli, samples, tmp_path):
    with RecordingEndpoint() as endpoint:
        endpoint.answer("/leads", Reply(200, b'{"success": true, "id": "X1"}', {"Content-Type": "application/json"}))
        integration = wire_lander(endpoint.url("/leads"))
        lander = str(integration.lander_id)
        done = cli("leads", "import", str(samples / "leads" / "leads_utf8_bom.csv"), "--lander", lander, "--deliver",
                   "--json")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert (report["rows"], report["imported"], report["held"], report["problem_rows"]) == (40, 40, 4, 4)
        assert {p["line"] for p in report["problems"]} == {12, 23, 34, 46}  # physical lines: five descriptions span two

        listed = json.loads(cli("leads", "list", "--lander", lander, "--state", "held", "--json").stdout)
        assert len(listed) == 4 and listed[0]["delivery_state"] == "held"
        first = next(lead for lead in json.loads(cli("leads", "list", "--json").stdout)
                     if lead["external_id"] == "L0000001")
        assert (first["phone"], first["state"], first["email"], first["zip"]) == (
            "5682989104", "NY", "lia.mul1@example.com", "06041")
        assert first["custom"] == {} and first["lander_id"] == integration.lander_id

        delivered = cli("deliver", "--once", "--json")
        assert delivered.returncode == 0, delivered.stderr
        assert json.loads(delivered.stdout)["outcomes"] == {"accepted": 36}
        assert len(endpoint.received) == 36

        out = tmp_path / "leads.csv"
        exported = cli("leads", "export", "--lander", lander, "-o", str(out))
        assert exported.returncode == 0 and "40 leads" in exported.stdout
        assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 41 + 5  # 5 descriptions span two lines

        resent = cli("leads", "resend", str(first["id"]), "--json")
        assert resent.returncode == 0, resent.stderr
        assert json.loads(resent.stdout)["delivery_state"] == "delivered"
        assert len(endpoint.received) == 37
        shown = json.loads(cli("leads", "show", str(first["id"]), "--json").stdout)
        assert [d["state"] for d in shown["deliveries"]] == ["accepted", "accepted"]
        assert "sk-live" not in json.dumps(shown)


def test_bad_input_says_what_to_do(ctx, cli, tmp_path):
    missing = cli("leads", "import", str(tmp_path / "nope.csv"), "--lander", "1")
    assert missing.returncode == 1 and "no lander with id 1" in missing.stderr
    bad_map = cli("leads", "import", "x.csv", "--lander", "1", "--map", "Colour=favourite")
    assert bad_map.returncode == 2 and "not a lead field" in bad_map.stderr
    assert cli("leads", "resend", "999").returncode == 1


def test_scheduler_jobs_are_registered():
    registry = default_jobs()
    assert registry["deliver"].every_seconds_setting == "delivery.interval_seconds"
    assert registry["feeds"].every_seconds_setting == "delivery.interval_seconds"
