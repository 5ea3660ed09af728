"""Small widgets every page uses: the status chip delegate, page headers, plain error messages."""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QLabel, QMessageBox, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ui.theme import STATUS_COLOURS
from xsc_desktop.errors import UserError


class ChipDelegate(QStyledItemDelegate):
    """Paints a cell's text as a rounded coloured chip, the colour chosen by the status in `status_role`."""

    def __init__(self, status_role: int, colours: dict[str, tuple[str, str]] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.status_role = status_role
        self.colours = {k: (QColor(bg), QColor(fg)) for k, (bg, fg) in (colours or STATUS_COLOURS).items()}
        self._chips: dict[tuple, QPixmap] = {}  # each chip drawn once: antialiased shapes and text cost per cell

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        status = index.data(self.status_role)
        if not text:
            super().paint(painter, option, index)
            return
        # The row's own background first (selected, hovered, or tinted like a new client's row), then the chip.
        panel = QStyleOptionViewItem(option)
        self.initStyleOption(panel, index)
        panel.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, panel, painter, option.widget)
        bg, fg = self.colours.get(status, (option.palette.color(QPalette.ColorRole.Button),
                                           option.palette.color(QPalette.ColorRole.ButtonText)))
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        key = (text, bg.rgba(), fg.rgba(), option.font.key(), option.rect.height(), ratio)
        chip = self._chips.get(key)
        if chip is None:
            if len(self._chips) > 256:
                self._chips.clear()
            chip = self._chips[key] = self._chip(text, bg, fg, option, ratio)
        painter.drawPixmap(option.rect.x() + 4,
                           option.rect.y() + round((option.rect.height() - chip.height() / ratio) / 2), chip)

    @staticmethod
    def _chip(text: str, bg: QColor, fg: QColor, option: QStyleOptionViewItem, ratio: float) -> QPixmap:
        """One chip on a transparent pixmap."""
        metrics = QFontMetrics(option.font)
        width = metrics.horizontalAdvance(text) + 16
        height = min(option.rect.height() - 6, metrics.height() + 6)
        chip = QPixmap(round(width * ratio), round(height * ratio))
        chip.setDevicePixelRatio(ratio)
        chip.fill(Qt.GlobalColor.transparent)
        painter = QPainter(chip)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(option.font)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        rect = QRectF(0, 0, width, height)
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(fg)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
        return chip

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 20, max(size.height(), 24))


def page_title(text: str) -> QLabel:
    """The large title at the top of a page."""
    label = QLabel(text)
    label.setProperty("role", "page-title")
    return label


def hint(text: str) -> QLabel:
    """A grey explanatory line."""
    label = QLabel(text)
    label.setProperty("role", "hint")
    label.setWordWrap(True)
    return label


def error_sentence(error: BaseException | str) -> str:
    """The sentence to show for an error: a UserError's own text; anything else is logged with its traceback
    and summed up, since its raw text means nothing to an operator (and might carry a URL with a key)."""
    if isinstance(error, str | UserError):
        return str(error)
    if connection_lost(error):
        from xsc_desktop import reconnect

        return reconnect.sentence(error)
    from xsc_desktop.faults import user_error

    known = user_error(error)  # a locked or damaged database, a full disk
    if known is not None:
        return str(known)
    logging.getLogger("ui").error("Unexpected error", exc_info=(type(error), error, error.__traceback__))
    return (f"Something unexpected went wrong ({type(error).__name__}); nothing was lost. "
            "Try again, and if it happens again send the log file (Help > Open log folder) to the developers.")


def rich_escape(text: object) -> str:
    """Text made safe inside a rich-text label: &, < and > escaped, line breaks kept."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")


def connection_lost(error: BaseException | str) -> bool:
    """Whether an error only means the database server cannot be reached right now (the banner says so)."""
    if isinstance(error, str | UserError):
        return False
    from xsc_desktop import reconnect

    return reconnect.lost(error)


def show_error(parent: QWidget | None, title: str, error: BaseException | str) -> None:
    """Tell the operator in one plain sentence what happened and what to do. While the database server cannot be
    reached the window's banner says so already: the sentence goes to the status bar instead of a box per page."""
    if connection_lost(error):
        window = parent.window() if parent is not None else None
        if window is not None and hasattr(window, "status_message"):
            window.status_message(f"{title}: {error_sentence(error)}", 8000)
        return
    QMessageBox.warning(parent, title, error_sentence(error))


