"""Small widgets every page uses: the status chip delegate, page headers, plain error messages."""

from __future__ import annotations

import logging

from PySide6.QtCore import QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QLabel, QMessageBox, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ui.theme import STATUS_COLOURS
from xsc_desktop.errors import UserError


class ChipDelegate(QStyledItemDelegate):
    """Paints a cell's text as a rounded coloured chip, the colour chosen by the status in `status_role`."""

    def __init__(self, status_role: int, colours: dict[str, tuple[str, str]] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.status_role = status_role
        self.colours = {k: (QColor(bg), QColor(fg)) for k, (bg, fg) in (colours or STATUS_COLOURS).items()}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        status = index.data(self.status_role)
        if not text:
            super().paint(painter, option, index)
            return
        style = option.widget.style() if option.widget else None
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.color(QPalette.ColorRole.Highlight).lighter(190))
        bg, fg = self.colours.get(status, (QColor("#eeeeee"), QColor("#333333")))
        metrics = QFontMetrics(option.font)
        width = metrics.horizontalAdvance(text) + 16
        height = min(option.rect.height() - 6, metrics.height() + 6)
        rect = QRectF(option.rect.x() + 4, option.rect.y() + (option.rect.height() - height) / 2, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(fg)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
        del style

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
    logging.getLogger("ui").error("Unexpected error", exc_info=(type(error), error, error.__traceback__))
    return (f"Something unexpected went wrong ({type(error).__name__}); nothing was lost. "
            "Try again, and if it happens again send the log file (Help > Open log folder) to the developers.")


def show_error(parent: QWidget | None, title: str, error: BaseException | str) -> None:
    """Tell the operator in one plain sentence what happened and what to do."""
    QMessageBox.warning(parent, title, error_sentence(error))


def table_keys(table, open_row=None) -> None:  # noqa: ANN001 - a QAbstractItemView
    """Desktop keys for a table: Tab moves on to the next control, Return (and Enter) opens the selected row."""
    from PySide6.QtGui import QKeySequence, QShortcut

    table.setTabKeyNavigation(False)
    if open_row is None:
        return
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        shortcut = QShortcut(QKeySequence(key), table)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(open_row)
