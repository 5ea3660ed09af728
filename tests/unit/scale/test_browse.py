"""Reading the Leads page: every way of reaching a page (seek after, seek before, jump from either end) yields the
same rows in the same newest-first order, for every filter."""

from __future__ import annotations

from datetime import datetime

import pytest

from xsc_desktop import leads
from xsc_desktop.leads import LeadFilter, count_leads, lead_page, row_key


def _expected(flt: LeadFilter) -> list[int]:
    where, params = flt.where()
    from xsc_desktop.models import database

    rows = database.execute_sql(f'SELECT id, received_at FROM "lead" WHERE {where}', params).fetchall()
    return [i for _, i in sorted(((r, i) for i, r in rows), reverse=True)]


def _filters(spread) -> list[LeadFilter]:
    lander = spread["landers"][1]
    return [LeadFilter(), LeadFilter(lander_id=lander), LeadFilter(state="failed"),
            LeadFilter(lander_id=lander, state="delivered"), LeadFilter(client_id=spread["acme"]),
            LeadFilter(client_id=spread["acme"], state="new"),
            LeadFilter(since=datetime(2026, 3, 1, 10, 3), until=datetime(2026, 3, 1, 10, 9)),
            LeadFilter(since=datetime(2026, 3, 1, 10, 3), state="delivered"), LeadFilter(text="okafor")]


@pytest.mark.parametrize("page", [1, 7, 64])
def test_every_way_to_a_page_reads_the_same_rows(spread, page):
    for flt in _filters(spread):
        expected = _expected(flt)
        assert count_leads(flt) == len(expected) > 0
        # Walk down by seeking after each page's last row.
        walked, rows = [], lead_page(flt, page)
        while rows:
            walked += [r[0] for r in rows]
            rows = lead_page(flt, page, after=row_key(rows[-1]))
        assert walked == expected, flt
        # Walk up from the bottom by seeking before each page's first row.
        up, rows = [], lead_page(flt, page, from_end=True)
        while rows:
            up = [r[0] for r in rows] + up
            rows = lead_page(flt, page, before=row_key(rows[0]))
        assert up == expected, flt
        # Jumps from the top and from the bottom land on the same rows.
        for first in range(0, len(expected), max(1, len(expected) // 5)):
            size = min(page, len(expected) - first)
            assert [r[0] for r in lead_page(flt, size, offset=first)] == expected[first:first + size]
            from_bottom = len(expected) - first - size
            assert [r[0] for r in lead_page(flt, size, offset=from_bottom, from_end=True)] == \
                expected[first:first + size]


def test_lander_counts_split_the_landers_leads(spread):
    lander = spread["landers"][2]
    counts = leads.lander_counts(lander, now=datetime(2026, 3, 1, 12))
    states = [s for (s,) in leads.database.execute_sql(f'SELECT delivery_state FROM "lead" WHERE lander_id = {leads.database.param}',
                                                       (lander,))]
    assert counts["total"] == len(states)
    assert counts["delivered"] == states.count("delivered")
    assert counts["failed"] == states.count("failed")
    assert counts["pending"] == states.count("new")
