"""The Leads page's model over many pages: scrolling down, jumping to the end and back, and the row count that
shows at once and is corrected when leads were deleted."""

from __future__ import annotations

import random

import pytest

from tests.unit.scale.conftest import spread  # noqa: F401  (the fixture)
from ui.models import leads_model
from ui.models.leads_model import ID_ROLE, LeadsModel
from xsc_desktop.leads import LeadFilter
from xsc_desktop.models import database


def _expected(flt: LeadFilter) -> list[int]:
    where, params = flt.where()
    rows = database.execute_sql(f'SELECT id, received_at FROM "lead" WHERE {where}', params).fetchall()
    return [i for _, i in sorted(((r, i) for i, r in rows), reverse=True)]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(leads_model, "PAGE_ROWS", 16)
    monkeypatch.setattr(leads_model, "CACHE_PAGES", 3)


def test_rows_in_any_reading_order_match_the_newest_first_list(spread, small_pages, qtmodeltester, inline_tasks):  # noqa: F811
    model = LeadsModel()
    for flt in [LeadFilter(), LeadFilter(client_id=spread["acme"]), LeadFilter(state="delivered"),
                LeadFilter(text="park")]:
        model.set_filter(flt, background=False)
        expected = _expected(flt)
        assert model.rowCount() == len(expected)
        rng = random.Random(1)
        order = list(range(len(expected)))  # top to bottom, then bottom to top, then jumps anywhere
        for row in order + order[::-1] + [rng.randrange(len(expected)) for _ in range(80)]:
            assert model.data(model.index(row, 0), ID_ROLE) == expected[row], (flt, row)
        assert model.cached_rows() <= 3 * 16
    qtmodeltester.check(model)


def test_the_count_shows_at_once_and_is_corrected_after_deletions(spread, inline_tasks, qtbot):  # noqa: F811
    database.execute_sql('DELETE FROM "lead" WHERE id % 10 = 3')
    expected = _expected(LeadFilter())
    model = LeadsModel()
    counts = []
    model.counted.connect(counts.append)
    model.set_filter(LeadFilter(), background=False)
    assert counts == [len(expected)] and model.rowCount() == len(expected)
    assert [model.data(model.index(r, 0), ID_ROLE) for r in range(len(expected))] == expected
