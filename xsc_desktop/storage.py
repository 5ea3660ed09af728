"""The two database engines behind a URL: SQLite (one operator, a file in the data dir) and PostgreSQL (a team on
one shared server). Everything only one engine understands lives here: opening a URL, its error texts, the
migration lock, named cross-process locks, sequences, the backup before a migration, and masking a password.

    sqlite:///C:/Users/me/xsc/xsc-desktop.sqlite3        the default, one file
    postgresql://operator:secret@db.example:5432/xsc     a team's shared database (postgres:// works too)

Services and models stay engine-neutral; they call these helpers when they need something engine-specific.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import logging
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import peewee
from peewee import Database, PostgresqlDatabase, SqliteDatabase

from xsc_desktop.dbfiles import private_file
from xsc_desktop.errors import UserError

log = logging.getLogger(__name__)

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
POSTGRES_SCHEMES = ("postgresql", "postgres")

BUSY_TIMEOUT_S = 5  # how long a write waits for another program's write lock before saying the database is locked
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_S * 1000,
    "synchronous": "normal",
    "cache_size": -16000,
    # ANALYZE (and PRAGMA optimize) samples this many rows per index: statistics in milliseconds at any size.
    "analysis_limit": 400,
}

_ALL: weakref.WeakSet = weakref.WeakSet()  # every server database made, closed at exit


@atexit.register
def _close_everything() -> None:
    for database in list(_ALL):
        database.close_all()


# Seconds to wait for a PostgreSQL server to answer before saying so (an unknown or unreachable host).
CONNECT_TIMEOUT = 5
# The advisory lock every copy of the app takes before migrating a PostgreSQL database (any fixed 64-bit number).
MIGRATION_LOCK_KEY = 0x58534344_4D494752  # "XSCD" "MIGR"


def engine_of(url: str) -> str:
    """"sqlite" or "postgresql" for a database URL; UserError for anything else."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "sqlite" and url.startswith("sqlite:///"):
        return SQLITE
    if scheme in POSTGRES_SCHEMES:
        return POSTGRESQL
    shown = scheme or url
    raise UserError(f"The database URL {mask_url(url)} is not one XSC Desktop can open ({shown!r}); use "
                    "sqlite:///PATH for a file or postgresql://USER@HOST:5432/NAME for a team server.")


def engine_of_database(db: Database) -> str:
    """The engine of an opened peewee database."""
    return POSTGRESQL if isinstance(db, PostgresqlDatabase) else SQLITE


def is_postgresql(db: Database | None) -> bool:
    """Whether `db` (a peewee database, or the models' proxy) is a PostgreSQL one."""
    obj = getattr(db, "obj", db)
    return isinstance(obj, PostgresqlDatabase)


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite:/// URL, or None for other databases and in-memory ones."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url[len("sqlite:///"):])
    return None


def mask_url(url: str) -> str:
    """The URL as it may be shown or logged: a password becomes ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def application_name() -> str:
    """How this process names itself to a PostgreSQL server ("xsc-desktop HOST/PID"): the live board tells its own
    changes from other operators' by it."""
    import os
    import socket

    return f"xsc-desktop {socket.gethostname()[:40]}/{os.getpid()}"