def changed_elsewhere(error: BaseException) -> bool:
    """Whether an error is an edit refused because someone else saved the same thing first."""
    from xsc_desktop.rowversion import ChangedElsewhere

    return isinstance(error, ChangedElsewhere)


def offer_reload(parent: QWidget | None, title: str, error: BaseException) -> bool:
    """Say who changed it and when, and offer Reload (the default) or Cancel; True when the operator reloads."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, error_sentence(error), QMessageBox.StandardButton.Cancel,
                      parent)
    box.setObjectName("changedElsewhere")
    reload = box.addButton("Reload", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(reload)
    box.exec()
    return box.clickedButton() is reload


def table_keys(table, open_row=None) -> None:  # a QAbstractItemView
    """Desktop keys for a table: Tab moves on to the next control, Return (and Enter) opens the selected row."""
    from PySide6.QtGui import QKeySequence, QShortcut

    table.setTabKeyNavigation(False)
    if open_row is None:
        return
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        shortcut = QShortcut(QKeySequence(key), table)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(open_row)


def add_reveal(line) -> None:
    """A secret's field: typed characters hidden, an eye at its end (in the palette's text colour) shows them."""
    from PySide6.QtWidgets import QLineEdit

    line.setEchoMode(QLineEdit.EchoMode.Password)
    reveal = line.addAction(themed_icon("icons", "eye.svg", palette=line.palette()),
                            QLineEdit.ActionPosition.TrailingPosition)
    reveal.setObjectName("reveal")
    reveal.setToolTip("Show or hide")
    reveal.triggered.connect(lambda: line.setEchoMode(
        QLineEdit.EchoMode.Normal if line.echoMode() == QLineEdit.EchoMode.Password else QLineEdit.EchoMode.Password))


def themed_icon(*parts: str, palette: QPalette | None = None) -> QIcon:
    """A bundled line icon (SVG drawn with currentColor) in the palette's text colour, drawn from the SVG at the
    size and pixel ratio asked for (150%, 200% screens), never a scaled bitmap."""
    from PySide6.QtGui import QGuiApplication

    from resources import resource_path

    palette = palette or QGuiApplication.palette()
    colour = palette.color(QPalette.ColorRole.WindowText).name()
    svg = resource_path(*parts).read_text(encoding="utf-8").replace("currentColor", colour)
    return QIcon(_SvgIconEngine(svg.encode("utf-8")))


class _SvgIconEngine(QIconEngine):
    """Renders one SVG at every size and device pixel ratio asked for."""

    def __init__(self, data: bytes) -> None:
        from PySide6.QtSvg import QSvgRenderer

        super().__init__()
        self._data = data
        self._renderer = QSvgRenderer(QByteArray(data))

    def paint(self, painter: QPainter, rect: QRect, _mode, _state) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._renderer.render(painter, QRectF(rect))
        painter.restore()

    def pixmap(self, size: QSize, mode, state) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode, state, scale: float) -> QPixmap:
        pixmap = QPixmap(QSize(round(size.width() * scale), round(size.height() * scale)))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self.paint(painter, QRect(0, 0, pixmap.width(), pixmap.height()), mode, state)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._data)

    def isNull(self) -> bool:
        return not self._renderer.isValid()


class SideTabs(QWidget):
    """Sections picked from a narrow list on the left (instead of tabs that grow scroll arrows when the window is
    narrow); the tab widget's calls that pages use: addTab, count, indexOf, setCurrentIndex/Widget, tooltips."""

    def __init__(self, parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QHBoxLayout, QListWidget, QStackedWidget

        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("side-tabs")
        self.list.setFixedWidth(118)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setTabKeyNavigation(False)
        self.stack = QStackedWidget()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.list)
        layout.addWidget(self.stack, 1)
        self.list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self._sections: list[QWidget] = []  # the widgets as added (a wide one sits in a scroll area)

    def setDocumentMode(self, _on: bool) -> None:  # the tab widget's name
        """Nothing to do: kept so the list stands in for a QTabWidget."""

    def addTab(self, widget: QWidget, text: str) -> int:
        """Add a section; "&&" in the text is a plain "&" (as on a tab). A section wider than the room scrolls."""
        from PySide6.QtWidgets import QAbstractScrollArea, QFrame, QScrollArea

        self.list.addItem(text.replace("&&", "&"))
        # as narrow as the longest name allows, so the section beside it keeps the room
        frame = 2 * self.list.frameWidth() + 14
        self.list.setFixedWidth(max(72, min(118, self.list.sizeHintForColumn(0) + frame)))
        shown = widget
        if not isinstance(widget, QAbstractScrollArea):
            shown = QScrollArea()
            shown.setWidgetResizable(True)
            shown.setFrameShape(QFrame.Shape.NoFrame)
            shown.setWidget(widget)
        self._sections.append(widget)
        index = self.stack.addWidget(shown)
        if self.list.currentRow() < 0:
            self.list.setCurrentRow(0)
        return index

    def count(self) -> int:
        """How many sections."""
        return self.stack.count()

    def indexOf(self, widget: QWidget) -> int:
        """The index of a section's widget, or -1."""
        return self._sections.index(widget) if widget in self._sections else -1

    def currentIndex(self) -> int:
        """The section shown."""
        return self.stack.currentIndex()

    def currentWidget(self) -> QWidget:
        """The widget of the section shown."""
        index = self.stack.currentIndex()
        return self._sections[index] if 0 <= index < len(self._sections) else None

    def setCurrentIndex(self, index: int) -> None:
        """Show a section."""
        self.list.setCurrentRow(index)

    def setCurrentWidget(self, widget: QWidget) -> None:
        """Show the section of a widget."""
        self.setCurrentIndex(self.indexOf(widget))

    def tabText(self, index: int) -> str:
        """A section's name."""
        item = self.list.item(index)
        return item.text() if item is not None else ""

    def setTabToolTip(self, index: int, tip: str) -> None:
        """A section's tooltip."""
        item = self.list.item(index)
        if item is not None:
            item.setToolTip(tip)


