"""What the operator sees of the database itself: which one the app is on (`info`), and moving a solo SQLite
database onto a team's PostgreSQL server (`copy_to`), every table with its ids, in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from peewee import Database, DatabaseError, InterfaceError, OperationalError, sort_models

from xsc_desktop import db, storage
from xsc_desktop.errors import UserError
from xsc_desktop.models import ALL_MODELS, Meta, PostingDoc, database

log = logging.getLogger(__name__)

# (table, rows done, rows in the table); called after each chunk and once at the end of every table.
Progress = Callable[[str, int, int], None]


@dataclass
class Info:
    engine: str  # "SQLite 3.40.1", "PostgreSQL 15.18"
    url: str  # password masked
    schema_version: int
    app_schema_version: int
    rows: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"engine": self.engine, "url": self.url, "schema_version": self.schema_version,
                "app_schema_version": self.app_schema_version, "rows": self.rows}


def info(url: str) -> Info:
    """The engine, the URL (password masked), the schema version and the row count of every table of the open
    database (the one `url` names)."""
    target = database.obj
    rows = {model._meta.table_name: model.select().count() for model in ALL_MODELS}
    return Info(engine=storage.server_version(target), url=storage.mask_url(url),
                schema_version=db.current_version(target), app_schema_version=db.SCHEMA_VERSION, rows=rows)


def _chunk_size(model) -> int:
    # Rows read and written per step: a few MB at most, whatever the width of the table.
    if model is PostingDoc:
        return 10  # each may bring its file's bytes along (up to 50 MB)
    return max(100, min(5000, 100000 // max(1, len(model._meta.sorted_fields))))


def _with_file_bytes(row: tuple, fields: list) -> tuple:
    """A posting doc's row with the bytes of its file on this computer, when the database holds none yet: on a
    shared database every operator opens it, not only the computer that took it in."""
    from xsc_desktop.intake.extract import MAX_FILE_BYTES

    names = [f.name for f in fields]
    at_content, at_path = names.index("content"), names.index("path")
    if row[at_content] is not None or not row[at_path]:
        return row
    path = Path(row[at_path])
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return row
        data = path.read_bytes()
    except OSError:
        return row
    return row[:at_content] + (data,) + row[at_content + 1:]


def _rows_in(target: Database) -> dict[str, int]:
    """Rows already in the target's tables (our tables only; the schema-version row does not count)."""
    found = {}
    names = set(target.get_tables())
    for model in ALL_MODELS:
        table = model._meta.table_name
        if table not in names:
            continue
        query = model.select()
        if model is Meta:
            query = query.where(Meta.key != "schema_version")
        count = query.count(target)
        if count:
            found[table] = count
    return found


def copy_to(source_url: str, target_url: str, progress: Progress | None = None) -> dict[str, int]:
    """Copy every table of the open database (at `source_url`) into the empty database at `target_url`, ids kept
    and sequences moved past them, all in one transaction: interrupted, the target is left as it was.

    Returns the rows copied per table. UserError when the target cannot be opened, is not empty, or is newer.
    """
    source = database.obj
    if storage.mask_url(source_url) == storage.mask_url(target_url):
        raise UserError("The copy's target is the database the app is on; name another database with --to.")
    target = storage.make_database(target_url)
    shown = storage.where(target_url)
    try:
        target.connect()
    except (DatabaseError, OperationalError, InterfaceError) as exc:
        raise db._plain_error(target_url, exc) from exc
    known = {model._meta.table_name for model in ALL_MODELS}
    skipped = sorted(set(source.get_tables()) - known)
    if skipped:
        log.warning("Copy skips tables the app does not know: %s", ", ".join(skipped))
    counts = {model._meta.table_name: model.select().count(source) for model in ALL_MODELS}
    copied: dict[str, int] = {}
    current = ""
    try:
        database.initialize(target)  # migrations and inserts below go to the target; reads name the source
        try:
            with storage.migration_lock(target), target.atomic():
                others = sorted(set(target.get_tables()) - known)
                if others:
                    raise UserError(f"The target database {shown} is not empty (it has the tables "
                                    f"{', '.join(others[:5])}); copy into a new empty database instead.")
                busy = _rows_in(target)
                if busy:
                    total = sum(busy.values())
                    raise UserError(f"The target database {shown} is not empty ({total} rows in "
                                    f"{', '.join(sorted(busy)[:5])}); copy into a new empty database (createdb) "
                                    "instead.")
                version = db.current_version(target)
                if version > db.SCHEMA_VERSION:
                    raise UserError(f"The target database {shown} was written by a newer XSC Desktop (schema "
                                    f"{version}); update the app first.")
                for step in range(version, db.SCHEMA_VERSION):
                    db.MIGRATIONS[step](target)
                Meta.delete().execute(target)
                for model in sort_models(list(ALL_MODELS)):
                    current = model._meta.table_name
                    copied[current] = _copy_table(model, source, target, counts, progress)
                current = ""
                storage.reset_sequences(target, ALL_MODELS)
        except (DatabaseError, OperationalError, InterfaceError) as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0].removeprefix("ERROR:").strip()
            at = f" at the table {current}" if current else ""
            raise UserError(f"The copy into {shown} stopped{at} and was undone, nothing was left half-copied "
                            f"({reason}); fix the cause and run it again.") from exc
    finally:
        database.initialize(source)
        target.close()
    return copied


def _copy_table(model, source: Database, target: Database, counts: dict[str, int], progress: Progress | None) -> int:
    table = model._meta.table_name
    total = counts[table]
    fields = model._meta.sorted_fields
    pk = model._meta.primary_key
    key_at = fields.index(pk)
    to_db = [f.db_value for f in fields]
    size = _chunk_size(model)
    done = 0
    last = None
    while True:
        query = model.select(*fields).order_by(pk).limit(size)
        if last is not None:
            query = query.where(pk > last)
        rows = list(query.tuples().execute(source))  # python values, as the models read them
        if not rows:
            break
        if model is PostingDoc and storage.is_postgresql(target):
            rows = [_with_file_bytes(row, fields) for row in rows]
        storage.insert_rows(target, table, [f.column_name for f in fields],
                            [tuple(conv(v) for conv, v in zip(to_db, row, strict=True)) for row in rows])
        done += len(rows)
        last = rows[-1][key_at]
        if progress is not None:
            progress(table, done, total)
        if len(rows) < size:
            break
    if progress is not None and done == 0:
        progress(table, 0, total)
    return done
