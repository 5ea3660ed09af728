"""Crash recovery shared by every kind of run: who still owns a `running` row, and the leftovers of dead processes.

    with recovery.lease("report", run.id):     # held while the run works; the OS frees it when the process dies
        ...
    if recovery.is_dead("report", row.id, row.started_at): ...   # mark it interrupted and run its slot again
    recovery.sweep_parts(folder)               # hidden .part files of processes that are gone
    recovery.sweep_work_dirs()                 # report writers' temp folders of processes that are gone

A lease is a lock file beside the SQLite database (see locks.py), so "its lock is free" means "the process that
wrote the row is gone", whatever the clock says and even when its pid was reused. For a server database (no
lock folder) a run older than LEASE_HOURS counts as dead: no report takes that long.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from xsc_desktop import locks
from xsc_desktop.models import database, utcnow

log = logging.getLogger(__name__)

LEASE_HOURS = 6
PART_RE = re.compile(r"^\..+\.(\d+)\.(\d+)\.part$")  # ".<final name>.<pid>.<thread>.part" (sheets._write_file)
WORK_DIR_PREFIX = "xsc-report-"  # a report writer's temporary files: "<temp>/xsc-report-<pid>-<random>/"
_WORK_DIR_RE = re.compile(r"^xsc-report-(\d+)-")


def _name(kind: str, run_id: int) -> str:
    return f"run-{kind}-{run_id}"


@contextlib.contextmanager
def lease(kind: str, run_id: int) -> Iterator[None]:
    """Hold the lease of one run for the block; the lock file goes away after it."""
    name = _name(kind, run_id)
    with locks.hold(name, blocking=True):
        yield
    folder = locks.lock_dir()
    if folder is not None:
        with contextlib.suppress(OSError):
            (folder / f"{name}.lock").unlink()


def _server_database() -> bool:
    from peewee import SqliteDatabase

    return database.obj is not None and not isinstance(database.obj, SqliteDatabase)


def is_dead(kind: str, run_id: int, started_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether the process that owns a `running` row is gone (its lease is free; on a server database: the row is
    older than LEASE_HOURS)."""
    if _server_database():
        started = started_at or utcnow()
        return (now or utcnow()) - started > timedelta(hours=LEASE_HOURS)
    name = _name(kind, run_id)
    with locks.hold(name) as free:
        dead = free
    folder = locks.lock_dir()
    if dead and folder is not None:
        with contextlib.suppress(OSError):
            (folder / f"{name}.lock").unlink()
    return dead


def pid_alive(pid: int) -> bool:
    """Whether a process with that id runs on this machine (True when unsure)."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would end it there; leftovers are swept by age instead
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _sweep(folder: Path | str, pattern: re.Pattern[str], remove, what: str) -> int:
    """Remove the entries of `folder` whose name matches `pattern` (group 1 a pid) and whose process is gone."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        match = pattern.match(entry.name)
        if match and not pid_alive(int(match.group(1))):
            try:
                remove(entry.path)
                removed += 1
            except OSError:
                continue
    if removed:
        log.info("Removed %d %s left in %s by a stopped app", removed, what, folder)
    return removed


def sweep_parts(folder: Path | str) -> int:
    """Remove the hidden `.part` files that dead processes left in a report folder; returns how many."""
    return _sweep(folder, PART_RE, os.unlink, "half-written report file(s)")


@contextlib.contextmanager
def work_dir() -> Iterator[str]:
    """A private folder for one report writer's temporary files (XlsxWriter's row files), removed afterwards; its
    name carries this process's id, so a later start removes the folder a killed process left."""
    path = tempfile.mkdtemp(prefix=f"{WORK_DIR_PREFIX}{os.getpid()}-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_work_dirs(folder: Path | str | None = None) -> int:
    """Remove the report writers' temporary folders of processes that are gone; returns how many."""
    return _sweep(folder or tempfile.gettempdir(), _WORK_DIR_RE, shutil.rmtree, "report temp folder(s)")
