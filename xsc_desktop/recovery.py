"""Crash recovery shared by every kind of run: who still owns a `running` row, and the leftovers of dead processes.

    with recovery.lease("report", run.id):     # held while the run works; the OS frees it when the process dies
        ...
    if recovery.is_dead("report", row.id, row.started_at): ...   # mark it interrupted and run its slot again
    recovery.sweep_parts(folder)               # hidden .part files of processes that are gone
    recovery.sweep_openpyxl_temp()             # openpyxl's temp files of processes that are gone

A lease is a lock file beside the SQLite database (see locks.py), so "its lock is free" means "the process that
wrote the row is gone", whatever the clock says and even when its pid was reused. For a server database (no
lock folder) a run older than LEASE_HOURS counts as dead: no report takes that long.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from xsc_desktop import locks
from xsc_desktop.models import database, utcnow

log = logging.getLogger(__name__)

LEASE_HOURS = 6
PART_RE = re.compile(r"^\..+\.(\d+)\.(\d+)\.part$")  # ".<final name>.<pid>.<thread>.part" (sheets._write_file)
OPENPYXL_PREFIX = "openpyxl.xsc-"  # our openpyxl temp files: "openpyxl.xsc-<pid>.<random>"
_OPENPYXL_RE = re.compile(r"^openpyxl\.xsc-(\d+)\.")


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


def sweep_parts(folder: Path | str) -> int:
    """Remove the hidden `.part` files that dead processes left in a report folder; returns how many."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        match = PART_RE.match(entry.name)
        if match and not pid_alive(int(match.group(1))):
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                continue
    if removed:
        log.info("Removed %d half-written report file(s) left in %s by a stopped app", removed, folder)
    return removed


def install_openpyxl_temp_names() -> None:
    """Name openpyxl's write-only temp files after this process, so a later start can tell ours from others'
    and remove those a killed process left (openpyxl only removes them when the process ends normally)."""
    try:
        from openpyxl.worksheet import _writer
    except ImportError:
        return
    if getattr(_writer.create_temporary_file, "_xsc", False):
        return

    def create_temporary_file(suffix: str = "") -> str:
        handle = tempfile.NamedTemporaryFile(mode="w+", suffix=suffix, prefix=f"{OPENPYXL_PREFIX}{os.getpid()}.",
                                             delete=False)
        handle.close()
        _writer.ALL_TEMP_FILES.append(handle.name)
        return handle.name

    create_temporary_file._xsc = True  # type: ignore[attr-defined]
    _writer.create_temporary_file = create_temporary_file


def sweep_openpyxl_temp(folder: Path | str | None = None) -> int:
    """Remove openpyxl temp files of ours whose process is gone; returns how many."""
    removed = 0
    try:
        entries = list(os.scandir(folder or tempfile.gettempdir()))
    except OSError:
        return 0
    for entry in entries:
        match = _OPENPYXL_RE.match(entry.name)
        if match and not pid_alive(int(match.group(1))):
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                continue
    if removed:
        log.info("Removed %d spreadsheet temp file(s) left by a stopped app", removed)
    return removed
