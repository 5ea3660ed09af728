"""Secrets at rest: sealed in real SQLite files with a real key file (or a team key, or a keyring backend), never
plain text; a copied database carries no usable secret; old plain-text secrets are sealed on start."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import sqlite3
import stat
from pathlib import Path

import keyring
import keyring.backend
import pytest
from keyring.errors import KeyringLocked, PasswordDeleteError

from tests.helpers.endpoint import Reply
from tests.helpers.lead_world import add_leads, wire_lander
from xsc_desktop import db, delivery, integrations, parsers_store, secret_keys, secrets, settings
from xsc_desktop.context import Context
from xsc_desktop.errors import UserError
from xsc_desktop.models import Activity, Lead, Secret

API = "sk-live-4c0ffee-77"
PASSWORD = "hunter2-smtp-pass"
OK = Reply(200, b'{"success": true, "lead_id": "R-1"}', {"Content-Type": "application/json"})


def reopen(data_dir: Path, database: Path | None = None) -> Context:
    """Close this thread's connection and open the data dir again, as a new start of the app does."""
    db.close()
    ctx = Context.create(str(data_dir), f"sqlite:///{database}" if database else None)
    ctx.open_database()
    return ctx


def database_bytes(data_dir: Path) -> bytes:
    db.close()  # folds the write-ahead log into the file
    return b"".join(p.read_bytes() for p in data_dir.glob("xsc-desktop.sqlite3*"))


def test_a_secret_is_sealed_with_a_private_key_file_and_reads_back(ctx, data_dir):
    settings.set("smtp.password", PASSWORD)
    key_file = data_dir / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    stored = Secret.get(Secret.name == "smtp.password").value
    assert stored.startswith("xsc-secret:1:f:") and PASSWORD not in stored
    assert settings.get("smtp.password") == PASSWORD
    assert settings.shown("smtp.password") == settings.MASK
    assert PASSWORD.encode() not in database_bytes(data_dir)
    reopen(data_dir)
    assert settings.get("smtp.password") == PASSWORD


def test_a_key_file_others_can_read_is_made_private_again(ctx, data_dir):
    settings.set("smtp.password", PASSWORD)
    key_file = data_dir / "secret.key"
    key_file.chmod(0o644)
    secret_keys._local_cache.clear()
    assert settings.get("smtp.password") == PASSWORD
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def wired_with_secret(url: str = "http://127.0.0.1:9/leads"):
    integration = wire_lander(url)  # its api_key as plain text, as an older version kept it
    return integrations.set_integration(integration.lander_id, secrets={"api_key": API})


def test_a_database_copied_without_the_key_carries_no_usable_secret(ctx, data_dir, tmp_path):
    integration = wired_with_secret()
    settings.set("smtp.password", PASSWORD)
    db.close()
    other = tmp_path / "other-desk"
    other.mkdir()
    shutil.copy(data_dir / "xsc-desktop.sqlite3", other / "xsc-desktop.sqlite3")
    assert API.encode() not in (other / "xsc-desktop.sqlite3").read_bytes()

    reopen(other)
    with pytest.raises(secrets.SecretUnavailable) as caught:
        integrations.secrets_for(integration)
    sentence = str(caught.value)
    assert sentence.startswith("The secret api_key of integration") and sentence.count(".") <= 3
    assert "enter it again" in sentence and API not in sentence
    with pytest.raises(secrets.SecretUnavailable, match="smtp.password"):
        settings.get("smtp.password")
    # Everything that needs no secret keeps working, and says what is wrong.
    view = integrations.view(integration.lander_id)
    assert view.secrets == {"api_key": settings.MASK}
    assert any("cannot be read here" in m for m in view.missing)
    assert settings.shown("smtp.password") == settings.MASK and settings.for_form("smtp.password") == ""
    state = secrets.status()
    assert state.count == 2 and state.readable == 0 and state.by_store == {"another key": 2}
    assert API not in str(state.as_json()) and PASSWORD not in str(state.as_json())
    # Entering it again on this desk works (with this desk's own key); the other secret is untouched.
    integrations.set_integration(integration.lander_id, secrets={"api_key": "sk-new-desk-1"})
    assert integrations.secrets_for(integration) == {"api_key": "sk-new-desk-1"}


