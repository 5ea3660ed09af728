"""The Landers board's search: typing letter by letter, deleting, status and client filters and header sorts all
show exactly the landers a person would pick out by eye, in the order of the sorted column."""

from __future__ import annotations

import random

from PySide6.QtCore import Qt

from ui.models.landers_model import LandersModel
from xsc_desktop.landers import LanderRow


def _rows(count: int) -> list[LanderRow]:
    rng = random.Random(7)
    rows = []
    for n in range(count):
        client = rng.choice(["Alvarez Law", "Baker & Co", "Chen Legal", "Díaz Partners"])
        rows.append(LanderRow(id=n + 1, client=client, client_id=hash(client) % 97, new_client=False,
                              campaign=rng.choice(["Auto", "Mass tort", "Workers comp"]), name=f"Lander {n}",
                              url=f"https://lp{n}.example/{rng.choice(['auto', 'tort', 'comp'])}",
                              status=rng.choice(["ready", "queued", "integrated", "paused"]), flags=[], flag_note="",
                              handed_over_at=None, updated_at=f"2026-0{1 + n % 9}-{1 + n % 28:02d} 10:00:{n % 60:02d}"))
    return rows


def _expected(rows, text="", status=None, client_id=None, key=lambda r: r.updated_at, reverse=True) -> list[int]:
    words = text.strip().lower().split()
    keep = [r for r in rows
            if all(w in f"{r.client}\n{r.campaign}\n{r.name}\n{r.url}".lower() for w in words)
            and (status is None or r.status == status) and (client_id is None or r.client_id == client_id)]
    return [r.id for r in sorted(keep, key=key, reverse=reverse)]


def _shown(model: LandersModel) -> list[int]:
    return [model.row_at(n).id for n in range(model.rowCount())]


def test_typing_deleting_and_filters_show_the_matching_landers_in_order(qtmodeltester):
    rows = _rows(3000)
    model = LandersModel()
    model.set_rows(rows)
    qtmodeltester.check(model)
    assert _shown(model) == _expected(rows)
    typed = ""
    for letter in "lander 12":  # each keystroke narrows
        typed += letter
        model.set_filter(text=typed)
        assert _shown(model) == _expected(rows, typed), typed
    for _ in range(4):  # backspace widens again
        typed = typed[:-1]
        model.set_filter(text=typed)
        assert _shown(model) == _expected(rows, typed), typed
    for text in ["lp29", "DÍAZ", "tort 7", "auto auto", "zzz", "/", "", "e"]:  # rare, accented, two words, none
        model.set_filter(text=text)
        assert _shown(model) == _expected(rows, text), text
    model.set_filter(text="law", status="paused")
    assert _shown(model) == _expected(rows, "law", status="paused")
    client = rows[0].client_id
    model.set_filter(client_id=client)
    assert _shown(model) == _expected(rows, "law", status="paused", client_id=client)
    model.set_filter(text="law 1")
    assert _shown(model) == _expected(rows, "law 1", status="paused", client_id=client)


def test_a_header_sort_orders_the_filtered_landers_and_the_next_search_keeps_it(qtmodeltester):
    rows = _rows(2000)
    model = LandersModel()
    model.set_rows(rows)
    model.set_filter(text="auto")
    model.sort(2, Qt.SortOrder.AscendingOrder)  # by lander name
    by_name = {"key": lambda r: r.name.lower(), "reverse": False}
    assert _shown(model) == _expected(rows, "auto", **by_name)
    model.set_filter(text="auto 1")
    assert _shown(model) == _expected(rows, "auto 1", **by_name)
    model.set_filter(text="chen")
    assert _shown(model) == _expected(rows, "chen", **by_name)
    qtmodeltester.check(model)
