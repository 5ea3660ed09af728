"""A disk that fills during an import, a log file that cannot be written, and who may read the data dir."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tests.hostile.conftest import assert_one_sentence

DB_NAME = "xsc-desktop.sqlite3"
pytestmark = pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a device that is always full)")


def _full_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """The real CLI on a database that may grow by only a few pages, its log file on a full device."""
    with sqlite3.connect(data_dir / DB_NAME) as con:
        pages = con.execute("pragma page_count").fetchone()[0]
    log = data_dir / "logs" / "xsc-desktop.log"
    log.unlink()
    log.symlink_to("/dev/full")
    env = {**os.environ, "XSC_NO_DEMO": "1"}
    return subprocess.run([sys.executable, "-m", "tests.hostile.pragma_cli", f"max_page_count={pages + 8}", "--data-dir",
                           str(data_dir), *args], capture_output=True, text=True, timeout=120, env=env, cwd=REPO)


@pytest.fixture
def lander(data_dir: Path) -> Path:
    proc = run_cli("landers", "add", "--client", "Alvarez Law", "--campaign", "Auto", "--name", "Houston",
                   "--url", "https://lander.example/houston", data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    return data_dir


def test_disk_full_during_a_landers_import_is_one_sentence_and_nothing_half_written(lander, tmp_path):
    path = tmp_path / "landers.csv"
    path.write_text("client,campaign,lander,url\n" + "".join(
        f"Harbor,Auto,Page {i},https://lander.example/p{i}\n" for i in range(20000)))
    proc = _full_cli(lander, "landers", "import", str(path))
    assert_one_sentence(proc, contains="is full")
    (lander / "logs" / "xsc-desktop.log").unlink()
    listed = run_cli("landers", "list", data_dir=lander)
    assert listed.returncode == 0 and len(listed.stdout.strip().splitlines()) == 1  # only the lander from before


def test_disk_full_during_a_leads_import_is_one_sentence(lander, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("first_name,last_name,phone,email\n" + "".join(
        f"Ann{i},{'Smith' * 8},555{i:07d},ann{i}@example.com\n" for i in range(20000)))
    proc = _full_cli(lander, "leads", "import", str(path), "--lander", "1")
    assert_one_sentence(proc, contains="is full")


def test_log_handler_on_a_full_disk_prints_nothing(tmp_path, capfd):
    from xsc_desktop.logs import setup_logging

    data_dir = tmp_path / "data"
    (data_dir / "logs").mkdir(parents=True)
    (data_dir / "logs" / "xsc-desktop.log").symlink_to("/dev/full")
    setup_logging(data_dir)
    try:
        logging.getLogger("xsc_desktop.test").error("a line the full disk cannot take")
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_xsc", False):
                logging.getLogger().removeHandler(handler)
                handler.close()
    out, err = capfd.readouterr()
    assert err == "" and out == ""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_dir_is_the_owners_only(tmp_path, samples):
    data_dir = tmp_path / "new" / "data"
    proc = run_cli("landers", "add", "--client", "A", "--campaign", "B", "--name", "C",
                   "--url", "https://lander.example/c", data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    doc = next(p for p in sorted((samples / "postingdocs").rglob("*")) if p.suffix in (".txt", ".md", ".pdf"))
    taken = run_cli("intake", str(doc), "--lander", "1", data_dir=data_dir)
    assert taken.returncode == 0, taken.stderr
    assert _mode(data_dir) == 0o700
    files = [p for p in data_dir.rglob("*") if p.is_file() and "locks" not in p.parts]
    assert any(p.suffix not in (".log", ".sqlite3") and "log" not in p.name for p in files), files  # the doc
    for path in files:
        assert _mode(path) & 0o077 == 0, (path, oct(_mode(path)))


def test_database_made_readable_by_others_before_is_made_private(data_dir):
    assert run_cli("landers", "list", data_dir=data_dir).returncode == 0
    path = data_dir / DB_NAME
    path.chmod(0o644)
    assert run_cli("landers", "list", data_dir=data_dir).returncode == 0
    assert _mode(path) == 0o600
