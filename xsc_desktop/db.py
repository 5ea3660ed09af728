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
}


def _create_all(db: Database) -> None:
    db.create_tables(ALL_MODELS, safe=True)


def _client_time_zone(db: Database) -> None:
    """Clients get a time zone (set on the Clients page)."""
    if "time_zone" not in {c.name for c in db.get_columns("client")}:
        db.execute_sql("ALTER TABLE client ADD COLUMN time_zone VARCHAR(255)")


# Forward migrations: MIGRATIONS[n] brings a schema at version n to version n + 1, inside one transaction.
MIGRATIONS: list[Callable[[Database], None]] = [_create_all, _client_time_zone]
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


def current_version(db: Database) -> int:
    """The schema version recorded in the database (0 for an empty one)."""
    if not db.table_exists("meta"):
        return 0
    row = Meta.get_or_none(Meta.key == "schema_version")
    return int(row.value) if row else 0


def connect(url: str) -> Database:
    """Open the database at `url`, bind the models, and migrate it forward (backing the file up first).

    A file from a newer version, a damaged file or a locked one raises UserError and is never overwritten.
    """
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
            finally:
                target.close()
            log.info("Backed up the database to %s before migrating", backup)
        try:
            for step in range(version, SCHEMA_VERSION):
                with db.atomic():
                    MIGRATIONS[step](db)
                    Meta.insert(key="schema_version", value=str(step + 1)).on_conflict_replace().execute()
        except (DatabaseError, OperationalError) as exc:
            raise _plain_error(url, exc) from exc
    return db


def close() -> None:
    """Close this thread's connection, if open."""
    if database.obj is not None and not database.is_closed():
        database.close()
