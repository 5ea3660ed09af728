"""The headless command line as a script or cron job uses it: exit codes, --json shapes, --data-dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO


def test_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.returncode == 0
    for command in ("landers", "clients", "settings", "demo"):
        assert command in result.stdout


def test_add_list_and_move_a_lander(cli):
    added = cli("landers", "add", "--client", "Pryor Family Law", "--campaign", "Divorce", "--name", "Reno Divorce",
                "--url", "https://reno-divorce.example/", "--new-client", "--flag", "dq", "--flag", "reroute", "--json")
    assert added.returncode == 0, added.stderr
    lander_id = json.loads(added.stdout)["id"]
    listed = json.loads(cli("landers", "list", "--json").stdout)
    assert listed == [{**listed[0], "id": lander_id, "client": "Pryor Family Law", "campaign": "Divorce",
                       "name": "Reno Divorce", "url": "https://reno-divorce.example/", "status": "in_production",
                       "flags": ["dq", "reroute"], "new_client": True}]
    assert cli("landers", "set-status", str(lander_id), "ready", "--note", "handed over").returncode == 0
    assert json.loads(cli("landers", "list", "--status", "ready", "--json").stdout)[0]["id"] == lander_id


def test_forbidden_move_exits_1_with_one_sentence(cli):
    cli("landers", "add", "--client", "A", "--campaign", "B", "--name", "C", "--url", "https://c.example/")
    result = cli("landers", "set-status", "1", "confirmed")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "can go to ready, paused, archived" in result.stderr


def test_bad_usage_exits_2(cli):
    assert cli("landers", "add", "--client", "A").returncode == 2
    assert cli("no-such-command").returncode == 2


def test_import_reports_bad_rows_and_is_idempotent(cli, samples):
    path = str(samples / "landers" / "landers.csv")
    first = json.loads(cli("landers", "import", path, "--json").stdout)
    assert first["created"] == 18 and [p["line"] for p in first["problems"]] == [10, 19]
    second = json.loads(cli("landers", "import", path, "--json").stdout)
    assert second["created"] == 0


def test_clients_and_settings(cli):
    assert cli("clients", "add", "Harbor Injury, LLP", "--contact", "Leads@Harbor.example", "--new").returncode == 0
    clients = json.loads(cli("clients", "list", "--json").stdout)
    assert clients[0]["contacts"] == ["leads@harbor.example"] and clients[0]["new"] is True
    assert cli("clients", "set", "1", "--contact", "not-an-address").returncode == 1
    assert cli("settings", "set", "smtp.password", "s3cret-value").returncode == 0
    shown = cli("settings", "list", "--json").stdout
    assert "s3cret-value" not in shown and json.loads(shown)["smtp.password"] == "••••••••"
    assert cli("settings", "get", "smtp.port").stdout.strip() == "587"


def test_demo_seeds_only_an_empty_database(cli):
    assert cli("demo").returncode == 0
    rows = json.loads(cli("landers", "list", "--json").stdout)
    assert len(rows) >= 30 and any(r["new_client"] for r in rows) and any(r["flags"] for r in rows)
    assert len({r["status"] for r in rows}) == 9
    assert cli("demo").returncode == 1


def test_data_dir_from_the_environment(tmp_path):
    env = {**os.environ, "XSC_DATA_DIR": str(tmp_path / "env-dir")}
    result = subprocess.run([sys.executable, "-m", "xsc_desktop.cli", "clients", "list"], capture_output=True,
                            text=True, env=env, cwd=REPO, timeout=60)
    assert result.returncode == 0
    assert (tmp_path / "env-dir" / "xsc-desktop.sqlite3").exists()


def test_unwritable_data_dir_is_one_sentence(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = subprocess.run([sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(blocker / "x"), "clients",
                             "list"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 1 and str(blocker) in result.stderr and "Traceback" not in result.stderr


def test_window_without_a_display_says_how_to_run(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert result.returncode == 1
    assert "xvfb-run" in result.stderr and "QT_QPA_PLATFORM=offscreen" in result.stderr


def test_window_opens_offscreen_and_paints(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("XSC_NO_DEMO", None)
    # The start-up probe opens the window through the command line's entry point and quits once the board painted.
    result = subprocess.run([sys.executable, str(REPO / "bench" / "startup_probe.py"), "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("PAINTED ")
    # First start seeded the demo data.
    listed = subprocess.run([sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(tmp_path), "landers", "list",
                             "--json"], capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert len(json.loads(listed.stdout)) >= 30
