"""SQLite files: whether a file is ours, keeping ours private, and every SQLite error as the sentence a person
reads. Kept apart from db.py (which opens and migrates databases of any engine)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from peewee import DatabaseError, IntegrityError

from xsc_desktop.errors import UserError
from xsc_desktop.models import database

# Our mark in the SQLite header (`PRAGMA application_id`, "XSCD"): a file without it is another program's.
APPLICATION_ID = 0x58534344
BUSY_TIMEOUT_S = 5  # seconds a read waits for a lock (as storage.BUSY_TIMEOUT_S)


def plain_error(exc: BaseException, where: object = None) -> UserError | None:
    """The one plain sentence for a database error (locked, damaged, read-only, disk full ...), or None when `exc`
    is not one. `where` names the database; by default the open one. Used by the CLI, the window and the jobs."""
    if isinstance(exc, UserError):
        return exc
    if not isinstance(exc, DatabaseError | sqlite3.Error) or isinstance(exc, IntegrityError | sqlite3.IntegrityError):
        return None  # an integrity error is a fault of ours, not of the file
    # SQLite rolls a transaction back itself on some errors (a full disk): the ROLLBACK that follows then fails
    # with "no transaction is active" and hides the cause, which is the error it happened while handling.
    seen = 0
    while "no transaction is active" in str(exc) and isinstance(exc.__context__, DatabaseError | sqlite3.Error) \
            and seen < 5:
        exc, seen = exc.__context__, seen + 1
    if where is None:
        name = getattr(database.obj, "database", None) if database.obj is not None else None
        where = name if isinstance(name, str) and name and name != ":memory:" else "of XSC Desktop"
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return UserError(f"The database {where} is locked by another program; close it and try again.")
    if "not a database" in text or "malformed" in text or "corrupt" in text or "could not decode" in text:
        return UserError(
            f"The database {where} is damaged and was left untouched; restore a backup or start with another "
            "--data-dir."
        )
    if "readonly" in text or "read-only" in text:
        return UserError(f"The database {where} is read-only; make the file and its folder writable, or use "
                         "another --data-dir.")
    if "unable to open" in text:
        return UserError(f"The database {where} cannot be opened for writing; check the folder's permissions.")
    if "full" in text:
        return UserError(f"The disk holding the database {where} is full; free some space and try again (nothing "
                         "was half-written).")
    if "i/o" in text or "disk" in text:
        return UserError(f"The database {where} could not be read or written (a disk error); check the disk and "
                         "try again.")
    return UserError(f"The database {where} reported a problem ({exc}); check the file and try again.")


def check_ours(path: Path) -> None:
    """Refuse, untouched, an existing SQLite file that is not ours: it must carry our application id, or be one of
    ours from before the id (a `meta` table with a schema_version), or be empty. Read through a read-only
    connection, so another program's file is never changed (no journal mode switch, no tables added)."""
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return
    except OSError:
        return  # the open below names the problem
    wal = path.with_name(path.name + "-wal")
    try:
        live_wal = wal.is_file() and wal.stat().st_size > 0
    except OSError:
        live_wal = False
    # Without a -wal file the main file says it all: read it as immutable (no -shm or -wal file is created).
    mode = "mode=ro" if live_wal else "immutable=1"
    try:
        con = sqlite3.connect(f"{path.as_uri()}?{mode}", uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            if app_id == APPLICATION_ID:
                return
            if app_id == 0:
                tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if not tables:
                    return  # an empty database: ours to fill
                if "meta" in tables and con.execute("SELECT 1 FROM meta WHERE key = 'schema_version'").fetchone():
                    return
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise (plain_error(exc, path) or UserError(f"The database {path} could not be opened ({exc}).")) from exc
    raise UserError(f"The file {path} is not an XSC Desktop database (it belongs to another program) and was left "
                    "untouched; point --data-dir or --database at an XSC Desktop data folder.")


def private_file(path: Path) -> None:
    """The database file readable by its owner only (SQLite gives its -wal and -shm files the same mode)."""
    from xsc_desktop.paths import make_private

    try:
        if not path.exists() and path.parent.is_dir():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # SQLite takes an empty file as new
    except OSError:
        return  # the open names the problem
    for name in ("", "-wal", "-shm"):
        if path.with_name(path.name + name).exists():
            make_private(path.with_name(path.name + name))
