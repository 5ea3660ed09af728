"""The window follows the desktop: fits 960 px, a dark palette, Tab and Return in tables, navigation icons."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel, QTableView

from ui.main_window import PAGES
from xsc_desktop import demo


@pytest.fixture
def world(window):
    demo.seed(data_dir=window.ctx.data_dir)
    return window


def _every_page(window):
    for key, *_ in PAGES:
        yield key, window.show_page(key)


def test_the_window_fits_half_a_1920_screen(world, qtbot):
    for _key, _page in _every_page(world):
        qtbot.wait(5)
    assert world.minimumSizeHint().width() <= 960
    world.resize(960, 780)
    for key, page in _every_page(world):
        qtbot.wait(5)
        assert world.width() == 960, key
        assert page.width() <= 960 - world.navigation.width(), key


def test_navigation_has_an_icon_for_every_page(world):
    items = [world.navigation.item(i) for i in range(world.navigation.count())]
    assert all(not item.icon().isNull() for item in items)
    assert world.navigation.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff


def test_the_parser_editor_lists_its_sections_instead_of_tabs_with_arrows(world):
    from ui.widgets import SideTabs

    editor = world.show_page("parsers").editor
    assert isinstance(editor.tabs, SideTabs) and editor.tabs.count() >= 7


def test_tab_leaves_every_table_and_return_opens_the_selected_row(world, message_boxes):
    for key, page in _every_page(world):
        views = page.findChildren(QAbstractItemView)
        assert all(not v.tabKeyNavigation() for v in views), key
    board = world.show_page("landers")
    board.reload()
    board.table.selectRow(0)
    board.table.setFocus()
    QTest.keyClick(board.table, Qt.Key.Key_Return)
    assert message_boxes and message_boxes[-1][0] == "exec" and "lander" in message_boxes[-1][1].lower()
    page = world.show_page("outbox")
    page.table.setFocus()
    QTest.keyClick(page.table, Qt.Key.Key_Tab)
    assert not page.table.hasFocus() or QApplication.focusWidget() is not page.table


def _lightness(colour: QColor) -> int:
    return colour.lightness()


def test_a_dark_palette_gives_dark_tables_and_light_headings(qtbot, ctx, inline_tasks):
    from ui.app import create_window
    from ui.theme import apply_theme, dark_palette, style_sheet

    app = QApplication.instance()
    light = app.palette()
    dark_sheet = style_sheet(dark_palette())
    for light_colour in ("#fff4e5", "#f4f6f8", "#f8f9fa", "#ffffff"):
        assert light_colour not in dark_sheet
    demo.seed(data_dir=ctx.data_dir)
    app.setPalette(dark_palette())
    apply_theme(app)
    window = create_window(ctx, app)
    qtbot.addWidget(window)
    try:
        window.resize(1280, 780)
        window.show()
        for key, page in _every_page(window):
            qtbot.wait(5)
            for table in page.findChildren(QTableView):
                if table.isVisibleTo(page):
                    assert _lightness(table.palette().color(table.viewport().backgroundRole())) < 80, key
            titles = [w for w in page.findChildren(QLabel) if w.property("role") == "page-title"]
            for title in titles:
                assert _lightness(title.palette().color(title.foregroundRole())) > 170, key
        board = window.show_page("landers")
        board.reload()
        image = board.table.viewport().grab().toImage()
        corner = image.pixelColor(image.width() - 3, image.height() - 3)
        assert corner.lightness() < 80  # an empty part of the table: no white table under a dark palette
    finally:
        from tests.gui.conftest import close_window

        close_window(window)
        app.setPalette(light)
        apply_theme(app)


def test_a_notification_opens_what_it_is_about(world):
    world.notifications.notify("Leads imported", "3 new leads from a.csv.", page="leads")
    world.notifications.notify("Integration failed", "Auto TX: HTTP 500")
    world.show_page("settings")
    world._fill_bell_menu()
    actions = world.bell_menu.actions()
    integration = next(a for a in actions if "Integration failed" in a.text())
    integration.trigger()
    assert world.current_page_key() == "queue"
    next(a for a in actions if "Leads imported" in a.text()).trigger()
    assert world.current_page_key() == "leads"


@pytest.mark.parametrize("width", [1280, 960])
def test_the_report_preview_shows_ten_rows_at_the_default_size(world, qtbot, width):
    world.resize(width, 780)
    page = world.show_page("spreadsheets")
    page.reload()
    qtbot.waitUntil(lambda: page.preview_model.rowCount() >= 10, timeout=10000)
    view = page.preview_view
    rows = view.viewport().height() // view.verticalHeader().defaultSectionSize()
    assert rows >= 10
