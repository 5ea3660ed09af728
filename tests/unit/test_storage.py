"""The two engines behind a database URL: opening, the errors an operator reads, the migration lock, named locks.

Tests that need the server use a real PostgreSQL started by the session (tests/helpers/postgres.py).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import psycopg
import pytest

from tests.conftest import REPO
from xsc_desktop import db, locks, storage
from xsc_desktop.context import Context
from xsc_desktop.errors import UserError
from xsc_desktop.models import Client, Lander, Meta


def wait_until(condition, timeout: float = 30.0, what: str = "the condition") -> None:
    """Poll a condition that another process makes true (no fixed sleep: it returns as soon as it holds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


# ---- URLs


def test_unknown_scheme_is_one_sentence():
    with pytest.raises(UserError, match=r"mysql://app:\*\*\*@db/xsc is not one XSC Desktop can open") as info:
        db.connect("mysql://app:hunter2@db/xsc")
    assert "hunter2" not in str(info.value) and "\n" not in str(info.value)


def test_password_is_masked_wherever_a_url_is_shown():
    assert storage.mask_url("postgresql://ops:s3cr%40t@db.example:5432/xsc") == "postgresql://ops:***@db.example:5432/xsc"
    assert storage.mask_url("postgresql://ops@db.example/xsc") == "postgresql://ops@db.example/xsc"
    assert storage.mask_url("sqlite:////home/me/x.sqlite3") == "sqlite:////home/me/x.sqlite3"


def test_database_url_comes_from_the_environment(monkeypatch, data_dir):
    monkeypatch.setenv("XSC_DATABASE_URL", "postgresql://ops@db.example/xsc")
    assert Context.create(str(data_dir)).database_url == "postgresql://ops@db.example/xsc"
    assert Context.create(str(data_dir), "sqlite:///x.sqlite3").database_url == "sqlite:///x.sqlite3"


def test_postgresql_url_without_the_driver_is_one_sentence(data_dir):
    # A copy of the app installed without psycopg: the import fails, the command says what to install.
    script = ("import sys; sys.modules['psycopg'] = None; sys.modules['psycopg2'] = None; "
              "from xsc_desktop.cli import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", script, "--data-dir", str(data_dir), "--database",
                             "postgresql://ops:pw@127.0.0.1:1/xsc", "clients", "list"],
                            capture_output=True, text=True, timeout=60, cwd=REPO,
                            env={**os.environ, "XSC_NO_DEMO": "1"})
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "no PostgreSQL driver" in result.stderr
    assert "psycopg" in result.stderr and ":pw@" not in result.stderr


# ---- a real server


def test_postgresql_database_gets_the_schema_and_works(empty_postgres_url):
    database = db.connect(empty_postgres_url)
    assert storage.is_postgresql(database)
    assert db.current_version(database) == db.SCHEMA_VERSION
    client = Client.create(name="Harbor Injury, LLP", contacts=["leads@harbor.example"])
    assert Client.get_by_id(client.id).contacts == ["leads@harbor.example"]
    db.close()
    # Opening again migrates nothing and keeps the rows.
    database = db.connect(empty_postgres_url)
    assert Client.select().count() == 1 and db.current_version(database) == db.SCHEMA_VERSION


def test_wrong_password_is_one_sentence_without_the_password(postgres_server):
    url = postgres_server.url("postgres", password="not-the-password")
    with pytest.raises(UserError, match="refused the password for user 'xsc'") as info:
        db.connect(url)
    assert "not-the-password" not in str(info.value) and "\n" not in str(info.value)


def test_unknown_host_is_one_sentence(monkeypatch):
    # Name resolution cannot run here (no network but loopback): the resolver answers "unknown" as DNS would.
    real = socket.getaddrinfo

    def resolver(host, *args, **kwargs):
        if host == "db.nowhere.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(UserError, match="host 'db.nowhere.example' is unknown"):
        db.connect("postgresql://ops:pw@db.nowhere.example:5432/xsc")


