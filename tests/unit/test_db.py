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
    before = db.SCHEMA_VERSION
    monkeypatch.setattr(db, "MIGRATIONS", [*db.MIGRATIONS, lambda database: calls.append("step")])
    monkeypatch.setattr(db, "SCHEMA_VERSION", len(db.MIGRATIONS))
    database = db.connect(url)
    assert calls == ["step"]
    assert (data_dir / f"xsc-desktop.sqlite3.v{before}.bak").exists()
    assert db.current_version(database) == before + 1
    db.close()


def test_unwritable_data_dir_is_named(tmp_path):
    from xsc_desktop.paths import resolve_data_dir

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match=str(blocker)):
        resolve_data_dir(blocker / "inside")


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
