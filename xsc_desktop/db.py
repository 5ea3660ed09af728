"""Opening the database named by a URL, its schema version, forward migrations and the backup before them.

A URL names SQLite (one operator, the default) or PostgreSQL (a team's shared server); what only one engine
understands (pragmas, advisory locks, sequences, error texts) stays in `xsc_desktop.storage`, and the same models
and MIGRATIONS run on both.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from peewee import Database, DatabaseError, InterfaceError, OperationalError, SqliteDatabase

from xsc_desktop import storage
from xsc_desktop.dbfiles import APPLICATION_ID, check_ours, plain_error, private_file
from xsc_desktop.errors import UserError
from xsc_desktop.models import ALL_MODELS, Meta, database
from xsc_desktop.storage import SQLITE_PRAGMAS, sqlite_path  # noqa: F401  (kept importable from here)

__all__ = ["APPLICATION_ID", "plain_error"]  # the sentences of database errors, for the CLI, window and jobs

log = logging.getLogger(__name__)


def _create_all(db: Database) -> None:
    db.create_tables(ALL_MODELS, safe=True)


def _delivery_indexes(db: Database) -> None:
    """Delivery's selections seek instead of scanning, with or without planner statistics: lead (lander_id,
    delivery_state, id) for new and waiting leads, delivery (lead_id, integration_id, id) for a lead's latest
    attempt. The single-column foreign-key indexes they start with only slowed inserts."""
    db.execute_sql('CREATE INDEX IF NOT EXISTS "lead_lander_id_delivery_state_id" ON "lead" '
                   '("lander_id", "delivery_state", "id")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "delivery_lead_id_integration_id_id" ON "delivery" '
                   '("lead_id", "integration_id", "id")')
    db.execute_sql('DROP INDEX IF EXISTS "lead_lander_id"')
    db.execute_sql('DROP INDEX IF EXISTS "delivery_lead_id"')


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



def _client_time_zone(db: Database) -> None:
    """Clients get a time zone (set on the Clients page)."""
    if "time_zone" not in {c.name for c in db.get_columns("client")}:
        db.execute_sql("ALTER TABLE client ADD COLUMN time_zone VARCHAR(255)")


def _delivery_rules(db: Database) -> None:
    """Integrations get delivery rules (caps, hours, filters, checks as JSON); caps count an integration's attempts
    in a window from delivery (integration_id, state, created_at), index only."""
    if "delivery_rules" not in {c.name for c in db.get_columns("integration")}:
        db.execute_sql("ALTER TABLE integration ADD COLUMN delivery_rules TEXT")
    db.execute_sql('CREATE INDEX IF NOT EXISTS "delivery_integration_id_state_created_at" ON "delivery" '
                   '("integration_id", "state", "created_at")')


def _posting_doc_kind(db: Database) -> None:
    """Posting docs get a kind: the client's posting instructions, or the posting summary sent to the client."""
    from xsc_desktop.models import PostingDoc

    table = PostingDoc._meta.table_name
    if "kind" not in {c.name for c in db.get_columns(table)}:
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN kind VARCHAR(255) NOT NULL DEFAULT \'posting_doc\'')


def _row_versions(db: Database) -> None:
    """Landers, clients, parsers, integrations and report templates carry a row version and who changed them
    when, so an edit is never saved over someone else's newer one."""
    from xsc_desktop.models import Client, Integration, Lander, Parser, ReportTemplate

    moment = "DATETIME" if isinstance(db, SqliteDatabase) else "TIMESTAMP"
    for table in (m._meta.table_name for m in (Client, Lander, Parser, Integration, ReportTemplate)):
        have = {c.name for c in db.get_columns(table)}
        for name, ddl in (("row_version", "INTEGER NOT NULL DEFAULT 1"),
                          ("changed_by", "VARCHAR(255) NOT NULL DEFAULT ''"), ("changed_at", f"{moment} NULL")):
            if name not in have:
                db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {ddl}')