def test_delivery_holds_the_leads_of_an_integration_whose_secret_cannot_be_read(ctx, data_dir, endpoint):
    endpoint.answer("/leads", OK)
    integration = wired_with_secret(endpoint.url("/leads"))
    ids = add_leads(integration.lander_id, 2)
    key = (data_dir / "secret.key").read_bytes()
    (data_dir / "secret.key").unlink()

    report = delivery.deliver_once()
    assert report.attempts == 0 and endpoint.received == []
    assert [Lead.get_by_id(i).delivery_state for i in ids] == ["new", "new"]
    [held] = integrations.held_by_secrets()
    assert "holds its leads" in held and "api_key" in held and API not in held

    (data_dir / "secret.key").write_bytes(key)  # the key is back: the same leads go out, with the secret
    report = delivery.deliver_once()
    assert report.outcomes["accepted"] == 2
    assert all(API in r.body.decode() for r in endpoint.wait_for(2))
    assert integrations.held_by_secrets() == []


def test_smtp_sends_with_the_sealed_password_and_says_so_when_it_cannot_read_it(ctx, data_dir, smtp_server):
    from xsc_desktop import mail

    smtp_server.require_auth("queue", PASSWORD)
    settings.set("smtp.user", "queue")
    settings.set("smtp.password", PASSWORD)
    mail.send_test("ops@agency.example")
    assert len(smtp_server.wait_for(1)) == 1

    (data_dir / "secret.key").rename(data_dir / "secret.key.away")
    with pytest.raises(UserError, match="The secret smtp.password cannot be read here") as caught:
        mail.send_test("ops@agency.example")
    assert PASSWORD not in str(caught.value)
    assert len(smtp_server.received) == 1


def plain_text_database(data_dir: Path) -> Path:
    """A database as an older version left it: secrets as plain text in the Secret table."""
    ctx = reopen(data_dir)
    integration = wired_with_secret()
    parsers_store.duplicate("generic_json", "Shared JSON")
    db.close()
    path = data_dir / "xsc-desktop.sqlite3"
    con = sqlite3.connect(path)
    with con:
        con.execute("DELETE FROM secret")
        con.executemany("INSERT INTO secret (scope, name, value, updated_at) VALUES (?, ?, ?, '2026-01-01')",
                        [(f"integration:{integration.id}", "api_key", API), ("settings", "smtp.password", PASSWORD),
                         ("parser:Shared JSON", "token", "tok-plain-0042")])
    con.close()
    (data_dir / "secret.key").unlink(missing_ok=True)
    assert ctx
    return path


def test_plain_text_secrets_from_an_old_database_are_sealed_on_start(data_dir):
    path = plain_text_database(data_dir)
    backup = data_dir / "xsc-desktop.sqlite3.v1.bak"  # as connect() leaves one before a schema migration
    shutil.copy(path, backup)
    reopen(data_dir)
    stored = [row.value for row in Secret.select()]
    assert len(stored) == 3 and all(v.startswith("xsc-secret:1:f:") for v in stored)
    assert settings.get("smtp.password") == PASSWORD
    assert parsers_store.parser_secrets("Shared JSON") == {"token": "tok-plain-0042"}
    note = Activity.get(Activity.subject_type == "secrets").note
    assert "3 secret(s)" in note and API not in note
    raw = database_bytes(data_dir)
    for value in (API, PASSWORD, "tok-plain-0042"):
        assert value.encode() not in raw  # not even in freed pages or the write-ahead log
    # The backup made before migrating is sealed too, and still restores with the same key.
    assert not any(value.encode() in backup.read_bytes() for value in (API, PASSWORD, "tok-plain-0042"))
    db.close()
    shutil.copy(backup, path)
    for extra in data_dir.glob("xsc-desktop.sqlite3-*"):
        extra.unlink()
    reopen(data_dir)
    assert settings.get("smtp.password") == PASSWORD
    stored = [row.value for row in Secret.select()]
    # Idempotent: the next start changes nothing.
    reopen(data_dir)
    assert [row.value for row in Secret.select()] == stored
    assert (data_dir / "logs").exists()
    log_text = "".join(p.read_text() for p in (data_dir / "logs").glob("*.log*"))
    assert API not in log_text and PASSWORD not in log_text
    assert path.exists()
    db.close()