def install_change_notices(db: Database, tables: tuple[str, ...], channel: str) -> None:
    """On PostgreSQL, a statement trigger on each table that sends "TABLE APPLICATION" on `channel` in the writing
    transaction (delivered at commit, once per table and transaction). Nothing on SQLite. Idempotent."""
    if not is_postgresql(db):
        return
    db.execute_sql(
        "CREATE OR REPLACE FUNCTION xsc_change_notice() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"PERFORM pg_notify('{channel}', TG_TABLE_NAME || ' ' || current_setting('application_name')); "
        "RETURN NULL; END $$")
    present = {row[0] for row in db.execute_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
    for table in tables:
        if table not in present:
            continue
        db.execute_sql(f'DROP TRIGGER IF EXISTS xsc_change_notice ON "{table}"')
        db.execute_sql(f'CREATE TRIGGER xsc_change_notice AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                       "FOR EACH STATEMENT EXECUTE FUNCTION xsc_change_notice()")


def postgres_params(url: str) -> dict:
    """The connection parameters of a postgresql:// URL (user, password, host, port, dbname, extra options)."""
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise UserError(f"The database URL {mask_url(url)} names no database; add its name, as in "
                        "postgresql://USER@HOST:5432/xsc.")
    params: dict = {"dbname": name, "connect_timeout": CONNECT_TIMEOUT, "application_name": application_name()}
    if parts.username:
        params["user"] = unquote(parts.username)
    if parts.password is not None:
        params["password"] = unquote(parts.password)
    if parts.hostname:
        params["host"] = parts.hostname
    try:
        port = parts.port
    except ValueError as exc:
        raise UserError(f"The database URL {mask_url(url)} has a port that is not a number; fix the URL.") from exc
    if port:
        params["port"] = port
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        params[key] = value  # e.g. sslmode=require, host=/var/run/postgresql
    return params


def driver_missing() -> bool:
    """Whether no PostgreSQL driver (psycopg) can be imported."""
    return getattr(peewee, "psycopg", None) is None and getattr(peewee, "psycopg2", None) is None


class ServerDatabase(PostgresqlDatabase):
    """PostgreSQL with one connection per thread (as peewee keeps them), where a connection left open by a thread
    that has ended is closed at the next connect instead of lingering on the server until garbage collection."""

    def __init__(self, *args, **kwargs) -> None:
        self._open: list[tuple[threading.Thread, object]] = []
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def _connect(self):
        conn = super()._connect()
        with self._open_lock:
            alive = []
            for thread, other in self._open:
                if thread.is_alive():
                    alive.append((thread, other))
                else:
                    with contextlib.suppress(Exception):
                        other.close()
            alive.append((threading.current_thread(), conn))
            self._open = alive
        return conn

    def is_closed(self) -> bool:
        """Closed, or (outside a transaction) holding a connection the server cut: that one is dropped here, so the
        next statement opens a fresh connection instead of failing on the dead one forever."""
        if self._state.closed:
            return True
        conn = self._state.conn
        if conn is not None and getattr(conn, "closed", False) and not self._state.transactions:
            with contextlib.suppress(Exception):
                self._close(conn)
            self._state.reset()
            return True
        return False

    def _close(self, conn) -> None:
        with self._open_lock:
            self._open = [(t, c) for t, c in self._open if c is not conn]
        super()._close(conn)

    def close_all(self) -> None:
        """Close every connection of every thread (the database is being replaced or the process ends)."""
        with self._open_lock:
            conns, self._open = [c for _t, c in self._open], []
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()
        with contextlib.suppress(Exception):
            self.close()


def close_all(db: Database | None) -> None:
    """Close every thread's connection of a database that is being replaced (PostgreSQL; SQLite needs nothing)."""
    obj = getattr(db, "obj", db)
    if isinstance(obj, ServerDatabase):
        obj.close_all()


def make_database(url: str) -> Database:
    """An unopened peewee database for a URL (UserError for an unknown scheme or a missing driver)."""
    engine = engine_of(url)
    if engine == SQLITE:
        path = sqlite_path(url)
        name = str(path) if path else ":memory:"
        # lock_type: every transaction starts as a writer (BEGIN IMMEDIATE), so it waits out the busy timeout for
        # another program's write lock instead of failing at once when a read would later upgrade to a write.
        return SqliteDatabase(name, pragmas=SQLITE_PRAGMAS, check_same_thread=False, timeout=BUSY_TIMEOUT_S,
                              lock_type="IMMEDIATE")
    if driver_missing():
        raise UserError("This copy of XSC Desktop has no PostgreSQL driver, so it cannot open "
                        f"{mask_url(url)}; install it with `pip install \"psycopg[binary]\"` or use a SQLite database.")
    params = postgres_params(url)
    name = params.pop("dbname")
    database = ServerDatabase(name, prefer_psycopg3=True, **params)
    _ALL.add(database)
    return database


def where(url: str) -> str:
    """How a database is named in a sentence: the file for SQLite, the masked URL for a server."""
    return str(sqlite_path(url) or mask_url(url))


def postgres_error(url: str, exc: Exception) -> UserError:
    """One sentence for a failure to open or migrate the PostgreSQL database at `url`."""
    text = str(exc).lower()
    shown = where(url)
    params = postgres_params(url)
    host = params.get("host", "localhost")
    port = params.get("port", 5432)
    user = params.get("user", "")
    if "password authentication failed" in text or "no password supplied" in text:
        return UserError(f"PostgreSQL refused the password for user {user!r} at {shown}; check the user and "
                         "password in the database URL.")
    if ("could not translate host name" in text or "failed to resolve host" in text
            or "name or service not known" in text or "nodename nor servname" in text):
        return UserError(f"The database server host {host!r} is unknown; check the host name in the database "
                         "URL.")
    if "role" in text and "does not exist" in text:
        return UserError(f"The server at {host}:{port} has no user {user!r}; create it or fix the database URL.")
    if "does not exist" in text and "database" in text:
        return UserError(f"The server at {host}:{port} has no database {params['dbname']!r}; create it with "
                         f"`createdb {params['dbname']}` or fix the database URL.")
    if "connection refused" in text or "timeout" in text or "timed out" in text or "could not connect" in text:
        return UserError(f"No PostgreSQL server answers at {host}:{port}; check that it is running and that the "
                         "host and port in the database URL are right.")
    if "permission denied" in text:
        return UserError(f"The user {user!r} may not change the database {shown}; ask its administrator for "
                         "the rights or use the owner's URL.")
    return UserError(f"The database {shown} could not be opened ({exc}); check the database URL and the server.")


# What a driver says when the server went away or cannot be reached (restart, network cut), as opposed to a refused
# statement; SQLSTATE class 08 (connection exception) and 57P01-57P03 (shutdown, crash, starting up) too.
_LOST_TEXTS = ("the connection is closed", "connection failed", "server closed the connection", "terminating connection",
               "connection refused", "could not connect", "the database system is starting up",
               "the database system is shutting down", "the database system is in recovery mode",
               "consuming input failed", "connection timeout", "timeout expired", "no connection to the server",
               "connection is lost", "connection not open", "connection already closed", "ssl syscall error",
               "server conn crashed", "sending query failed", "connection reset")


def connection_lost(exc: BaseException | None, db: Database | None = None) -> bool:
    """Whether `exc` means the database server went away or cannot be reached right now (a restart, a network
    cut), so the work may simply be tried again once it answers. Always False on SQLite: a file does not go away
    like that, and a locked or damaged one needs the operator."""
    if db is not None and not is_postgresql(db):
        return False
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)) or type(exc).__module__.startswith(
                "psycopg"):
            code = str(getattr(exc, "sqlstate", "") or "")
            if code.startswith("08") or code in ("57P01", "57P02", "57P03"):
                return True
            text = str(exc).lower()
            if any(part in text for part in _LOST_TEXTS):
                return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def covering_claim_index(db: Database) -> None:
    """On PostgreSQL the index delivery picks new leads from (lander, state, id) also carries `is_test`, so picking
    the next leads reads the index alone (an index-only scan in id order that stops at the pass's limit). SQLite
    keeps its own index of the same keys (its plan test holds it to a seek)."""
    if not is_postgresql(db):
        return
    db.execute_sql('CREATE INDEX IF NOT EXISTS "lead_claim_pick" ON "lead" ("lander_id", "delivery_state", "id") '
                   'INCLUDE ("is_test")')
    db.execute_sql('DROP INDEX IF EXISTS "lead_lander_id_delivery_state_id"')


