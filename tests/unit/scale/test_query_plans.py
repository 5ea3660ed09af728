"""The hot read paths stay on indexes: every statement the Leads page, the lander counts and a "since the last
report" report run against `lead` or `delivery` is caught as it is executed (SQLite's trace hook on the real code
paths) and its EXPLAIN QUERY PLAN must hold no full scan of those tables and no temporary B-tree sort — both with no
planner statistics and with the statistics of a five-million-lead database."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime

import pytest

from xsc_desktop import leads, sheets
from xsc_desktop.leads import LeadFilter, lead_page, row_key
from xsc_desktop.models import database

# sqlite_stat1 rows as ANALYZE wrote them for the benchmark's 5,000,000 leads over 200 landers (rounded).
BIG_STATS = {
    "lead_lander_id_delivery_state_id": "5000000 25000 3000 1",
    "lead_lander_id_external_id": "5000000 25000 1",
    "lead_lander_id_received_at": "5000000 25000 2",
    "lead_received_at": "5000000 1",
    "lead_delivery_state": "5000000 560000",
    "lead_delivery_state_received_at": "5000000 560000 1",
    "lead_email": "5000000 1",
    "lead_phone": "5000000 1",
    "lead_last_name": "5000000 500",
    "delivery_lead_id_integration_id_id": "5000000 2 2 1",
    "delivery_lead_id_attempt": "5000000 2 1",
    "delivery_integration_id": "5000000 25000",
    "delivery_integration_id_state_created_at": "5000000 25000 5000 2",
    "delivery_state": "5000000 1000000",
}
HOT_TABLES = re.compile(r'\b(lead|delivery)\b', re.I)
FULL_SCAN = re.compile(r"^SCAN (lead|delivery|l|d)\b")
SORT = re.compile(r"USE TEMP B-TREE FOR (ORDER BY|GROUP BY|RIGHT PART OF ORDER BY|LAST TERM OF ORDER BY)")
# The one statement that must read every lead: the unfiltered count, from the smallest index (SQLite's count path).
WHOLE_COUNT = 'SELECT COUNT(*) FROM "lead" WHERE 1 = 1'


@contextmanager
def traced():
    """Every SQL statement this thread's connection runs inside the block, with its values filled in."""
    seen: list[str] = []
    connection = database.connection()
    connection.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        connection.set_trace_callback(None)


def _problems(statements: list[str]) -> list[str]:
    problems = []
    for sql in dict.fromkeys(statements):
        head = sql.lstrip().split(None, 1)[0].upper()
        if head not in ("SELECT", "WITH") or not HOT_TABLES.search(sql) or sql.strip() == WHOLE_COUNT:
            continue
        plan = [row[3] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql)]
        bad = [step for step in plan if FULL_SCAN.search(step) or SORT.search(step)]
        if bad:
            problems.append(f"{sql}\n    -> {bad}")
    return problems


@pytest.fixture(params=["no statistics", "statistics of 5M leads"])
def planner(request, spread):
    """The same database with no planner statistics, then with those of a big one."""
    database.execute_sql("DROP TABLE IF EXISTS sqlite_stat1")
    if request.param != "no statistics":
        database.execute_sql("ANALYZE sqlite_schema")  # creates sqlite_stat1
        database.execute_sql("DELETE FROM sqlite_stat1")
        for index, stat in BIG_STATS.items():
            table = "delivery" if index.startswith("delivery") else "lead"
            database.execute_sql("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", (table, index, stat))
        database.execute_sql("ANALYZE sqlite_schema")  # reloads the statistics
    database.close()  # a new connection plans with exactly these statistics
    database.connect()
    return spread