def _migrate_in_another_process(data_dir: str, barrier, results) -> None:
    from xsc_desktop import db as db_
    from xsc_desktop import secrets as secrets_

    db_.connect(f"sqlite:///{data_dir}/xsc-desktop.sqlite3")
    secrets_.configure(Path(data_dir), f"sqlite:///{data_dir}/xsc-desktop.sqlite3")
    barrier.wait(30)
    results.put(secrets_.migrate_plain().sealed)
    db_.close()


def test_two_processes_sealing_at_once_neither_lose_nor_seal_twice(data_dir):
    plain_text_database(data_dir)
    con = sqlite3.connect(data_dir / "xsc-desktop.sqlite3")
    with con:
        con.executemany("INSERT INTO secret (scope, name, value, updated_at) VALUES ('settings', ?, ?, '2026-01-01')",
                        [(f"extra.{n}", f"plain-value-{n:04d}") for n in range(300)])
    con.close()
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_migrate_in_another_process, args=(str(data_dir), barrier, results))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert results.get(timeout=5) + results.get(timeout=5) == 303  # each secret sealed exactly once

    reopen(data_dir)
    rows = {(row.scope, row.name): row.value for row in Secret.select()}
    assert len(rows) == 303 and all(v.startswith("xsc-secret:1:f:") for v in rows.values())
    assert len({v.split(":")[3] for v in rows.values()}) == 1  # one key file, made once
    assert secrets.read_one("settings", "extra.7") == "plain-value-0007"  # not sealed twice
    assert settings.get("smtp.password") == PASSWORD
    db.close()


def test_a_damaged_or_missing_key_file_is_a_sentence_and_never_overwritten(ctx, data_dir):
    settings.set("smtp.password", PASSWORD)
    key_file = data_dir / "secret.key"
    key_file.write_text("this is not a key\n")
    with pytest.raises(secrets.SecretUnavailable, match="does not hold an XSC Desktop key"):
        settings.get("smtp.password")
    with pytest.raises(UserError, match="does not hold an XSC Desktop key"):
        settings.set("smtp.password", "another-password")
    assert key_file.read_text() == "this is not a key\n"
    assert Secret.select().count() == 1  # the stored secret is kept for when the right key comes back

    key_file.unlink()  # missing: a new secret makes a new key; the old one says what is wrong
    with pytest.raises(secrets.SecretUnavailable, match="no team key and no key file"):
        settings.get("smtp.password")


