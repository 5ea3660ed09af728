"""Shared fixtures: a fresh data dir and database per test, the event hub cleared, offscreen Qt.

Both engines: the test modules listed in BOTH_ENGINES run every test that uses `ctx` (or `database_url`) twice,
on SQLite and on a real PostgreSQL server that the session starts itself (tests/helpers/postgres.py). Without the
server binaries those runs fail loudly; XSC_TEST_POSTGRES=0 skips them instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XSC_NO_DEMO", "1")
# Secrets go to the key file in the test's data dir, never to the keyring of the machine running the tests.
os.environ.setdefault("XSC_SECRET_STORE", "file")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data dir for one test."""
    path = tmp_path / "data"
    path.mkdir()
    return path


# Test modules (paths from the repository root, or folders ending in "/") whose database tests run on both engines.
BOTH_ENGINES: tuple[str, ...] = (
    "tests/unit/test_db.py",
    "tests/unit/test_storage.py",
    "tests/unit/test_landers.py",
    "tests/unit/test_row_versions.py",
    "tests/unit/test_shared_files.py",
    "tests/gui/test_team_window.py",
    "tests/unit/test_settings.py",
    "tests/unit/test_parsers_store.py",
    "tests/unit/queue/test_integrations.py",
    "tests/unit/test_clients.py",
    "tests/unit/queue/test_jobs.py",
    "tests/e2e/test_cli_foundation.py",
    "tests/unit/leads/test_delivery.py",
    "tests/unit/leads/test_delivery_faults.py",
    "tests/unit/leads/test_delivery_session.py",
    "tests/unit/leads/test_feed.py",
    "tests/unit/leads/test_import.py",
    "tests/unit/leads/test_import_delivery_choice.py",
    "tests/unit/queue/test_mail.py",
    "tests/unit/queue/test_mail_faults.py",
    "tests/unit/queue/test_queue.py",
    "tests/unit/queue/test_summary.py",
    "tests/unit/workqueue/",
    "tests/unit/test_sheets.py",
    "tests/unit/test_sheets_schedule.py",
    "tests/unit/scale/test_browse.py",
    "tests/e2e/test_leads_cli.py",
    "tests/e2e/test_leads_import_choice_cli.py",
    "tests/e2e/test_queue_e2e.py",
    "tests/unit/rules/test_rules_delivery.py",
)
ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc):
    if "engine" not in metafunc.fixturenames:
        return
    path = Path(str(metafunc.definition.path)).resolve().relative_to(REPO).as_posix()
    if any(path == entry or (entry.endswith("/") and path.startswith(entry)) for entry in BOTH_ENGINES):
        metafunc.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture
def engine(request) -> str:
    """The database engine of this test: "sqlite" unless its module runs on both engines (see BOTH_ENGINES)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the whole session (initdb + pg_ctl on a free port, as an unprivileged user)."""
    if os.environ.get("XSC_TEST_POSTGRES", "").strip() == "0":
        pytest.skip("PostgreSQL tests are switched off (XSC_TEST_POSTGRES=0)")
    from tests.helpers.postgres import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL tests cannot run: {exc}. Run `make setup` as root (it installs Debian's postgresql "
                    "package) or set XSC_TEST_POSTGRES=0 to skip them.", pytrace=False)
    previous = signal.getsignal(signal.SIGTERM)

    def stop_then_die(signum, frame):  # a test run that is killed takes its server with it
        server.stop()
        signal.signal(signal.SIGTERM, previous if callable(previous) else signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop_then_die)
    try:
        yield server
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh PostgreSQL database at the current schema for one test (dropped after it)."""
    url = postgres_server.create_database()
    yield url
    _close_and_drop(postgres_server, url)


@pytest.fixture
def empty_postgres_url(postgres_server):
    """A fresh PostgreSQL database with no tables at all (dropped after the test)."""
    url = postgres_server.create_database(empty=True)
    yield url
    _close_and_drop(postgres_server, url)


def _close_and_drop(server, url: str) -> None:
    from xsc_desktop import db, storage

    db.close()
    storage.close_all(db.database.obj)
    server.drop_database(url)


@pytest.fixture
def database_url(engine: str, data_dir: Path, request, monkeypatch) -> str:
    """The URL of the test's database: a SQLite file in the data dir, or a fresh PostgreSQL database (a shared
    database keeps secrets only under a team key, so the test's operators hold one)."""
    if engine == "postgresql":
        from cryptography.fernet import Fernet

        monkeypatch.setenv("XSC_SECRET_KEY", Fernet.generate_key().decode())
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{data_dir / 'xsc-desktop.sqlite3'}"


@pytest.fixture
def ctx(data_dir: Path, database_url: str):
    """A Context on a fresh database (SQLite file, or PostgreSQL in BOTH_ENGINES modules), opened; closed after."""
    from xsc_desktop import db, events
    from xsc_desktop.context import Context

    events.clear()
    context = Context.create(str(data_dir), database_url)
    context.open_database()
    yield context
    events.clear()
    db.close()


@pytest.fixture
def samples() -> Path:
    """The shared sample inputs (skips when the shared folder is not beside the repo)."""
    if not SAMPLES.exists():
        pytest.skip("the shared samples folder is not beside the repository")
    return SAMPLES


def run_cli(*args: str, data_dir: Path, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `xsc-desktop` in a subprocess against a data dir; returns the completed process (text mode)."""
    full_env = {**os.environ, "XSC_NO_DEMO": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "xsc_desktop.cli", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=timeout, env=full_env, cwd=REPO)


@pytest.fixture
def cli_env(engine: str, request) -> dict:
    """What a CLI subprocess started by the test itself needs in its environment to open the test's database."""
    if engine != "postgresql":
        return {}
    return {"XSC_DATABASE_URL": request.getfixturevalue("database_url")}


@pytest.fixture
def cli(data_dir: Path, engine: str, request):
    """Call the CLI in a subprocess: cli("landers", "list", "--json") (on the test's PostgreSQL database, if any)."""
    if engine != "postgresql":
        return lambda *args, **kw: run_cli(*args, data_dir=data_dir, **kw)
    url = request.getfixturevalue("database_url")

    def call(*args, env: dict | None = None, **kw):
        return run_cli(*args, data_dir=data_dir, env={"XSC_DATABASE_URL": url, **(env or {})}, **kw)
    return call


@pytest.fixture(autouse=True)
def _background_work_finishes():
    """After each test, wait for pool threads: a task outliving its test would touch objects already deleted."""
    yield
    if "PySide6.QtCore" in sys.modules:
        from PySide6.QtCore import QThreadPool

        assert QThreadPool.globalInstance().waitForDone(30000), "a background task was still running after 30 s"


# ---- real servers on 127.0.0.1 (defined once here; tests/helpers holds the servers themselves) ----
@pytest.fixture
def endpoint():
    """A recording HTTP endpoint on 127.0.0.1 (tests.helpers.endpoint.RecordingEndpoint)."""
    from tests.helpers.endpoint import RecordingEndpoint

    with RecordingEndpoint() as server:
        yield server


@pytest.fixture
def smtp_server(ctx):
    """A real SMTP server on 127.0.0.1 (aiosmtpd) with the smtp.* settings of the test's database pointed at it."""
    from tests.helpers.smtp import SmtpServer, use_smtp

    with SmtpServer() as server:
        use_smtp(server)
        yield server
