"""Opening the database: schema version, migration backup, and files that must never be overwritten."""

from __future__ import annotations

import pytest

from xsc_desktop import db
from xsc_desktop.errors import UserError
from xsc_desktop.models import Meta


def test_new_database_gets_the_current_schema_version(data_dir):
    url = db.database_url_for(data_dir)
    database = db.connect(url)
    assert db.current_version(database) == db.SCHEMA_VERSION
    assert database.execute_sql("pragma journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("pragma foreign_keys").fetchone()[0] == 1
    db.close()


def test_newer_database_is_refused_and_left_alone(data_dir):
    url = db.database_url_for(data_dir)
    db.connect(url)
    Meta.update(value=str(db.SCHEMA_VERSION + 5)).where(Meta.key == "schema_version").execute()
    db.close()
    before = (data_dir / "xsc-desktop.sqlite3").read_bytes()
    with pytest.raises(UserError, match="newer XSC Desktop"):
        db.connect(url)
    assert (data_dir / "xsc-desktop.sqlite3").read_bytes() == before


def test_corrupt_file_is_refused_and_left_alone(data_dir):
    path = data_dir / "xsc-desktop.sqlite3"
    path.write_bytes(b"this is not a database" * 200)
    with pytest.raises(UserError, match="damaged"):
        db.connect(db.database_url_for(data_dir))
    assert path.read_bytes() == b"this is not a database" * 200


def test_migration_backs_up_the_file_first(data_dir, monkeypatch):
    url = db.database_url_for(data_dir)
    db.connect(url)
    db.close()
    calls = []
    monkeypatch.setattr(db, "MIGRATIONS", [*db.MIGRATIONS, lambda database: calls.append("step")])
    monkeypatch.setattr(db, "SCHEMA_VERSION", len(db.MIGRATIONS))
    before = db.SCHEMA_VERSION - 1
    database = db.connect(url)
    assert calls == ["step"]
    assert (data_dir / f"xsc-desktop.sqlite3.v{before}.bak").exists()
    assert db.current_version(database) == db.SCHEMA_VERSION
    db.close()


def test_unwritable_data_dir_is_named(tmp_path):
    from xsc_desktop.paths import resolve_data_dir

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match=str(blocker)):
        resolve_data_dir(blocker / "inside")


def _database_from_before_the_read_indexes(data_dir, leads: int = 0) -> int:
    """A database as the version before the read-index step left it: returns that version."""
    from xsc_desktop.models import database as proxy

    database = db.connect(db.database_url_for(data_dir))
    before = db.MIGRATIONS.index(db._read_indexes)
    for name, _target in db.READ_INDEXES:
        database.execute_sql(f'DROP INDEX "{name}"')
    database.execute_sql('CREATE INDEX "task_lander_id" ON "task" ("lander_id")')
    if leads:
        database.execute_sql("INSERT INTO client (name, contacts, is_new, notes, created_at) "
                             "VALUES ('Acme Law', '[]', 0, '', '2026-01-01')")
        database.execute_sql("INSERT INTO campaign (client_id, name, case_type) VALUES (1, 'Auto', '')")
        database.execute_sql("INSERT INTO lander (campaign_id, name, url, status, flags, flag_note, missing_info, "
                             "created_at, updated_at) VALUES (1, 'L', 'https://l.example/', 'integrated', '', '', "
                             "'[]', '2026-01-01', '2026-01-01')")
        with proxy.atomic():
            database.cursor().executemany(
                "INSERT INTO lead (lander_id, external_id, received_at, custom, is_test, problems, delivery_state, "
                "email) VALUES (1, ?, ?, '{}', 0, '', 'new', ?)",
                [(f"E{n}", f"2026-01-01 {n % 24:02d}:00:00", f"p{n}@example.com" + "x" * 200) for n in range(leads)])
    Meta.update(value=str(before)).where(Meta.key == "schema_version").execute()
    db.close()
    return before


def _index_names(database) -> set[str]:
    return {row[0] for row in database.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_database_from_before_gets_the_read_indexes_after_its_backup(data_dir):
    before = _database_from_before_the_read_indexes(data_dir, leads=50)
    said = []
    database = db.connect(db.database_url_for(data_dir), progress=said.append)
    names = _index_names(database)
    assert {"lead_received_at", "lead_delivery_state_received_at"} <= names
    assert "task_lander_id" not in names
    assert database.execute_sql("SELECT COUNT(*) FROM lead").fetchone()[0] == 50
    assert any("Building index 1 of 2" in line for line in said)
    backup = data_dir / f"xsc-desktop.sqlite3.v{before}.bak"
    import sqlite3

    with sqlite3.connect(backup) as old:  # the backup is the database as it was, without the new indexes
        old_names = {row[0] for row in old.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "lead_received_at" not in old_names and "task_lander_id" in old_names
    assert database.table_exists("sqlite_stat1")  # statistics for the query planner from the first open
    db.close()


def test_disk_too_small_for_the_indexes_is_one_sentence_and_the_database_stays(data_dir, monkeypatch):
    before = _database_from_before_the_read_indexes(data_dir, leads=3000)
    import sqlite3

    with sqlite3.connect(data_dir / "xsc-desktop.sqlite3") as probe:
        pages = probe.execute("PRAGMA page_count").fetchone()[0]
    # SQLite's own page cap stands in for a full disk: writing past it fails exactly as a full disk does.
    monkeypatch.setitem(db.SQLITE_PRAGMAS, "max_page_count", pages + 3)
    with pytest.raises(UserError, match="not enough free disk space.*left as it was"):
        db.connect(db.database_url_for(data_dir))
    monkeypatch.delitem(db.SQLITE_PRAGMAS, "max_page_count")
    with sqlite3.connect(data_dir / "xsc-desktop.sqlite3") as after:
        assert after.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(before)
        assert after.execute("SELECT COUNT(*) FROM lead").fetchone()[0] == 3000
        names = {row[0] for row in after.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "lead_received_at" not in names and "task_lander_id" in names
    database = db.connect(db.database_url_for(data_dir))  # with room again, the same file migrates
    assert "lead_received_at" in _index_names(database)


def test_a_database_from_before_client_time_zones_gets_the_column(data_dir):
    url = db.database_url_for(data_dir)
    database = db.connect(url)
    database.execute_sql("ALTER TABLE client DROP COLUMN time_zone")
    from xsc_desktop.models import Meta

    Meta.update(value=str(db.MIGRATIONS.index(db._client_time_zone))).where(Meta.key == "schema_version").execute()
    db.close()
    database = db.connect(url)
    assert "time_zone" in {c.name for c in database.get_columns("client")}
    assert db.current_version(database) == db.SCHEMA_VERSION
    db.close()
