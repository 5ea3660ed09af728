"""Secrets through the CLI in subprocesses: `secrets status`, and a copy of the database without the key that still
does everything needing no secret, holds what needs one, and never prints a secret."""

from __future__ import annotations

import json
import shutil

from tests.conftest import run_cli
from tests.helpers.endpoint import Reply
from xsc_desktop import clients, db, landers
from xsc_desktop.models import Client

TOKEN = "sk-live-5e5e-0777"
ACCEPT = Reply(200, b'{"success": true, "id": "R-1"}', {"Content-Type": "application/json"})


def test_a_copy_without_the_key_says_so_and_holds_only_what_needs_the_secret(ctx, cli, data_dir, endpoint, tmp_path):
    lander = landers.add_lander(client="Smith Law", campaign="Auto Accident", name="Auto TX",
                                url="https://lp.example/auto-tx", status="ready")
    clients.set_client(Client.get(Client.name == "Smith Law").id, contacts=["intake@smith.example"])
    out = cli("integrations", "set", str(lander.id), "--parser", "generic_json",
              "--set", f"endpoint={endpoint.url('/leads')}", "--secret", f"token={TOKEN}")
    assert out.returncode == 0, out.stderr
    status = json.loads(cli("secrets", "status", "--json").stdout)
    assert status["store"] == "key file" and status["count"] == 1 and status["readable"] == 1
    assert status["key_file_state"].endswith("mode 600")

    db.close()
    other = tmp_path / "colleague"
    other.mkdir()
    shutil.copy(data_dir / "xsc-desktop.sqlite3", other / "xsc-desktop.sqlite3")
    outputs = []

    def there(*args):
        done = run_cli(*args, data_dir=other)
        outputs.append(done.stdout + done.stderr)
        return done

    status = there("secrets", "status", "--json")
    assert status.returncode == 0
    state = json.loads(status.stdout)
    assert state["readable"] == 0 and state["count"] == 1
    [unreadable] = state["unreadable"]
    assert unreadable["reason"].startswith("The secret token of integration")
    text = there("secrets", "status").stdout
    assert "Readable here:     0 of 1" in text

    shown = there("integrations", "show", str(lander.id), "--json")
    assert shown.returncode == 0
    view = json.loads(shown.stdout)
    assert view["secrets"] == {"token": "••••••••"}
    assert any("cannot be read here" in m for m in view["missing"])
    assert there("landers", "list", "--json").returncode == 0

    endpoint.answer("/leads", ACCEPT)
    delivered = there("deliver", "--once")
    assert delivered.returncode == 0
    assert "Integration 1 holds its leads. The secret token of integration 1 cannot be read here" in delivered.stderr
    assert endpoint.received == []

    # The key comes along: everything works there too.
    shutil.copy(data_dir / "secret.key", other / "secret.key")
    state = json.loads(there("secrets", "status", "--json").stdout)
    assert state["readable"] == 1 and state["unreadable"] == []
    assert all(TOKEN not in output for output in outputs)
    assert TOKEN not in "".join(p.read_text() for p in (other / "logs").glob("*.log*"))


def test_rekey_seals_again_with_a_fresh_key_and_new_key_refuses_to_overwrite(cli, data_dir, tmp_path):
    assert cli("settings", "set", "smtp.password", "hunter2-cli-pass").returncode == 0
    before = (data_dir / "secret.key").read_text()
    rekey = cli("secrets", "rekey")
    assert rekey.returncode == 0 and "Sealed 1 secret(s) again" in rekey.stdout
    after = (data_dir / "secret.key").read_text()
    assert after != before and len([line for line in after.splitlines() if not line.startswith("#")]) == 1
    assert json.loads(cli("secrets", "status", "--json").stdout)["readable"] == 1

    team = tmp_path / "team.key"
    assert cli("secrets", "new-key", str(team)).returncode == 0
    again = cli("secrets", "new-key", str(team))
    assert again.returncode == 1 and "exists already" in again.stderr
    moved = cli("secrets", "rekey", env={"XSC_SECRET_KEY_FILE": str(team)})
    assert "Sealed 1 secret(s) again into the team key file" in moved.stdout
    state = json.loads(cli("secrets", "status", "--json", env={"XSC_SECRET_KEY_FILE": str(team)}).stdout)
    assert state["by_store"] == {"team key": 1} and state["readable"] == 1
    listed = cli("settings", "list", "--json", env={"XSC_SECRET_KEY_FILE": str(team)})
    assert json.loads(listed.stdout)["smtp.password"] == "••••••••" and "hunter2" not in listed.stdout
