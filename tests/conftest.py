"""Shared fixtures: a fresh data dir and database per test, the event hub cleared, offscreen Qt."""

from __future__ import annotations

import os
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


@pytest.fixture
def ctx(data_dir: Path):
    """A Context on a fresh SQLite file, opened; closed again after the test."""
    from xsc_desktop import db, events
    from xsc_desktop.context import Context

    events.clear()
    context = Context.create(str(data_dir))
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
def cli(data_dir: Path):
    """Call the CLI in a subprocess: cli("landers", "list", "--json")."""
    return lambda *args, **kw: run_cli(*args, data_dir=data_dir, **kw)


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