@contextlib.contextmanager
def migration_lock(db: Database) -> Iterator[None]:
    """Held while a copy of the app migrates: on PostgreSQL a session advisory lock, so two copies starting at once
    migrate one after the other (the second then finds the schema current). SQLite's own write lock suffices."""
    if not is_postgresql(db):
        yield
        return
    db.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    try:
        yield
    finally:
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


def backup_before_migration(url: str, db: Database, version: int) -> Path | None:
    """Back a SQLite file up beside itself before migrating it (PostgreSQL is backed up by its administrator)."""
    path = sqlite_path(url)
    if version <= 0 or path is None or not path.exists() or engine_of_database(db) != SQLITE:
        return None
    backup = path.with_name(f"{path.name}.v{version}.bak")
    # SQLite's backup API, not a file copy: committed pages still in the -wal file must be in the backup.
    private_file(backup)
    target = sqlite3.connect(backup)
    try:
        db.connection().backup(target)
    except sqlite3.Error:
        target.close()
        backup.unlink(missing_ok=True)  # a half backup (a full disk) is no backup
        raise
    finally:
        target.close()
    log.info("Backed up the database to %s before migrating", backup)
    return backup


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock number for a lock name."""
    return int.from_bytes(hashlib.sha256(f"xsc-desktop:{name}".encode()).digest()[:8], "big", signed=True)


def try_server_lock(db: Database, name: str, *, blocking: bool) -> bool:
    """Take the named PostgreSQL session advisory lock on this thread's connection (held until released or until the
    connection ends, so a killed process frees it). Returns False when another session holds it (non-blocking)."""
    key = lock_key(name)
    if blocking:
        db.execute_sql("SELECT pg_advisory_lock(%s)", (key,))
        return True
    return bool(db.execute_sql("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0])


def release_server_lock(db: Database, name: str) -> None:
    """Release a lock taken with try_server_lock (quietly: a lost connection released it already)."""
    with contextlib.suppress(peewee.DatabaseError, peewee.InterfaceError):
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (lock_key(name),))


def reset_sequences(db: Database, models) -> None:
    """After rows were inserted with their ids kept, move each table's id sequence past the highest id (PostgreSQL;
    SQLite's rowid needs nothing)."""
    if not is_postgresql(db):
        return
    for model in models:
        pk = model._meta.primary_key
        if not isinstance(pk, peewee.AutoField):
            continue
        table, column = model._meta.table_name, pk.column_name
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
            f"COALESCE((SELECT MAX(\"{column}\") FROM \"{table}\"), 0) + 1, false)")


