"""No internal key on screen: walk the widget tree of every page and dialog and read what a person sees."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTabWidget,
    QWidget,
)

from xsc_desktop import demo

# snake_case identifiers (first_name, needs_info, report_schedule) and Python reprs ({'a': 1}, ['x'], <Foo object
# at 0x...>, datetime.datetime(...)). Placeholders the operator types ({lander_url}), URLs and addresses are words
# of their own and are left out before looking.
SNAKE = re.compile(r"(?<![\w./@{-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w}(])")
REPR = re.compile(r"\{'|\['|'\]|'\}| object at 0x|datetime\.\w+\(|(?:[:=] ?|\()(?:None|True|False)\b")
NOT_WORDS = re.compile(r"\{\w+\}|https?://\S+|\S+@\S+|\S+\.(?:csv|xlsx|json|jsonl|pdf|txt|log|sqlite3)\b|/\S+")
ROWS_READ = 40


def offending(text: str) -> list[str]:
    """The internal keys and reprs in a text a person reads."""
    plain = NOT_WORDS.sub(" ", text)
    return SNAKE.findall(plain) + REPR.findall(plain)


def _model_texts(view: QAbstractItemView, where: str):
    from PySide6.QtCore import QModelIndex

    model = view.model()
    if model is None:
        return
    from PySide6.QtWidgets import QListView

    columns = 1 if isinstance(view, QListView) else model.columnCount(QModelIndex())
    if hasattr(view, "horizontalHeader") and view.horizontalHeader() is not None:
        for column in range(columns):
            if not view.isColumnHidden(column):
                yield f"{where} header", str(model.headerData(column, Qt.Orientation.Horizontal) or "")
    free = getattr(model, "FREE_TEXT_COLUMNS", ())  # the client's own field names, the operator's values
    for row in range(min(model.rowCount(QModelIndex()), ROWS_READ)):
        for column in range(columns):
            if (hasattr(view, "isColumnHidden") and view.isColumnHidden(column)) or column in free:
                continue
            value = model.index(row, column).data(Qt.ItemDataRole.DisplayRole)
            if isinstance(value, str):
                yield f"{where} cell {row},{column}", value


def visible_texts(root: QWidget):
    """(where, text) of every label, button, group title, tab, list, table header and cell a person can see."""
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisibleTo(root) and widget is not root:
            continue
        name = type(widget).__name__
        if widget.property("free_text"):  # the operator's own text (parser field names, JSON)
            continue
        if isinstance(widget, QLabel):
            yield name, widget.text()
        elif isinstance(widget, QAbstractButton):
            yield name, widget.text()
        elif isinstance(widget, QGroupBox):
            yield name, widget.title()
        elif isinstance(widget, QTabWidget):
            for i in range(widget.count()):
                yield f"{name} tab", widget.tabText(i)
        elif isinstance(widget, QComboBox) and not widget.isEditable():
            for i in range(widget.count()):
                yield f"{name} item", widget.itemText(i)
        elif isinstance(widget, QAbstractItemView) and not isinstance(widget, QHeaderView):
            yield from _model_texts(widget, name)


def _bad(root: QWidget) -> list[str]:
    return [f"{where}: {text!r} has {found}" for where, text in visible_texts(root) if (found := offending(text))]


def test_the_checker_catches_keys_and_reprs():
    assert offending("Status: needs_info") == ["needs_info"]
    assert offending("{'a': 1}") and offending("Saved: operator.email, smtp.host") == []
    assert offending("Template uses {lander_url} and https://x.example/a_b") == []
    assert offending("None (plain)") == [] and offending("None") == [] and offending("value: None")


@pytest.fixture
def world(window):
    demo.seed(data_dir=window.ctx.data_dir)
    return window


def test_no_page_shows_an_internal_key(world, qtbot):
    from ui.main_window import PAGES

    problems = []
    for key, *_ in PAGES:
        page = world.show_page(key)
        qtbot.wait(10)
        problems += [f"{key} page, {p}" for p in _bad(page)]
    board = world.page("landers")
    board.select_lander(board.model.row_at(0).id)
    problems += [f"lander pane, {p}" for p in _bad(board.detail)]
    parsers = world.show_page("parsers")
    parsers.ask_unsaved = lambda: "discard"
    for name, preset in (("captorra", True), ("Alvarez Accident Lawyers (Generic JSON)", False)):
        parsers.select_parser(name, is_preset=preset)
        for index in range(parsers.editor.tabs.count()):
            parsers.editor.tabs.setCurrentIndex(index)
            problems += [f"parser {name} tab {index}, {p}" for p in _bad(parsers)]
    assert problems == [], "\n".join(problems)


def test_no_dialog_shows_an_internal_key(world, qtbot):
    from ui.dialogs.client_dialog import ClientDialog, load_client
    from ui.dialogs.integration_dialog import IntegrationDialog, load_state
    from ui.dialogs.lander_dialog import LanderDialog
    from xsc_desktop.models import Client, Lander

    lander = Lander.select().first()
    dialogs = [ClientDialog(load_client(Client.select().first().id), world),
               IntegrationDialog(load_state(lander.id), world), LanderDialog(world)]
    problems = []
    for dialog in dialogs:
        dialog.show()
        problems += [f"{type(dialog).__name__}, {p}" for p in _bad(dialog)]
        dialog.close()
    assert problems == [], "\n".join(problems)


def test_the_lead_pane_names_fields_in_words(world):
    from xsc_desktop.models import Lead

    lead = Lead.select().where(Lead.first_name.is_null(False)).first()
    page = world.show_page("leads")
    page.detail.show_lead(lead.id)
    text = page.detail.fields.text()
    assert "First name" in text and "first_name" not in text
    assert _bad(page.detail) == []


def test_more_dialogs_speak_in_words(world, tmp_path, samples):
    from ui.dialogs.report_schedule_dialog import ReportScheduleDialog
    from ui.dialogs.transform_chain_dialog import TransformChainDialog
    from ui.pages.leads_page import MappingDialog
    from xsc_desktop.leads import lander_names, preview_file
    from xsc_desktop.models import Lander
    from xsc_desktop.parsers_store import get_parser

    lander = Lander.select().first()
    spec = get_parser("captorra")
    mapping = next(m for m in spec.mappings if m.transforms)
    transforms = TransformChainDialog(mapping.transforms, mapping.target, "2145550100", parent=world)
    names = lander_names()
    dialogs = [MappingDialog(preview_file(samples / "leads" / "leads_utf8_bom.csv", lander.id), names, lander.id,
                             world, integrated={lander.id}),
               ReportScheduleDialog(world, targets=[("Alvarez — Auto — Main (#1)", "lander:1")],
                                    templates=["Generic"], default_dir=str(tmp_path)),
               transforms]
    problems = []
    for dialog in dialogs:
        dialog.show()
        problems += [f"{type(dialog).__name__}, {p}" for p in _bad(dialog)]
        dialog.close()
    assert "'" not in transforms.try_output.text()
    assert problems == [], "\n".join(problems)


def test_the_attempt_log_shows_times_on_the_operators_clock(monkeypatch):
    from ui.models.queue_model import format_log

    monkeypatch.setenv("XSC_TIMEZONE", "America/Chicago")
    text = format_log([{"at": "2026-12-04T15:41:30Z", "attempt": 1, "request": {"method": "POST", "url": "u"},
                        "status": 200, "outcome": "accepted", "elapsed_ms": 5}])
    assert "2026-12-04 09:41:30" in text and "15:41" not in text and "T15" not in text