def test_team_key_is_shared_by_every_operator_and_taken_first(ctx, data_dir, tmp_path, monkeypatch):
    team = secrets.write_new_key_file(tmp_path / "team.key")
    assert stat.S_IMODE((tmp_path / "team.key").stat().st_mode) == 0o600
    with pytest.raises(UserError, match="exists already"):
        secrets.write_new_key_file(tmp_path / "team.key")
    settings.set("smtp.password", "before-team-key")  # sealed with this desk's own key file
    monkeypatch.setenv("XSC_SECRET_KEY_FILE", str(tmp_path / "team.key"))
    integration = wired_with_secret()
    assert Secret.get(Secret.name == "api_key").value.startswith(f"xsc-secret:1:f:{team.id}:")
    assert secrets.rekey().resealed == 1  # the older secret moves to the team key too
    assert settings.get("smtp.password") == "before-team-key"

    # A second operator on the same database, with their own data dir but the team key: reads everything.
    shared = data_dir / "xsc-desktop.sqlite3"
    second = tmp_path / "second-operator"
    reopen(second, shared)
    assert integrations.secrets_for(integration) == {"api_key": API}
    monkeypatch.delenv("XSC_SECRET_KEY_FILE")
    monkeypatch.setenv("XSC_SECRET_KEY", (tmp_path / "team.key").read_text().splitlines()[-1])
    assert settings.get("smtp.password") == "before-team-key"
    # Without the team key: one sentence, and nothing else breaks.
    monkeypatch.delenv("XSC_SECRET_KEY")
    with pytest.raises(secrets.SecretUnavailable, match=f"encrypted with key {team.id}.*XSC_SECRET_KEY"):
        integrations.secrets_for(integration)
    assert integrations.view(integration.lander_id).secrets == {"api_key": settings.MASK}
    db.close()


def test_a_bad_team_key_is_named_without_showing_it(ctx, monkeypatch, tmp_path):
    monkeypatch.setenv("XSC_SECRET_KEY", "not-a-key-but-maybe-a-password")
    with pytest.raises(UserError) as caught:
        settings.set("smtp.password", PASSWORD)
    assert "XSC_SECRET_KEY does not hold" in str(caught.value) and "maybe-a-password" not in str(caught.value)
    monkeypatch.delenv("XSC_SECRET_KEY")
    settings.set(secrets.TEAM_KEY_SETTING, str(tmp_path / "gone.key"))
    with pytest.raises(UserError, match="gone.key does not exist"):
        settings.set("smtp.password", PASSWORD)
    assert not Secret.select().exists()


def test_a_shared_database_takes_secrets_only_with_a_team_key(ctx, data_dir):
    secrets.configure(data_dir, "postgresql://ops@db.agency.example/xsc")
    try:
        with pytest.raises(UserError, match="shared.*team key"):
            settings.set("smtp.password", PASSWORD)
        assert not (data_dir / "secret.key").exists()
    finally:
        secrets.configure(data_dir, ctx.database_url)


