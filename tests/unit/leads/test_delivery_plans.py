"""Delivery's selections keep to index seeks however large the history: EXPLAIN QUERY PLAN on a database without
planner statistics (as every new database is) and with them, no full scan of lead or delivery, no sort."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest

from tests.helpers.lead_world import add_leads, wire_lander
from xsc_desktop import db, delivery
from xsc_desktop.models import Delivery, Lead, database

ROUTE = SimpleNamespace(integration_id=1, lander_id=1)
QUERIES = {
    "new leads": ("new", "", ()),
    "due retries": ("retry", delivery.RETRY_DUE, ("2026-11-28 09:00:00",)),
    "uncertain with attempts left": ("uncertain", delivery.ATTEMPTS_LEFT, (3,)),
}


def plan(sql: str, params: tuple) -> list[str]:
    return [row[-1] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]


def assert_seeks_only(name: str, details: list[str]) -> None:
    bad = [d for d in details if d.startswith("SCAN ") or "TEMP B-TREE" in d]
    assert not bad, f"{name}: {bad} in {details}"


@pytest.mark.parametrize("statistics", [False, True], ids=["no statistics", "analyzed"])
@pytest.mark.parametrize("name", list(QUERIES))
def test_delivery_selections_seek_and_never_sort(ctx, endpoint, statistics, name):
    if statistics:
        # A history as a busy agency has it: two landers, most leads delivered, a few new or waiting.
        for lander in ("A", "B"):
            integration = wire_lander(endpoint.url("/leads"), name=lander)
            ids = add_leads(integration.lander_id, 200)
            Lead.update(delivery_state="delivered").where(Lead.id << ids[:180]).execute()
            Lead.update(delivery_state="retry").where(Lead.id << ids[180:190]).execute()
            Delivery.insert_many([{"lead": i, "integration": integration.id, "state": "accepted"}
                                  for i in ids[:190]]).execute()
        database.execute_sql("ANALYZE")
    state, condition, extra = QUERIES[name]
    sql, params = delivery._waiting_query(ROUTE, state, 500, None, condition, extra)
    details = plan(sql, params)
    assert_seeks_only(name, details)
    assert any("lead_lander_id_delivery_state_id" in d for d in details)
    if state != "new":
        assert any("delivery_lead_id_integration_id_id" in d for d in details)


def test_an_older_database_gets_the_indexes_and_loses_the_prefixes(data_dir):
    url = db.database_url_for(data_dir)
    db.connect(url)
    database.execute_sql('DROP INDEX "lead_lander_id_delivery_state_id"')
    database.execute_sql('DROP INDEX "delivery_lead_id_integration_id_id"')
    database.execute_sql('CREATE INDEX "lead_lander_id" ON "lead" ("lander_id")')
    database.execute_sql('CREATE INDEX "delivery_lead_id" ON "delivery" ("lead_id")')
    database.execute_sql("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(db.MIGRATIONS.index(db._delivery_indexes)),))
    db.close()
    db.connect(url)
    names = {row[0] for row in database.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"lead_lander_id_delivery_state_id", "delivery_lead_id_integration_id_id"} <= names
    assert not {"lead_lander_id", "delivery_lead_id"} & names
    db.close()
    assert sqlite3.connect(data_dir / "xsc-desktop.sqlite3").execute("PRAGMA integrity_check").fetchone()[0] == "ok"