class ElidedLabel(QLabel):
    """A one-line label that shrinks with its column: a text that does not fit ends in "…" and shows in full as
    the tooltip, never hard-clipped."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QSizePolicy

        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(24)
        self.setText(text)

    def setText(self, text: str) -> None:  # QLabel's name
        """Set the full text; what shows is elided to the label's width."""
        self._full = text or ""
        self._elide()

    def fullText(self) -> str:
        """The text as set, not elided."""
        return self._full

    def isElided(self) -> bool:
        """Whether the text shown is cut short."""
        return super().text() != self._full

    def sizeHint(self) -> QSize:
        """As wide as the full text wants."""
        hint = super().sizeHint()
        return QSize(QFontMetrics(self.font()).horizontalAdvance(self._full) + 4, hint.height())

    def minimumSizeHint(self) -> QSize:
        """Narrow: the text elides."""
        return QSize(self.minimumWidth(), super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        from PySide6.QtCore import QEvent

        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._elide()

    def _elide(self) -> None:
        metrics = QFontMetrics(self.font())
        room = max(0, self.contentsRect().width())
        shown = metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, room) if room else self._full
        QLabel.setText(self, shown)
        self.setToolTip(self._full if shown != self._full else "")


class FlowRow(QWidget):
    """A row of buttons that wraps onto a second line when the column is too narrow for all of them."""

    def __init__(self, widgets, parent: QWidget | None = None) -> None:  # widgets in order
        from PySide6.QtWidgets import QSizePolicy

        super().__init__(parent)
        self._widgets = list(widgets)
        self._spacing = 6
        for widget in self._widgets:
            widget.setParent(self)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def _shown(self) -> list[QWidget]:
        return [w for w in self._widgets if not w.isHidden()]

    def _place(self, width: int, move: bool) -> int:
        x = y = line = 0
        for widget in self._shown():
            hint = widget.sizeHint()
            if x and x + hint.width() > width:
                x, y, line = 0, y + line + self._spacing, 0
            if move:
                widget.setGeometry(x, y, hint.width(), hint.height())
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(width, move=False)

    def sizeHint(self) -> QSize:
        shown = self._shown()
        width = sum(w.sizeHint().width() for w in shown) + self._spacing * max(0, len(shown) - 1)
        return QSize(width, self._place(width, move=False))

    def minimumSizeHint(self) -> QSize:
        shown = self._shown()
        width = max((w.sizeHint().width() for w in shown), default=0)
        return QSize(width, max((w.sizeHint().height() for w in shown), default=0))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place(self.width(), move=True)
        if self.height() != self.heightForWidth(self.width()):
            self.updateGeometry()
