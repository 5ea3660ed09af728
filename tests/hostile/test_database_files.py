"""Databases that are not ours, damaged, locked or unreadable: one sentence, and the file left as it was."""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tests.hostile.conftest import assert_one_sentence
from xsc_desktop import db
from xsc_desktop.errors import UserError

DB_NAME = "xsc-desktop.sqlite3"


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


def _make(data_dir: Path) -> Path:
    proc = run_cli("landers", "add", "--client", "Alvarez Law", "--campaign", "Auto", "--name", "Houston",
                   "--url", "https://lander.example/houston", data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    return data_dir / DB_NAME


def test_new_database_carries_our_application_id(data_dir):
    path = _make(data_dir)
    with sqlite3.connect(path) as con:
        assert con.execute("pragma application_id").fetchone()[0] == db.APPLICATION_ID


def test_database_of_ours_from_before_the_id_gets_it_on_migration(data_dir):
    path = _make(data_dir)
    con = sqlite3.connect(path)
    con.execute("pragma application_id = 0")
    con.execute("update meta set value = '1' where key = 'schema_version'")
    con.commit()
    con.close()
    proc = run_cli("landers", "list", data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    assert "Houston" in proc.stdout
    with sqlite3.connect(path) as con:
        assert con.execute("pragma application_id").fetchone()[0] == db.APPLICATION_ID


@pytest.mark.parametrize("kind", ["plain", "wal", "other_app_id", "empty_meta"])
def test_another_programs_database_is_refused_untouched(data_dir, kind):
    path = data_dir / DB_NAME
    con = sqlite3.connect(path)
    if kind == "wal":
        con.execute("pragma journal_mode = wal")
    if kind == "other_app_id":
        con.execute("pragma application_id = 1234")
    if kind == "empty_meta":
        con.execute("create table meta (key text primary key, value text)")  # a "meta" table, but not ours
    con.execute("create table contacts (id integer primary key, name text)")
    con.execute("insert into contacts (name) values ('someone else''s data')")
    con.commit()
    con.close()
    before = _digest(data_dir)
    proc = run_cli("landers", "add", "--client", "A", "--campaign", "B", "--name", "C",
                   "--url", "https://lander.example/c", data_dir=data_dir)
    assert_one_sentence(proc, contains="not an XSC Desktop database")
    assert {k: v for k, v in _digest(data_dir).items()} == before


def test_schema_version_holding_garbage_is_one_sentence(data_dir):
    path = _make(data_dir)
    with sqlite3.connect(path) as con:
        con.execute("update meta set value = 'garbage' where key = 'schema_version'")
    proc = run_cli("landers", "list", data_dir=data_dir)
    assert_one_sentence(proc, contains="schema version")
    with sqlite3.connect(path) as con:  # nothing migrated over it
        assert con.execute("select value from meta where key = 'schema_version'").fetchone() == ("garbage",)
        assert con.execute("select count(*) from lander").fetchone() == (1,)


def test_database_with_damaged_late_pages_says_damaged_on_any_command(data_dir, tmp_path):
    _make(data_dir)
    leads = tmp_path / "leads.csv"
    leads.write_text("first_name,last_name,phone,email\n" + "".join(
        f"Ann{i},{'Smith' * 10},555{i:07d},ann{i}@example.com\n" for i in range(6000)))
    assert run_cli("leads", "import", str(leads), "--lander", "1", data_dir=data_dir).returncode == 0
    path = data_dir / DB_NAME
    with sqlite3.connect(path) as con:
        con.execute("pragma wal_checkpoint(truncate)")
    data = bytearray(path.read_bytes())
    rnd = random.Random(7)
    for offset in range(len(data) // 2, len(data), 4096):  # the header and the schema pages stay good
        data[offset:offset + 4096] = rnd.randbytes(4096)
    path.write_bytes(bytes(data))
    for args in (("leads", "list"), ("leads", "list", "--lander", "1")):
        proc = run_cli(*args, data_dir=data_dir)
        assert_one_sentence(proc, contains="is damaged")


def test_write_waits_out_another_programs_lock_then_says_locked(data_dir):
    path = _make(data_dir)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("begin immediate")
    holder.execute("insert into setting (key, value) values ('held', '1')")
    try:
        proc = run_cli("landers", "add", "--client", "B", "--campaign", "C", "--name", "D",
                       "--url", "https://lander.example/d", data_dir=data_dir)
    finally:
        holder.execute("rollback")
        holder.close()
    assert_one_sentence(proc, contains="locked by another program")
    assert "https://lander.example/d" not in run_cli("landers", "list", data_dir=data_dir).stdout


def test_write_goes_through_once_the_other_program_lets_go(ctx):
    """A write transaction that finds another connection's write lock waits for it, then succeeds."""
    from xsc_desktop import landers

    holder = sqlite3.connect(str(ctx.data_dir / DB_NAME), isolation_level=None, check_same_thread=False)
    holder.execute("begin immediate")
    holder.execute("insert into setting (key, value) values ('held', '1')")
    begun = threading.Event()

    def release() -> None:
        begun.wait(10)
        holder.execute("commit")

    releaser = threading.Thread(target=release)
    releaser.start()
    # The other program lets go once our transaction has started to wait for its lock.
    db.database.connection().set_trace_callback(lambda sql: begun.set() if sql.startswith("BEGIN") else None)
    try:
        lander = landers.add_lander(client="Waits", campaign="Auto", name="W", url="https://lander.example/w")
    finally:
        db.database.connection().set_trace_callback(None)
        begun.set()
        releaser.join(10)
        holder.close()
    assert lander.id
    assert begun.is_set()


def test_database_that_cannot_be_written_is_one_sentence(data_dir):
    """As a read-only file acts (SQLite opens it for reading only): `query_only` where root writes any file."""
    _make(data_dir)
    env = {**os.environ, "XSC_NO_DEMO": "1"}
    proc = subprocess.run([sys.executable, "-m", "tests.hostile.pragma_cli", "query_only=1", "--data-dir",
                           str(data_dir), "landers", "add", "--client", "B", "--campaign", "C", "--name", "D",
                           "--url", "https://lander.example/d"], capture_output=True, text=True, timeout=60,
                          env=env, cwd=REPO)
    assert_one_sentence(proc, contains="read-only")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_read_only_database_file_in_writable_folder(data_dir):
    path = _make(data_dir)
    path.chmod(0o400)
    try:
        proc = run_cli("landers", "add", "--client", "B", "--campaign", "C", "--name", "D",
                       "--url", "https://lander.example/d", data_dir=data_dir)
    finally:
        path.chmod(0o600)
    assert_one_sentence(proc, contains="read-only")


def test_every_sqlite_error_class_has_a_sentence():
    for exc, words in ((sqlite3.OperationalError("database is locked"), "locked"),
                       (sqlite3.DatabaseError("database disk image is malformed"), "damaged"),
                       (sqlite3.DatabaseError("file is not a database"), "damaged"),
                       (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
                       (sqlite3.OperationalError("database or disk is full"), "full"),
                       (sqlite3.OperationalError("disk I/O error"), "disk error"),
                       (sqlite3.OperationalError("unable to open database file"), "permissions")):
        error = db.plain_error(exc, "/x.sqlite3")
        assert isinstance(error, UserError) and words in str(error), (exc, error)
    assert db.plain_error(ValueError("x")) is None


def test_scheduler_job_hitting_a_locked_database_records_the_sentence(ctx):
    from datetime import datetime

    from xsc_desktop import jobs

    def locked(_now):
        raise sqlite3.OperationalError("database is locked")

    job = jobs.JobDef("probe", locked, every_seconds_setting="probe.seconds", default_time=60, label="Probe")
    scheduler = jobs.Scheduler(clock=jobs.ManualClock(datetime(2026, 11, 20, 9, 0)), jobs={"probe": job})
    row = scheduler.run_now("probe")
    assert row.state == "failed"
    assert "locked by another program" in row.detail and "OperationalError" not in row.detail


def test_window_error_sentence_names_the_database_fault():
    pytest.importorskip("PySide6")
    from ui.widgets import error_sentence

    sentence = error_sentence(sqlite3.DatabaseError("database disk image is malformed"))
    assert "is damaged" in sentence and "unexpected" not in sentence


def test_window_crash_hook_shows_a_database_fault_as_its_sentence(qtbot, tmp_path, monkeypatch):
    from ui.app import CrashReporter

    # Patched on the class before the reporter connects its signals to them.
    monkeypatch.setattr(CrashReporter, "_show_fault", lambda self, sentence: None)
    monkeypatch.setattr(CrashReporter, "_show", lambda self, report: pytest.fail("shown as an unexpected error"))
    reporter = CrashReporter(tmp_path / "xsc-desktop.log")
    try:
        raise sqlite3.OperationalError("database is locked")
    except sqlite3.OperationalError as exc:
        with qtbot.waitSignal(reporter.fault, timeout=2000) as blocker:
            reporter._hook(type(exc), exc, exc.__traceback__)
    assert "locked by another program" in blocker.args[0]
