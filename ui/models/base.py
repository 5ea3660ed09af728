"""What every table model shares: `ROW_ROLE` (the row object behind a cell, one value for all models) and
`TableModel`, a read-only table over a list of rows replaced as a whole by `set_rows`.

A subclass sets `columns` and answers `data`; `column_title(n)` names a column (the entry itself by default,
the first item of a (title, key) pair where columns are pairs).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

# The row object (or dict) behind any cell of any table model. Roles of a model's own start at UserRole + 1.
ROW_ROLE = Qt.ItemDataRole.UserRole + 16
DISPLAY = Qt.ItemDataRole.DisplayRole
NO_INDEX = QModelIndex()


class TableModel(QAbstractTableModel):
    """A read-only table over `_rows`, replaced as a whole by `set_rows`."""

    columns: tuple[Any, ...] = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list = []

    def set_rows(self, rows: list) -> None:
        """Replace every row (after a reload)."""
        self.beginResetModel()
        self._rows = list(rows)
        self._rows_changed()
        self.endResetModel()

    def _rows_changed(self) -> None:
        """Called inside the reset after `_rows` changed (an index over the rows is rebuilt here)."""

    def row_at(self, row: int):
        """The row shown on `row`, or None."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def column_title(self, section: int) -> str:
        """A column's header."""
        column = self.columns[section]
        return column[0] if isinstance(column, tuple) else column

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> int:  # Qt's name
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> int:  # Qt's name
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:  # Qt's name
        if role == DISPLAY and orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.column_title(section)
        return None
