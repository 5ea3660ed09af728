"""`leads import` headless: old leads are kept for records only unless --deliver; --records-only keeps all."""

from __future__ import annotations

import json

from xsc_desktop.landers import add_lander


def test_old_leads_are_kept_for_records_and_the_command_says_so(ctx, cli, samples, tmp_path):
    lander = str(add_lander(client="Acme Law", campaign="Auto", name="Auto", url="https://acme.example/a").id)
    path = samples / "leads" / "leads_utf8_bom.csv"  # captured 2026-11-20: older than a day
    done = cli("leads", "import", str(path), "--lander", lander)
    assert done.returncode == 0, done.stderr
    assert "36 kept for records only (captured more than 24 h ago)" in done.stdout
    assert "--deliver" in done.stdout
    kept = json.loads(cli("leads", "list", "--lander", lander, "--state", "records", "--json").stdout)
    assert len(kept) == 36

    fresh = tmp_path / "fresh.csv"
    fresh.write_text("Lead ID,Email,Phone\nF1,f@x.co,2145550100\n", encoding="utf-8")
    kept_all = json.loads(cli("leads", "import", str(fresh), "--lander", lander, "--records-only", "--json").stdout)
    assert kept_all["records_only"] == 1

    other = str(add_lander(client="Acme Law", campaign="Auto", name="Auto 2", url="https://acme.example/b").id)
    sent = json.loads(cli("leads", "import", str(path), "--lander", other, "--deliver", "--json").stdout)
    assert sent["records_only"] == 0 and sent["imported"] == 40
    both = cli("leads", "import", str(path), "--lander", other, "--deliver", "--records-only")
    assert both.returncode == 2


def test_a_reused_id_with_another_person_is_reported_by_line(ctx, cli, tmp_path):
    lander = str(add_lander(client="Acme Law", campaign="Auto", name="Auto", url="https://acme.example/a").id)
    first = tmp_path / "a.csv"
    first.write_text("Lead ID,First Name,Email,Phone\nE1,Ana,a@x.co,2145550100\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("Lead ID,First Name,Email,Phone\nE1,Zed,z@x.co,2145550999\n", encoding="utf-8")
    assert cli("leads", "import", str(first), "--lander", lander).returncode == 0
    done = cli("leads", "import", str(second), "--lander", lander)
    assert "line 2: lead id E1 belongs to an earlier lead with another phone, e-mail, first name" in done.stderr
    again = json.loads(cli("leads", "import", str(second), "--lander", lander, "--conflicts", "new", "--json").stdout)
    assert again["imported_as_new"] == 1
