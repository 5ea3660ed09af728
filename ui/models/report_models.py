"""Table models of the Spreadsheets page: templates, a template's columns, the preview, schedules and runs.

Read-only tables show plain row dicts built on a worker (no database access from `data()`); the columns
table edits a template's column list in place (header titles editable, rows moved by move_row()).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ui.models.base import ROW_ROLE, TableModel

# Role constants built once: a per-call enum lookup costs microseconds on every paint.
DISPLAY = Qt.ItemDataRole.DisplayRole
EDIT = Qt.ItemDataRole.EditRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
STATE_ROLE = Qt.ItemDataRole.UserRole + 2  # the chip colour key of a row (run state, template kind)
SORT_ROLE = Qt.ItemDataRole.UserRole + 3
HORIZONTAL = Qt.Orientation.Horizontal
NO_INDEX = QModelIndex()
_BASE_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_EDIT_FLAGS = _BASE_FLAGS | Qt.ItemFlag.ItemIsEditable

# Chip colours for run states and template kinds (background, text).
REPORT_COLOURS: dict[str, tuple[str, str]] = {
    "done": ("#ceead6", "#0d652d"),
    "failed": ("#fad2cf", "#a50e0e"),
    "running": ("#d2e3fc", "#174ea6"),
    "cancelled": ("#f1f3f4", "#5f6368"),
    "builtin": ("#e8eaed", "#3c4043"),
    "custom": ("#e9d7fe", "#5b2b9a"),
    "active": ("#ceead6", "#0d652d"),
    "paused": ("#f1f3f4", "#5f6368"),
}


class RowsModel(TableModel):
    """A read-only table over a list of dicts: `columns` are (title, key) pairs; `state_key` feeds the chip role."""

    columns: tuple[tuple[str, str], ...] = ()
    state_key: str | None = None

    def find(self, key: str, value: Any) -> int:
        """The first row whose `key` equals `value`, or -1."""
        return next((i for i, r in enumerate(self._rows) if r.get(key) == value), -1)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        key = self.columns[index.column()][1]
        if role == DISPLAY or role == TOOLTIP:
            value = row.get(key)
            return "" if value is None else str(value)
        if role == SORT_ROLE:
            return row.get(key)
        if role == ROW_ROLE:
            return row
        if role == STATE_ROLE and self.state_key:
            return row.get(self.state_key)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _BASE_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags


class TemplatesModel(RowsModel):
    """Report templates: name and kind (built in / custom)."""

    columns = (("Template", "name"), ("Kind", "kind_label"))
    state_key = "kind"


class SchedulesModel(RowsModel):
    """Report schedules: what, when (UTC and local), where, e-mail, state and last run."""

    columns = (("Reports on", "target"), ("Template", "template"), ("Leads", "period_label"),
               ("Time", "time_label"), ("Folder", "out_dir"), ("E-mail", "email_label"), ("State", "state_label"),
               ("Last run", "last_run"))
    state_key = "state"


class RunsModel(RowsModel):
    """Generated reports, newest first."""

    columns = (("Started", "started"), ("Reports on", "target"), ("Template", "template"),
               ("State", "state_label"), ("Rows", "rows"), ("Took", "took"), ("File", "file_name"),
               ("Note", "note"))
    state_key = "state"


class PreviewModel(QAbstractTableModel):
    """The first rows of a report as text, with the template's header titles."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._titles: list[str] = []
        self._rows: list[list[str]] = []

    def set_preview(self, titles: list[str], rows: list[list[str]]) -> None:
        """Show new titles and rows."""
        self.beginResetModel()
        self._titles = list(titles)
        self._rows = [list(r) for r in rows]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._titles)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        if not index.isValid() or role not in (DISPLAY, TOOLTIP):
            return None
        row = self._rows[index.row()]
        return row[index.column()] if index.column() < len(row) else ""

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if role != DISPLAY:
            return None
        if orientation == HORIZONTAL:
            return self._titles[section] if 0 <= section < len(self._titles) else None
        return str(section + 1)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _BASE_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags


class ColumnsModel(QAbstractTableModel):
    """A template's chosen columns in order: what the column shows, and its header title (editable)."""

    HEADERS = ("Column", "Header title")

    def __init__(self, describe: Callable[[str], Any], parent=None) -> None:
        super().__init__(parent)
        self._describe = describe  # key -> ColumnChoice (label, group)
        self._columns: list[dict[str, Any]] = []
        self.read_only = False

    def set_columns(self, columns: list[dict[str, Any]]) -> None:
        """Replace the column list (copies it)."""
        self.beginResetModel()
        self._columns = [dict(c) for c in columns]
        self.endResetModel()

    def columns(self) -> list[dict[str, Any]]:
        """The column list as a template spec holds it."""
        return [dict(c) for c in self._columns]

    def keys(self) -> list[str]:
        """The keys of the chosen columns, in order."""
        return [c["key"] for c in self._columns]

    def add(self, key: str, row: int | None = None) -> int:
        """Add a column (at `row`, else at the end); returns its row."""
        row = len(self._columns) if row is None else max(0, min(row, len(self._columns)))
        self.beginInsertRows(NO_INDEX, row, row)
        self._columns.insert(row, {"key": key, "title": ""})
        self.endInsertRows()
        return row

    def remove(self, row: int) -> None:
        """Remove one column."""
        if 0 <= row < len(self._columns):
            self.beginRemoveRows(NO_INDEX, row, row)
            del self._columns[row]
            self.endRemoveRows()

    def move_row(self, row: int, to: int) -> bool:
        """Move a column up or down the order; returns whether it moved."""
        if not (0 <= row < len(self._columns) and 0 <= to < len(self._columns)) or row == to:
            return False
        # Qt's destination is the row before which the item lands, counted before the move.
        destination = to + 1 if to > row else to
        self.beginMoveRows(NO_INDEX, row, row, NO_INDEX, destination)
        self._columns.insert(to, self._columns.pop(row))
        self.endMoveRows()
        return True

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> int:
        return 0 if parent.isValid() else 2

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        if not index.isValid():
            return None
        column = self._columns[index.row()]
        choice = self._describe(column["key"])
        if role == DISPLAY:
            if index.column() == 0:
                return f"{choice.label}  ·  {choice.group}"
            return column.get("title") or choice.label
        if role == EDIT:
            return column.get("title") or choice.label if index.column() == 1 else column["key"]
        if role == TOOLTIP:
            return column["key"]
        if role == ROW_ROLE:
            return column
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = EDIT) -> bool:
        if not index.isValid() or index.column() != 1 or role != EDIT or self.read_only:
            return False
        column = self._columns[index.row()]
        title = str(value or "").strip()
        column["title"] = "" if title == self._describe(column["key"]).label else title
        self.dataChanged.emit(index, index, [DISPLAY, EDIT])
        return True

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if role == DISPLAY and orientation == HORIZONTAL and 0 <= section < 2:
            return self.HEADERS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _EDIT_FLAGS if index.column() == 1 and not self.read_only else _BASE_FLAGS
