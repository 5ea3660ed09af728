"""Process locks beside the database file, so two processes on one database never work the same thing at once.

    with locks.hold("queue-run") as got:      # non-blocking: got is False when another process holds it
        if got: ...

A lock held by a process that was killed is released by the operating system, so "I got the lock" also means
"whoever held it before is gone": work that process left half-done (rows in a running or sending state) can be
taken over safely. For an in-memory database (tests) a process-wide threading lock stands in; on PostgreSQL a
session advisory lock does the same across every machine of the team.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from xsc_desktop import storage
from xsc_desktop.models import database

_thread_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def lock_dir() -> Path | None:
    """The folder of lock files: `locks/` beside the SQLite file, or None for in-memory and server databases."""
    if storage.is_postgresql(database):
        return None
    name = getattr(database.obj, "database", None) if database.obj is not None else None
    if not name or name == ":memory:" or not isinstance(name, str) or "://" in name:
        return None
    folder = Path(name).resolve().parent / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _thread_lock(key: str) -> threading.Lock:
    with _guard:
        return _thread_locks.setdefault(key, threading.Lock())


@contextlib.contextmanager
def hold(name: str, *, blocking: bool = False) -> Iterator[bool]:
    """Hold the named lock for the block; yields False (and holds nothing) when someone else has it."""
    folder = lock_dir()
    # Threads of this process first (file locks are per process), then other processes.
    tlock = _thread_lock(f"{folder}:{name}")
    if not tlock.acquire(blocking=blocking):
        yield False
        return
    try:
        if storage.is_postgresql(database):
            # A team's processes on other machines share no folder: a PostgreSQL advisory lock on this thread's
            # connection, released when the block ends or the process dies (its connection closes).
            if not storage.try_server_lock(database, name, blocking=blocking):
                yield False
                return
            try:
                yield True
            finally:
                storage.release_server_lock(database, name)
            return
        if folder is None:
            yield True
            return
        fd = os.open(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if not _lock_file(fd, blocking):
                yield False
                return
            try:
                yield True
            finally:
                _unlock_file(fd)
        finally:
            os.close(fd)
    finally:
        tlock.release()


def _lock_file(fd: int, blocking: bool) -> bool:
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        return True
    except BlockingIOError:
        return False
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False


def _unlock_file(fd: int) -> None:
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)
    except ImportError:
        import msvcrt

        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