def test_leads_page_filters_counts_and_paging_use_indexes(planner):
    acme, lander = planner["acme"], planner["landers"][1]
    filters = [LeadFilter(), LeadFilter(lander_id=lander), LeadFilter(state="failed"),
               LeadFilter(lander_id=lander, state="delivered"), LeadFilter(client_id=acme),
               LeadFilter(client_id=acme, state="new"), LeadFilter(since=datetime(2026, 3, 1, 10, 3)),
               LeadFilter(since=datetime(2026, 3, 1, 10, 3), until=datetime(2026, 3, 1, 10, 9), state="failed"),
               LeadFilter(lander_id=lander, since=datetime(2026, 3, 1, 10, 3)), LeadFilter(text="okafor"),
               LeadFilter(text="p1", lander_id=lander), LeadFilter(text="okafor", client_id=acme)]
    with traced() as statements:
        for flt in filters:
            leads.count_leads(flt)
            leads.count_quickly(flt)
            first = lead_page(flt, 50)  # the page as it opens
            lead_page(flt, 50, after=row_key(first[-1]))  # scrolling down
            last = lead_page(flt, 50, from_end=True)  # jump to the end
            lead_page(flt, 50, before=row_key(last[0]))  # scrolling up from there
            if flt.client_id is None:
                lead_page(flt, 50, offset=60)  # a jump into the middle, counted from the nearer end
                lead_page(flt, 50, offset=60, from_end=True)
    assert len(statements) > 40
    assert _problems(statements) == []


def test_lander_counts_use_an_index(planner):
    with traced() as statements:
        leads.lander_counts(planner["landers"][0])
    assert statements
    assert _problems(statements) == []


def test_a_since_last_report_reads_by_index(planner, tmp_path):
    lander = planner["landers"][2]
    now = datetime(2026, 3, 2, 5)
    [first] = sheets.run_report(lander_id=lander, out_dir=tmp_path, since_last=True, now=now)
    database.execute_sql("INSERT INTO lead (lander_id, external_id, received_at, custom, is_test, problems, "
                         "delivery_state) SELECT lander_id, 'N' || id, '2026-03-02 04:00:00', '{}', 0, '', 'new' "
                         "FROM lead WHERE lander_id = ? ORDER BY id LIMIT 30", (lander,))
    with traced() as statements:
        [run] = sheets.run_report(lander_id=lander, out_dir=tmp_path, since_last=True, now=now.replace(day=3))
        sheets.run_report(client_id=planner["acme"], out_dir=tmp_path, since_last=True, now=now.replace(day=3))
    assert first.state == run.state == "done" and run.rows == 30
    assert any("l.id >" in sql for sql in statements)  # it really was a "since the last report" read
    assert _problems(statements) == []


def test_delivery_rules_count_and_select_by_index_only(planner):
    """A pass over an integration with caps, client-wide caps, pacing and capped leads: the window counts read
    only the covering index delivery (integration_id, state, created_at); capped leads are seeks in lead order."""
    from types import SimpleNamespace

    from xsc_desktop import delivery, delivery_gate
    from xsc_desktop.delivery_rules import Caps, DeliveryRules

    lander = planner["landers"][0]
    now = datetime(2026, 3, 4, 15, 30)
    rules = DeliveryRules(caps=Caps(hour=5, day=25, week=100, month=400), client_caps=Caps(day=60),
                          time_zone="America/Chicago", posts_per_minute=30)
    gate = delivery_gate.Gate(1, lander, "lander", rules, client_id=planner["acme"], now=now, client_ids=[1, 2, 3])
    with traced() as statements:
        gate.expire_capped()
        gate.opens()  # counts and pacing
        delivery_gate._cap_new_leads(lander, "Cap of 5 an hour reached")  # at a cap: the new leads wait
        gate.counts()
        delivery_gate.count_recent(1, now.replace(second=0))
        list(database.execute_sql(*delivery._waiting_query(SimpleNamespace(integration_id=1, lander_id=lander),
                                                           "capped", 500, None)))
    counts = [sql for sql in statements if 'FROM "delivery"' in sql]
    assert len(counts) >= 3 and sum('FROM "lead"' in sql for sql in statements) >= 3
    assert _problems(statements) == []
    for sql in counts:
        plan = " ".join(row[3] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql))
        assert "COVERING INDEX delivery_integration_id_state_created_at" in plan, plan


def test_the_check_catches_a_full_scan_and_a_sort(planner):
    """The checker itself: a query with no usable index, and one sorted outside an index, are both reported."""
    with traced() as statements:
        list(database.execute_sql("SELECT id FROM lead WHERE custom LIKE '%x%'"))
        list(database.execute_sql("SELECT id FROM lead WHERE lander_id = 1 ORDER BY email"))
    assert len(_problems(statements)) == 2
