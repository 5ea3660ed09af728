"""Half a 1920 screen (960 px wide): the Parsers page fits without sideways scrolling, long titles elide with a
tooltip, menu buttons keep room for their arrow, and icons are drawn sharp at the screen's pixel ratio."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QScrollArea, QToolButton

from ui.theme import apply_theme
from xsc_desktop import demo


@pytest.fixture
def world(window):
    demo.seed(data_dir=window.ctx.data_dir)
    app = QApplication.instance()
    before = app.styleSheet()
    apply_theme(app)  # as the app starts
    yield window
    app.setStyleSheet(before)


def _parsers_at(window, qtbot, width: int):
    window.resize(width, 780)
    page = window.show_page("parsers")
    page.reload() if hasattr(page, "reload") else None
    qtbot.wait(5)
    name = page.list_model.index(0, 0).data() if hasattr(page, "list_model") else None
    page.list_view.selectRow(0)
    qtbot.wait(5)
    return page, name


def test_the_parsers_page_fits_960_without_sideways_scrolling(world, qtbot):
    page, _name = _parsers_at(world, qtbot, 960)
    page.editor.tabs.setCurrentIndex(0)  # Basics: what an operator sees first on picking a parser
    qtbot.wait(5)
    shown = [area for area in page.findChildren(QAbstractScrollArea)
             if area.isVisible() and area.horizontalScrollBar().isVisible()]
    assert not shown, [type(a).__name__ for a in shown]
    assert page.preview.isVisible() and page.preview.width() >= page.preview.minimumSizeHint().width()
    tabs = page.editor.tabs
    for name in ("Mappings", "Static", "Rules", "History"):  # a wide table scrolls its columns, not the section
        tabs.setCurrentIndex([tabs.tabText(i) for i in range(tabs.count())].index(name))
        qtbot.wait(5)
        section = tabs.stack.currentWidget()
        assert not (isinstance(section, QScrollArea) and section.horizontalScrollBar().isVisible()), name


def test_a_long_parser_name_ends_in_an_ellipsis_with_the_full_name_as_tooltip(world, qtbot):
    page, _name = _parsers_at(world, qtbot, 960)
    long_name = "Alvarez Accident Lawyers — Dallas intake with a very long name indeed"
    page.heading.setText(long_name)
    qtbot.wait(5)
    assert page.heading.width() < page.heading.fontMetrics().horizontalAdvance(long_name)
    assert page.heading.text().endswith("…")
    assert page.heading.toolTip() == long_name
    page.heading.setText("Short")
    assert page.heading.text() == "Short" and page.heading.toolTip() == ""


def test_menu_buttons_leave_room_for_their_arrow(world, qtbot):
    for key in ("parsers", "landers", "leads", "outbox"):
        world.show_page(key)
        qtbot.wait(5)
    buttons = [b for b in world.findChildren(QToolButton) if b.menu() is not None and b.text()]
    assert buttons
    for button in buttons:
        text_width = button.fontMetrics().horizontalAdvance(button.text())
        assert button.sizeHint().width() >= text_width + 20, button.text()


def test_navigation_icons_are_drawn_from_the_svg_at_the_screens_pixel_ratio(qtbot):
    from PySide6.QtCore import QByteArray, QSize, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    from resources import resource_path
    from ui.widgets import themed_icon

    icon = themed_icon("icons", "nav", "parsers.svg")
    for logical, ratio in ((16, 2.0), (20, 1.5), (24, 2.0)):
        pixmap = icon.pixmap(QSize(logical, logical), ratio)
        assert (pixmap.width(), pixmap.height()) == (round(logical * ratio),) * 2
        assert pixmap.devicePixelRatio() == ratio
    # the 30-pixel icon of a 150% screen is the SVG drawn at 30 pixels, not a bigger bitmap scaled down
    colour = QApplication.palette().windowText().color().name()
    svg = resource_path("icons", "nav", "parsers.svg").read_text(encoding="utf-8").replace("currentColor", colour)
    direct = QImage(30, 30, QImage.Format.Format_ARGB32_Premultiplied)
    direct.fill(Qt.GlobalColor.transparent)
    painter = QPainter(direct)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(QByteArray(svg.encode("utf-8"))).render(painter)
    painter.end()
    drawn = icon.pixmap(QSize(20, 20), 1.5).toImage().convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    drawn.setDevicePixelRatio(1.0)
    assert drawn == direct
