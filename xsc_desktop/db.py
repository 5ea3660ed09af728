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

from xsc_desktop.dbfiles import APPLICATION_ID, check_ours, plain_error, private_file
from xsc_desktop.errors import UserError
from xsc_desktop.models import ALL_MODELS, Meta, database

__all__ = ["APPLICATION_ID", "plain_error"]  # the sentences of database errors, for the CLI, window and jobs

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 5  # how long a write waits for another program's write lock before saying the database is locked
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 5000,  # BUSY_TIMEOUT_S
    "synchronous": "normal",
    "cache_size": -16000,
}


def _create_all(db: Database) -> None:
    db.create_tables(ALL_MODELS, safe=True)


def _mark_application_id(db: Database) -> None:
    """Stamp our application id into the SQLite header (databases made before it was set get it here)."""
    if isinstance(db, SqliteDatabase):
        db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")


def _report_schedule_active_since(db: Database) -> None:
    """ReportSchedule.active_since: a new schedule's first slot is the next one, never one already past."""
    from xsc_desktop.models import ReportSchedule

    table = ReportSchedule._meta.table_name
    if "active_since" not in {c.name for c in db.get_columns(table)}:
        from peewee import DateTimeField
        from playhouse.migrate import SchemaMigrator, migrate

        migrate(SchemaMigrator.from_database(db).add_column(table, "active_since", DateTimeField(null=True)))


# Forward migrations: MIGRATIONS[n] brings a schema at version n to version n + 1, inside one transaction.
MIGRATIONS: list[Callable[[Database], None]] = [_create_all, _mark_application_id, _report_schedule_active_since]
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
        # lock_type: every transaction starts as a writer (BEGIN IMMEDIATE), so it waits out the busy timeout for
        # another program's write lock instead of failing at once when a read would later upgrade to a write.
        return SqliteDatabase(name, pragmas=SQLITE_PRAGMAS, check_same_thread=False, timeout=BUSY_TIMEOUT_S,
                              lock_type="IMMEDIATE")
    from playhouse.db_url import connect as connect_url

    return connect_url(url)


def _plain_error(url: str, exc: Exception) -> UserError:
    return plain_error(exc, sqlite_path(url) or url) or UserError(
        f"The database {sqlite_path(url) or url} could not be opened ({exc}); check the file and try again.")


def current_version(db: Database) -> int:
    """The schema version recorded in the database (0 for an empty one)."""
    if not db.table_exists("meta"):
        return 0
    row = Meta.get_or_none(Meta.key == "schema_version")
    if row is None:
        return 0
    try:
        version = int(str(row.value).strip())
    except ValueError:
        version = -1
    if version < 0:
        raise UserError(f"The database {_where(db)} records a schema version this app cannot read "
                        f"({str(row.value)[:40]!r}); restore a backup or use another --data-dir.")
    return version


def _where(db: Database) -> str:
    name = getattr(db, "database", "")
    return name if isinstance(name, str) and name else "of XSC Desktop"


def connect(url: str) -> Database:
    """Open the database at `url`, bind the models, and migrate it forward (backing the file up first).

    A file from a newer version, a damaged file or a locked one raises UserError and is never overwritten.
    """
    path = sqlite_path(url)
    if path is not None:
        check_ours(path)
        private_file(path)
    db = _make_database(url)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
        version = current_version(db)
    except (DatabaseError, OperationalError) as exc:
        db.close()
        raise _plain_error(url, exc) from exc
    except UserError:
        db.close()
        raise
    if version > SCHEMA_VERSION:
        db.close()
        raise UserError(
            f"This database was written by a newer XSC Desktop (schema {version}, this one knows {SCHEMA_VERSION}); "
            "update the app or use another --data-dir."
        )
    if version < SCHEMA_VERSION:
        if version > 0 and path and path.exists():
            backup = path.with_name(f"{path.name}.v{version}.bak")
            # SQLite's backup API, not a file copy: committed pages still in the -wal file must be in the backup.
            private_file(backup)
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