# ---- the keyring path, through keyring's own hook for a backend ---------------------------------------------
class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend living in this process (what a desktop's Secret Service does, without the desktop)."""

    priority = 5

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.locked = False

    def get_password(self, service, username):
        if self.locked:
            raise KeyringLocked("the collection is locked")
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        if self.locked:
            raise KeyringLocked("the collection is locked")
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("no such entry")


@pytest.fixture
def memory_keyring(monkeypatch):
    monkeypatch.delenv("XSC_SECRET_STORE", raising=False)
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


def test_the_system_keyring_keeps_the_value_and_the_database_only_its_name(ctx, data_dir, memory_keyring):
    integration = wired_with_secret()
    stored = Secret.get(Secret.name == "api_key").value
    assert stored.startswith("xsc-secret:1:k:") and API not in stored
    assert list(memory_keyring.entries.values()) == [API]
    assert not (data_dir / "secret.key").exists()
    assert integrations.secrets_for(integration) == {"api_key": API}
    assert secrets.status().store == "keyring"
    integrations.set_integration(integration.lander_id, secrets={"api_key": "sk-changed-2"})  # same entry, new value
    assert integrations.secrets_for(integration) == {"api_key": "sk-changed-2"}
    assert list(memory_keyring.entries.values()) == ["sk-changed-2"]
    integrations.set_integration(integration.lander_id, secrets={"api_key": API})

    memory_keyring.locked = True
    secrets._revealed.clear()
    with pytest.raises(secrets.SecretUnavailable, match="keyring is locked; unlock it"):
        integrations.secrets_for(integration)
    settings.set("smtp.password", PASSWORD)  # a locked keyring: kept with the key file instead, not lost
    assert Secret.get(Secret.name == "smtp.password").value.startswith("xsc-secret:1:f:")
    assert settings.get("smtp.password") == PASSWORD

    memory_keyring.locked = False
    integrations.set_integration(integration.lander_id, secrets={"api_key": ""})  # forgetting removes the entry
    assert memory_keyring.entries == {}


def test_a_database_copied_to_another_computer_finds_nothing_in_its_keyring(ctx, data_dir, memory_keyring, tmp_path):
    integration = wired_with_secret()
    db.close()
    other = tmp_path / "other-computer"
    other.mkdir()
    shutil.copy(data_dir / "xsc-desktop.sqlite3", other / "xsc-desktop.sqlite3")
    keyring.set_keyring(MemoryKeyring())  # that computer's own, empty keyring
    reopen(other)
    with pytest.raises(secrets.SecretUnavailable, match="keyring does not have it; enter it again"):
        integrations.secrets_for(integration)
    db.close()


def test_plain_text_secrets_move_into_the_keyring_when_there_is_one(data_dir, memory_keyring):
    plain_text_database(data_dir)
    reopen(data_dir)
    assert all(row.value.startswith("xsc-secret:1:k:") for row in Secret.select())
    assert sorted(memory_keyring.entries.values()) == sorted([API, PASSWORD, "tok-plain-0042"])
    assert settings.get("smtp.password") == PASSWORD
    db.close()


def test_fail_and_null_backends_do_not_count_as_a_keyring(monkeypatch):
    from keyring.backends import fail, null

    monkeypatch.delenv("XSC_SECRET_STORE", raising=False)
    before = keyring.get_keyring()
    try:
        for backend in (fail.Keyring(), null.Keyring()):
            keyring.set_keyring(backend)
            assert secrets.keyring_backend() is None
        keyring.set_keyring(MemoryKeyring())
        assert secrets.keyring_backend() is not None
        monkeypatch.setenv("XSC_SECRET_STORE", "file")
        assert secrets.keyring_backend() is None
    finally:
        keyring.set_keyring(before)


def test_a_queue_task_whose_secret_cannot_be_read_fails_with_the_sentence_and_runs_once_the_key_is_back(
        ctx, data_dir, endpoint):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from xsc_desktop import clients, landers, queue
    from xsc_desktop.models import Client, Task

    ny = ZoneInfo("America/New_York")
    lander = landers.add_lander(client="Smith Law", campaign="Auto Accident", name="Auto TX",
                                url="https://lp.example/auto-tx", status="ready")
    clients.set_client(Client.get(Client.name == "Smith Law").id, contacts=["intake@smith.example"])
    from parsers.presets import preset
    from parsers.spec import ParserSpec

    spec = preset("generic_json").to_dict()
    spec["name"] = "Keyed JSON"
    spec["static"] = list(spec.get("static") or []) + [{"name": "api_key", "value": "", "secret": True,
                                                         "location": "body"}]
    parsers_store.save_parser(ParserSpec.from_dict(spec))
    integrations.set_integration(lander.id, parser="Keyed JSON", settings={"endpoint": endpoint.url("/t")},
                                 secrets={"api_key": API})
    queue.gather(datetime(2026, 11, 27, 15, 0, tzinfo=ny), tz=ny)
    (data_dir / "secret.key").rename(data_dir / "secret.key.away")
    result = queue.run(datetime(2026, 11, 28, 8, 0, tzinfo=ny), tz=ny)
    task = Task.get(Task.kind == "integrate")
    assert result.failed == 1 and endpoint.received == []
    assert task.reason.startswith("The secret api_key of integration") and API not in task.reason

    (data_dir / "secret.key.away").rename(data_dir / "secret.key")
    endpoint.answer("/t", OK)
    queue.retry(task.id)
    assert queue.run(datetime(2026, 11, 28, 8, 5, tzinfo=ny), tz=ny).done == 1
    assert json.loads(endpoint.received[0].body)["api_key"] == API
