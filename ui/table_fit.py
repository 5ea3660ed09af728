"""Columns that fit the table's width: `fit_columns(view, stretch=…)`.

Each column gets the width its title and its visible cells ask for; the text column (`stretch`) takes what is
left. When the table is narrower than that (half a 1920 screen), the text column gives way first, then the other
columns shrink in proportion down to about their title's width, so every column stays on screen instead of
running off the right edge behind a scroll bar. Cut text ends in "…" and its tooltip shows it whole (cells and
titles). A column the user drags keeps the width given; columns in `keep` (coloured chips) never shrink.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QTableView, QToolTip

MAX_NATURAL = 320  # a column's own wish is capped: one long address must not starve the rest
MIN_COLUMN = 56
LAST_RESORT = 36  # when even titles do not fit, every column but the chips narrows to this, titles elided


class ColumnFit(QObject):
    """Keeps a table's columns fitted to its viewport; see the module text."""

    def __init__(self, view: QTableView, stretch: int, keep: tuple[int, ...] = (), most: int = MAX_NATURAL,
                 floors: dict[int, int] | None = None, optional: tuple[int, ...] = ()) -> None:
        super().__init__(view)
        self.floors = dict(floors or {})
        self.optional = optional
        self._dropped: set[int] = set()
        self._measured_rows = False
        self._remeasuring = False
        self.view = view
        self.stretch = stretch
        self.keep = frozenset(keep)
        self.most = most
        self._natural: dict[int, int] = {}
        self._dragged: dict[int, int] = {}
        self._fitting = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.remeasure)
        header = view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)

        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header.sectionResized.connect(self._user_resized)
        view.viewport().installEventFilter(self)
        header.viewport().installEventFilter(self)
        self._watch(view.model())

    def _watch(self, model) -> None:
        if model is None:
            return
        for signal in (model.modelReset, model.rowsInserted, model.columnsInserted, model.columnsRemoved,
                       model.headerDataChanged):
            signal.connect(self._timer.start)
        model.dataChanged.connect(self._rows_arrived)

    def _rows_arrived(self, *_args) -> None:
        if not self._measured_rows:  # a paged model filling its first rows in (sorting and typing do not remeasure)
            self._timer.start()

    # ---- measuring and sharing out -------------------------------------------------------------------------------

    def _title_width(self, column: int) -> int:
        header = self.view.horizontalHeader()
        title = str(self.view.model().headerData(column, Qt.Orientation.Horizontal) or "")
        extra = 36 if header.isSortIndicatorShown() or self.view.isSortingEnabled() else 22  # padding, margins
        return header.fontMetrics().horizontalAdvance(title) + extra

    def remeasure(self) -> None:
        """Take each column's wish again (after new rows came in), then fit."""
        model = self.view.model()
        if model is None:
            return
        self._natural = {}
        self._remeasuring = True
        self._measured_rows = bool(model.rowCount()) and model.index(0, 0).data() is not None
        for column in range(model.columnCount()):
            if self.view.isColumnHidden(column) and column not in self._dropped:
                continue
            wish = max(self._title_width(column), self.view.sizeHintForColumn(column) + 4)
            self._natural[column] = wish if column in self.keep else min(wish, self.most)
        try:
            self.fit()
        finally:
            self._remeasuring = False

    def fit(self) -> None:
        """Share the viewport's width out among the shown columns."""
        model = self.view.model()
        if model is None:
            return
        shown = [c for c in range(model.columnCount()) if not self.view.isColumnHidden(c) or c in self._dropped]
        if any(c not in self._natural for c in shown):
            if self._remeasuring:
                return
            self.remeasure()
            return
        room = self.view.viewport().width()
        if room <= 0 or not shown:
            return
        shown = self._drop_optional(shown, room)
        want = {c: self._dragged.get(c, self._natural[c]) for c in shown}
        least = {c: want[c] if c in self._dragged else self._least(c, want[c]) for c in shown}
        widths = dict(want)
        excess = sum(widths.values()) - room
        if excess < 0 and self.stretch in widths and self.stretch not in self._dragged:
            widths[self.stretch] -= excess  # the text column takes the room left over
        elif excess > 0:
            if self.stretch in widths:  # the text column gives way first
                give = min(excess, widths[self.stretch] - least[self.stretch])
                widths[self.stretch] -= give
                excess -= give
            slack = {c: widths[c] - least[c] for c in shown if c != self.stretch and widths[c] > least[c]}
            total = sum(slack.values())
            if excess > 0 and total > 0:
                share = min(1.0, excess / total)
                for c, s in slack.items():
                    widths[c] -= int(s * share + 0.999)
                excess -= total
            slack = {c: widths[c] - LAST_RESORT for c in shown if c not in self.keep and widths[c] > LAST_RESORT}
            total = sum(slack.values())
            if excess > 0 and total > 0:
                share = min(1.0, excess / total)
                for c, s in slack.items():
                    widths[c] -= int(s * share + 0.999)
        self._fitting = True
        try:
            header = self.view.horizontalHeader()
            for c in shown:
                if header.sectionSize(c) != widths[c]:
                    header.resizeSection(c, widths[c])
        finally:
            self._fitting = False

    def _least(self, column: int, want: int) -> int:
        """How narrow a column gets before the last resort: about its title's width, or its floor."""
        if column in self.keep:
            return want
        return min(want, self.floors.get(column, max(MIN_COLUMN, min(self._title_width(column), 110))))

    def _drop_optional(self, shown: list[int], room: int) -> list[int]:
        """Hide the optional columns, in their order, while the others cannot all have their title's width; show
        them again when the room is back."""
        def need(columns: list[int]) -> int:
            return sum(self._least(c, self._natural[c]) for c in columns)

        kept = list(shown)
        for column in self.optional:
            if need(kept) <= room:
                break
            if column in kept:
                kept.remove(column)
        self._fitting = True
        try:
            for column in shown:
                hide = column not in kept
                if hide != (column in self._dropped):
                    self.view.setColumnHidden(column, hide)
                    (self._dropped.add if hide else self._dropped.discard)(column)
        finally:
            self._fitting = False
        return kept

    def _user_resized(self, column: int, old: int, new: int) -> None:
        if self._fitting or not self._natural:
            return
        if old == 0 or new == 0:  # a column shown or hidden (the header's menu): share the room out again
            self._dragged.pop(column, None)
            self._timer.start()
            return
        if not QApplication.mouseButtons() & Qt.MouseButton.LeftButton:
            return  # set by code, not dragged: the next fit decides
        self._dragged[column] = new
        QTimer.singleShot(0, self.fit)

    # ---- resizes and tooltips ---------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Resize and watched is self.view.viewport():
            self.fit()
        elif kind == QEvent.Type.ToolTip:
            if watched is self.view.viewport():
                return self._cell_tip(event)
            if watched is self.view.horizontalHeader().viewport():
                return self._title_tip(event)
        return False

    def _cell_tip(self, event) -> bool:
        index = self.view.indexAt(event.pos())
        if not index.isValid() or index.data(Qt.ItemDataRole.ToolTipRole):
            return False  # the model's own tooltip
        text = index.data(Qt.ItemDataRole.DisplayRole)
        rect = self.view.visualRect(index)
        if text is None or self.view.fontMetrics().horizontalAdvance(str(text)) + 10 <= rect.width():
            QToolTip.hideText()
            return True
        QToolTip.showText(event.globalPos(), str(text), self.view.viewport(), rect)
        return True

    def _title_tip(self, event) -> bool:
        header = self.view.horizontalHeader()
        column = header.logicalIndexAt(event.pos())
        model = self.view.model()
        if column < 0 or model is None or model.headerData(column, Qt.Orientation.Horizontal,
                                                           Qt.ItemDataRole.ToolTipRole):
            return False
        if self._title_width(column) <= header.sectionSize(column):
            QToolTip.hideText()
            return True
        QToolTip.showText(event.globalPos(), str(model.headerData(column, Qt.Orientation.Horizontal)),
                          header.viewport())
        return True


def fit_columns(view: QTableView, stretch: int, keep: tuple[int, ...] = (), most: int = MAX_NATURAL,
                floors: dict[int, int] | None = None, optional: tuple[int, ...] = ()) -> ColumnFit:
    """Fit `view`'s columns to its width from now on (see the module text); returns the fitter (kept by the view).
    `floors` sets how narrow a column may get (a subject that must stay readable); `optional` columns are hidden,
    in that order, when a narrow pane cannot show them all. Call after the model is set."""
    fitter = ColumnFit(view, stretch, keep, most, floors, optional)
    view.setProperty("fits-columns", True)
    fitter.remeasure()
    return fitter
