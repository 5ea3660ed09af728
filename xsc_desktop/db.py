"""Opening the database named by a URL, its schema version, forward migrations and the backup before them.

Everything only SQLite understands (pragmas, file copies, error texts) stays in this module, so a shared
PostgreSQL for teams of operators can come later without touching the services.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from peewee import Database, DatabaseError, OperationalError, SqliteDatabase

from xsc_desktop.errors import UserError
from xsc_desktop.models import ALL_MODELS, Meta, database

log = logging.getLogger(__name__)

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "synchronous": "normal",
    "cache_size": -16000,
    # ANALYZE (and PRAGMA optimize) samples this many rows per index: statistics in milliseconds at any size.
    "analysis_limit": 400,
}


def _create_all(db: Database) -> None:
    db.create_tables(ALL_MODELS, safe=True)


# Called with one line of text while a long migration step runs (index builds on big databases); set by connect.
_progress: Callable[[str], None] | None = None


def _say(text: str) -> None:
    log.info("%s", text)
    if _progress is not None:
        _progress(text)


# The Leads page reads newest first by received time, overall and per delivery state; reports and lander counts
# read by (lander, received time), which exists already.
READ_INDEXES = (
    ("lead_received_at", '"lead" ("received_at")'),
    ("lead_delivery_state_received_at", '"lead" ("delivery_state", "received_at")'),
)
# Indexes that are prefixes of another index on the same table: they only slow writes down.
REDUNDANT_INDEXES = ("campaign_client_id", "parserversion_parser_id", "task_lander_id")


def _read_indexes(db: Database) -> None:
    missing = [(name, target) for name, target in READ_INDEXES
               if name not in {i.name for i in db.get_indexes(target.split()[0].strip('"'))}]
    for number, (name, target) in enumerate(missing, 1):
        _say(f"Building index {number} of {len(missing)} ({name}); on a big database this takes a while…")
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON {target}')
    for name in REDUNDANT_INDEXES:
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


# Forward migrations: MIGRATIONS[n] brings a schema at version n to version n + 1, inside one transaction.
MIGRATIONS: list[Callable[[Database], None]] = [_create_all, _read_indexes]
SCHEMA_VERSION = len(MIGRATIONS)


def database_url_for(data_dir: Path) -> str:
    """The default database of a data dir: a SQLite file inside it (as Context.create names it)."""
    return f"sqlite:///{data_dir / 'xsc-desktop.sqlite3'}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite:/// URL, or None for other databases and in-memory ones."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url[len("sqlite:///"):])
    return None


def _make_database(url: str) -> Database:
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        name = str(path) if path else ":memory:"
        return SqliteDatabase(name, pragmas=SQLITE_PRAGMAS, check_same_thread=False, timeout=5)
    from playhouse.db_url import connect as connect_url

    return connect_url(url)


def _plain_error(url: str, exc: Exception) -> UserError:
    text = str(exc).lower()
    where = sqlite_path(url) or url
    if "locked" in text or "busy" in text:
        return UserError(f"The database {where} is locked by another program; close it and try again.")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return UserError(
            f"The database {where} is damaged and was left untouched; restore a backup or start with another "
            "--data-dir."
        )
    if "unable to open" in text or "readonly" in text or "read-only" in text:
        return UserError(f"The database {where} cannot be opened for writing; check the folder's permissions.")
    return UserError(f"The database {where} could not be opened ({exc}); check the file and try again.")


def _disk_full(url: str) -> UserError:
    where = sqlite_path(url) or url
    return UserError(f"There is not enough free disk space to update the database {where}; it was left as it was. "
                     "Free some space on that disk and start again.")


def _is_disk_full(exc: Exception) -> bool:
    text = str(exc).lower()
    return "disk is full" in text or "no space" in text or "disk full" in text


def optimize(db: Database | None = None) -> None:
    """Keep the query planner's statistics fresh (SQLite's PRAGMA optimize; a first ANALYZE when there are none).

    Cheap: called when a connection opens and after large imports."""
    db = db or database.obj
    if not isinstance(db, SqliteDatabase):
        return
    try:
        if not db.table_exists("sqlite_stat1"):
            db.execute_sql("ANALYZE")
        else:
            db.execute_sql("PRAGMA optimize")
    except (DatabaseError, OperationalError):  # statistics are an optimisation: a busy database goes without
        log.debug("Could not refresh the query planner's statistics", exc_info=True)


def current_version(db: Database) -> int:
    """The schema version recorded in the database (0 for an empty one)."""
    if not db.table_exists("meta"):
        return 0
    row = Meta.get_or_none(Meta.key == "schema_version")
    return int(row.value) if row else 0


def connect(url: str, progress: Callable[[str], None] | None = None) -> Database:
    """Open the database at `url`, bind the models, and migrate it forward (backing the file up first).

    A file from a newer version, a damaged file or a locked one raises UserError and is never overwritten; so does
    a disk too small for a migration (the file stays as it was). `progress` hears what a long migration is doing.
    """
    global _progress
    db = _make_database(url)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
        version = current_version(db)
    except (DatabaseError, OperationalError) as exc:
        db.close()
        raise _plain_error(url, exc) from exc
    if version > SCHEMA_VERSION:
        db.close()
        raise UserError(
            f"This database was written by a newer XSC Desktop (schema {version}, this one knows {SCHEMA_VERSION}); "
            "update the app or use another --data-dir."
        )
    if version < SCHEMA_VERSION:
        path = sqlite_path(url)
        if version > 0 and path and path.exists():
            backup = path.with_name(f"{path.name}.v{version}.bak")
            # SQLite's backup API, not a file copy: committed pages still in the -wal file must be in the backup.
            target = sqlite3.connect(backup)
            try:
                db.connection().backup(target)
            except sqlite3.Error as exc:
                target.close()
                backup.unlink(missing_ok=True)
                db.close()
                if _is_disk_full(exc):
                    raise _disk_full(url) from exc
                raise _plain_error(url, exc) from exc
            finally:
                target.close()
            log.info("Backed up the database to %s before migrating", backup)
        _progress = progress
        try:
            for step in range(version, SCHEMA_VERSION):
                with db.atomic():
                    MIGRATIONS[step](db)
                    Meta.insert(key="schema_version", value=str(step + 1)).on_conflict_replace().execute()
        except (DatabaseError, OperationalError) as exc:
            db.close()
            if _is_disk_full(exc):
                raise _disk_full(url) from exc
            raise _plain_error(url, exc) from exc
        finally:
            _progress = None
    optimize(db)
    return db


def close() -> None:
    """Close this thread's connection, if open (refreshing the planner's statistics first, as SQLite advises)."""
    if database.obj is not None and not database.is_closed():
        if isinstance(database.obj, SqliteDatabase):
            try:
                database.execute_sql("PRAGMA optimize")
            except (DatabaseError, OperationalError):
                log.debug("PRAGMA optimize at close failed", exc_info=True)
        database.close()