def test_missing_database_and_stopped_server_are_one_sentence_each(postgres_server):
    with pytest.raises(UserError, match="has no database 'nosuchdb'; create it with `createdb nosuchdb`"):
        db.connect(postgres_server.url("nosuchdb"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here
    with pytest.raises(UserError, match=f"No PostgreSQL server answers at 127.0.0.1:{port}"):
        db.connect(f"postgresql://xsc:pw@127.0.0.1:{port}/xsc")


def test_database_from_a_newer_schema_is_refused_and_left_alone(postgres_url):
    db.connect(postgres_url)
    Meta.update(value=str(db.SCHEMA_VERSION + 3)).where(Meta.key == "schema_version").execute()
    Client.create(name="Pryor Family Law")
    db.close()
    with pytest.raises(UserError, match="newer XSC Desktop .* use another database URL"):
        db.connect(postgres_url)
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("select value from meta where key = 'schema_version'").fetchone()[0] == str(
            db.SCHEMA_VERSION + 3)
        assert conn.execute("select count(*) from client").fetchone()[0] == 1


def _start_app_process(url: str) -> subprocess.Popen:
    """A separate copy of the app opening (and so migrating) the database at `url`."""
    script = "import sys; from xsc_desktop import db; db.connect(sys.argv[1]); print('open', flush=True)"
    return subprocess.Popen([sys.executable, "-c", script, url], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_migration_waits_for_the_migration_lock(empty_postgres_url):
    """Another copy holding the migration lock: a starting copy waits for it and creates nothing meanwhile."""
    with psycopg.connect(empty_postgres_url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (storage.MIGRATION_LOCK_KEY,))
        proc = _start_app_process(empty_postgres_url)
        try:
            wait_until(lambda: proc.poll() is not None or holder.execute(
                "select count(*) from pg_locks where locktype = 'advisory' and not granted").fetchone()[0] == 1,
                what="the second copy to wait on the migration lock")
            assert proc.poll() is None, "the copy migrated without waiting for the lock"
            assert holder.execute("select to_regclass('meta')").fetchone()[0] is None  # nothing created yet
        finally:
            holder.execute("select pg_advisory_unlock(%s)", (storage.MIGRATION_LOCK_KEY,))
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert holder.execute("select value from meta where key = 'schema_version'").fetchone()[0] == str(
            db.SCHEMA_VERSION)


def test_three_copies_starting_at_once_migrate_one_after_the_other(empty_postgres_url):
    procs = [_start_app_process(empty_postgres_url) for _ in range(3)]
    results = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _out, err in results]
    with psycopg.connect(empty_postgres_url) as conn:
        assert conn.execute("select value from meta where key = 'schema_version'").fetchone()[0] == str(
            db.SCHEMA_VERSION)


def test_named_locks_hold_across_connections_on_postgresql(postgres_url):
    """What `locks.hold` guards (a queue run, the outbox, a job) is held for every process on the server."""
    db.connect(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as other:
        other.execute("select pg_advisory_lock(%s)", (storage.lock_key("queue-run"),))
        with locks.hold("queue-run") as got:
            assert got is False  # another process (here: another connection) has it
        other.execute("select pg_advisory_unlock(%s)", (storage.lock_key("queue-run"),))
        with locks.hold("queue-run") as got:
            assert got is True
            assert other.execute("select pg_try_advisory_lock(%s)",
                                 (storage.lock_key("queue-run"),)).fetchone()[0] is False
        assert other.execute("select pg_try_advisory_lock(%s)", (storage.lock_key("queue-run"),)).fetchone()[0]


# ---- both engines (this module is in BOTH_ENGINES)


def test_rows_keep_their_types_on_either_engine(ctx):
    from xsc_desktop import landers

    lander = landers.add_lander(client="Harbor Injury, LLP", campaign="Auto", name="Austin Auto",
                                url="https://h.example/austin")
    row = Lander.get_by_id(lander.id)
    assert row.missing_info == [] and row.sample_lead is None and row.created_at.year >= 2026
    assert Client.get(Client.name == "Harbor Injury, LLP").is_new is False