def _claimed_by(db: Database) -> None:
    """Delivery attempts name the process that sent them, so on a shared database only a stopped process's
    attempts in flight are recovered (workqueue.recover)."""
    if "claimed_by" not in {c.name for c in db.get_columns("delivery")}:
        db.execute_sql("ALTER TABLE delivery ADD COLUMN claimed_by VARCHAR(255) NOT NULL DEFAULT ''")


def _change_notices(db: Database) -> None:
    """On PostgreSQL, a write to a table the window shows tells the other operators' windows (the live board)."""
    from xsc_desktop import live

    storage.install_change_notices(db, live.TABLES, live.CHANNEL)


def _posting_doc_content(db: Database) -> None:
    """Posting docs keep their bytes in a shared database, so every operator can open them."""
    from xsc_desktop.models import PostingDoc

    table = PostingDoc._meta.table_name
    if "content" not in {c.name for c in db.get_columns(table)}:
        kind = "BLOB" if isinstance(db, SqliteDatabase) else "BYTEA"
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN content {kind} NULL')


def _claimed_by_tasks_and_email(db: Database) -> None:
    """Queue tasks and outbox e-mails name the process working on them, as delivery attempts do."""
    for table in ("task", "email"):
        if "claimed_by" not in {c.name for c in db.get_columns(table)}:
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN claimed_by VARCHAR(255) NOT NULL DEFAULT \'\'')


# Forward migrations: MIGRATIONS[n] brings a schema at version n to version n + 1, inside one transaction.
MIGRATIONS: list[Callable[[Database], None]] = [
    _create_all, _delivery_indexes, _mark_application_id, _report_schedule_active_since, _read_indexes,
    _client_time_zone, _delivery_rules, _posting_doc_kind, _row_versions, _claimed_by, _change_notices,
    _posting_doc_content, _claimed_by_tasks_and_email, storage.covering_claim_index,
]
SCHEMA_VERSION = len(MIGRATIONS)


def database_url_for(data_dir: Path) -> str:
    """The default database of a data dir: a SQLite file inside it (as Context.create names it)."""
    return f"sqlite:///{data_dir / 'xsc-desktop.sqlite3'}"


def _make_database(url: str) -> Database:
    return storage.make_database(url)


def _plain_error(url: str, exc: Exception) -> UserError:
    if storage.engine_of(url) == storage.POSTGRESQL:
        return storage.postgres_error(url, exc)
    where = sqlite_path(url) or url
    return plain_error(exc, where) or UserError(
        f"The database {where} could not be opened ({exc}); check the file and try again.")


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


def connect(url: str, progress: Callable[[str], None] | None = None) -> Database:
    """Open the database at `url`, bind the models, and migrate it forward (backing a SQLite file up first).

    A database from a newer version, a damaged file or a locked one raises UserError and is never overwritten; so
    does a disk too small for a migration (the file stays as it was). On PostgreSQL the migration holds an advisory
    lock, so two copies starting at once never migrate together. `progress` hears what a long migration is doing.
    """
    global _progress
    path = sqlite_path(url)
    if path is not None:
        check_ours(path)
        private_file(path)
    db = _make_database(url)
    storage.close_all(database.obj)  # a server database replaced: its threads' connections go with it
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
        version = current_version(db)
    except (DatabaseError, OperationalError, InterfaceError) as exc:
        db.close()
        raise _plain_error(url, exc) from exc
    except UserError:
        db.close()
        raise
    _refuse_newer(url, db, version)
    if version < SCHEMA_VERSION:
        _progress = progress
        try:
            with storage.migration_lock(db):
                version = current_version(db)  # another copy may have migrated while this one waited
                _refuse_newer(url, db, version)
                if version < SCHEMA_VERSION:
                    storage.backup_before_migration(url, db, version)
                for step in range(version, SCHEMA_VERSION):
                    with db.atomic():
                        MIGRATIONS[step](db)
                        _record_version(step + 1)
        except (DatabaseError, OperationalError, InterfaceError, sqlite3.Error) as exc:
            db.close()
            if _is_disk_full(exc):
                raise _disk_full(url) from exc
            raise _plain_error(url, exc) from exc
        finally:
            _progress = None
    optimize(db)
    from xsc_desktop import events

    events.set_connection(events.CONNECTED, where=storage.where(url))
    return db