def insert_rows(db: Database, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Bulk-insert rows of database values as they are (ids included): COPY on PostgreSQL, executemany on SQLite."""
    names = ", ".join(f'"{c}"' for c in columns)
    with peewee.__exception_wrapper__:  # the driver's errors as peewee's, as for every other query
        cursor = db.cursor()
        if is_postgresql(db):
            with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})', rows)


def server_version(db: Database) -> str:
    """The engine's version as text ("SQLite 3.40.1", "PostgreSQL 15.18")."""
    if is_postgresql(db):
        raw = db.execute_sql("SHOW server_version").fetchone()[0]
        return f"PostgreSQL {raw.split()[0]}"
    return f"SQLite {sqlite3.sqlite_version}"


def inserted_count(db: Database, cursor, run) -> int:
    """How many rows `run()` (an executemany of INSERT ... ON CONFLICT DO NOTHING on `cursor`) really stored:
    SQLite's total_changes() around it (its executemany rowcount is right too, but costs nothing to keep as was);
    the cursor's rowcount on PostgreSQL, which psycopg sums over the rows of an executemany."""
    if is_postgresql(db):
        run()
        return max(cursor.rowcount, 0)
    before = db.execute_sql("SELECT total_changes()").fetchone()[0]
    run()
    return db.execute_sql("SELECT total_changes()").fetchone()[0] - before


def text_scrubber(db: Database):
    """None on SQLite; on PostgreSQL, whose text cannot hold a NUL character, a function that returns a row (a
    tuple of parameters) with NUL characters dropped from its strings, so one stray byte in a file cannot fail a
    whole batch of an import."""
    if not is_postgresql(db):
        return None

    def scrub(row: tuple) -> tuple:
        if not any(isinstance(v, str) and "\x00" in v for v in row):
            return row
        return tuple(v.replace("\x00", "") if isinstance(v, str) else v for v in row)
    return scrub


def json_keys_sql(db: Database, column: str) -> str | None:
    """A FROM item with one row `j(key)` per top-level key of the JSON object stored as text in `column`, or None
    when the engine cannot list them (a SQLite built without its JSON functions: the caller reads the JSON itself).
    Asked of the engine once, not tried and caught: on PostgreSQL a failed statement spoils the transaction."""
    if is_postgresql(db):
        return f"json_object_keys({column}::json) AS j(key)"
    return f"json_each({column}) j" if _sqlite_has_json() else None


@functools.lru_cache(maxsize=1)
def _sqlite_has_json() -> bool:
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("SELECT * FROM json_each('{}')")
        return True
    except sqlite3.Error:
        return False
    finally:
        connection.close()


def lowest_timestamp(db: Database) -> str:
    """A received-at value no lead is before (PostgreSQL compares timestamps, SQLite text)."""
    return "-infinity" if is_postgresql(db) else ""


def highest_timestamp(db: Database) -> str:
    """A received-at value no lead is after."""
    return "infinity" if is_postgresql(db) else "\U0010ffff"


def timestamp_param(db: Database) -> str:
    """The placeholder for a timestamp given as text where the engine cannot tell the column's type from the
    statement (a SELECT list feeding an INSERT): PostgreSQL is told it is a timestamp, SQLite stores the text."""
    return "%s::timestamp" if is_postgresql(db) else "?"


def insert_id(db: Database, sql: str, params) -> int | None:
    """Run an INSERT of one row (or none, for INSERT ... SELECT ... WHERE) and return the new row's id, or None
    when it inserted nothing: SQLite's lastrowid, PostgreSQL's RETURNING id."""
    if is_postgresql(db):
        row = db.execute_sql(sql + " RETURNING id", params).fetchone()
        return row[0] if row else None
    cursor = db.execute_sql(sql, params)
    return cursor.lastrowid if cursor.rowcount else None