def _refuse_newer(url: str, db: Database, version: int) -> None:
    if version > SCHEMA_VERSION:
        db.close()
        other = "--data-dir" if storage.engine_of(url) == storage.SQLITE else "database URL"
        raise UserError(
            f"This database was written by a newer XSC Desktop (schema {version}, this one knows {SCHEMA_VERSION}); "
            f"update the app or use another {other}."
        )


def _record_version(version: int) -> None:
    # An upsert both engines understand (SQLite 3.24+ and PostgreSQL share ON CONFLICT ... DO UPDATE).
    (Meta.insert(key="schema_version", value=str(version))
     .on_conflict(conflict_target=[Meta.key], update={Meta.value: str(version)}).execute())


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """One write transaction that waits out the busy timeout: `BEGIN IMMEDIATE` on SQLite (a transaction that
    reads first and writes later could otherwise fail at once with "database is locked"), a savepoint when one is
    open already, a plain transaction on other engines. Peewee's `atomic()` underneath, so it nests."""
    if isinstance(database.obj, SqliteDatabase) and not database.in_transaction():
        with database.atomic("IMMEDIATE"):
            yield
    else:
        with database.atomic():
            yield


def run_writes(writes: list[Callable[[], Any]]) -> list[Any]:
    """Run `writes` in one write transaction and return their results: on SQLite a bare `BEGIN IMMEDIATE` /
    `COMMIT` on this thread's connection (for work queues that commit once per item, where `atomic()`'s bookkeeping
    shows); inside an open transaction or on other engines, `write_transaction()`. The writes must not open
    transactions of their own."""
    if database.in_transaction() or not isinstance(database.obj, SqliteDatabase):
        with write_transaction():
            return [write() for write in writes]
    connection = database.connection()
    connection.execute("BEGIN IMMEDIATE")
    try:
        results = [write() for write in writes]
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return results


def close() -> None:
    """Close this thread's connection, if open (refreshing the planner's statistics first, as SQLite advises)."""
    if database.obj is not None and not database.is_closed():
        if isinstance(database.obj, SqliteDatabase):
            try:
                database.execute_sql("PRAGMA optimize")
            except (DatabaseError, OperationalError):
                log.debug("PRAGMA optimize at close failed", exc_info=True)
        database.close()


def backup_files(url: str) -> list[Path]:
    """The backups connect() left beside a SQLite database before migrating it (oldest schema first)."""
    import glob

    path = sqlite_path(url)
    return sorted(path.parent.glob(f"{glob.escape(path.name)}.v*.bak")) if path else []


def open_file(path: Path) -> Database:
    """Another SQLite file (a backup) opened on its own, with the models left bound where they are."""
    return SqliteDatabase(str(path), pragmas={"busy_timeout": 5000}, check_same_thread=False)


@contextlib.contextmanager
def erasing_overwritten(db: Database | None = None) -> Iterator[None]:
    """Within (one transaction): what is overwritten or deleted is zeroed in the database file (SQLite's
    secure_delete), and the write-ahead log is folded into the file after, so an old value (a plain-text secret)
    cannot be read from it. `db` defaults to the open database."""
    db = db if db is not None else database.obj
    if not isinstance(db, SqliteDatabase):
        with db.atomic():
            yield
        return
    db.execute_sql("PRAGMA secure_delete = ON")
    try:
        with db.atomic():
            yield
    finally:
        db.execute_sql("PRAGMA secure_delete = OFF")
    try:
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except (DatabaseError, OperationalError):  # another connection is reading: the next checkpoint folds it in
        pass
