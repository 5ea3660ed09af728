"""Table models for posting docs: the stored-docs list, and the editable fields and static values of a draft.

The draft tables edit the draft's own lists of dicts in place (the review dialog hands the draft to Apply as
it stands). Secret static values are masked for display; the editor gets the real value.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ui.models.base import ROW_ROLE, TableModel
from xsc_desktop.intake.review import STATE_LABELS

DISPLAY = Qt.ItemDataRole.DisplayRole
EDIT = Qt.ItemDataRole.EditRole
CHECK = Qt.ItemDataRole.CheckStateRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole
BACKGROUND = Qt.ItemDataRole.BackgroundRole
STATE_ROLE = Qt.ItemDataRole.UserRole + 2  # chip colour key of the doc list's state column
SECRET_ROLE = Qt.ItemDataRole.UserRole + 3  # whether a static value is secret (the editor hides it)
CHECKED = Qt.CheckState.Checked
UNCHECKED = Qt.CheckState.Unchecked
NO_INDEX = QModelIndex()
MASK = "••••••"
NOT_MAPPED = "not mapped"

_BASE_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_EDIT_FLAGS = _BASE_FLAGS | Qt.ItemFlag.ItemIsEditable
_CHECK_FLAGS = _BASE_FLAGS | Qt.ItemFlag.ItemIsUserCheckable
_AMBER = QBrush(QColor("#8a4b00"))
_AMBER_BACK = QBrush(QColor("#fff4e5"))
_GREY = QBrush(QColor("#80868b"))

# Chip colours of a doc's state (background, text), calm unless a person must act.
STATE_COLOURS: dict[str, tuple[str, str]] = {
    "applied": ("#ceead6", "#0d652d"),
    "to_review": ("#d2e3fc", "#174ea6"),
    "unreadable": ("#fad2cf", "#a50e0e"),
    "summary": ("#e8eaed", "#3c4043"),
}


class PostingDocsModel(TableModel):
    """Stored posting docs: name, received time, format, client / lander, state (read-only)."""

    COLUMNS = ("Posting doc", "Received (UTC)", "Format", "Client / lander", "State")
    columns = COLUMNS
    STATE_COLUMN = 4

    def __init__(self, parent=None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self.compact = compact  # short state words, for the narrow lander pane

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        doc = self._rows[index.row()]
        column = index.column()
        if role == DISPLAY:
            if column == 0:
                return doc.name
            if column == 1:
                return f"{doc.received_at:%Y-%m-%d %H:%M}" if doc.received_at else ""
            if column == 2:
                return doc.format.upper()
            if column == 3:
                return " / ".join(p for p in (doc.client, doc.lander) if p) or "no lander yet"
            if column == 4:
                if self.compact or doc.state == "unreadable":
                    return STATE_LABELS.get(doc.state, doc.state)
                return doc.state_text
            return None
        if role == TOOLTIP:
            if column == 4:
                return doc.error or doc.state_text
            if column == 0 and doc.system:
                return f"{doc.name} — {doc.system}"
            return None
        if role == STATE_ROLE:
            return doc.state
        if role == ROW_ROLE:
            return doc
        if role == FOREGROUND and column == 3 and not doc.lander:
            return _GREY
        return None


class _DraftListModel(QAbstractTableModel):
    """An editable table over a list of dicts (a draft's fields or static values), changed in place."""

    COLUMNS: tuple[str, ...] = ()
    KEYS: tuple[str, ...] = ()
    CHECK_COLUMNS: frozenset[int] = frozenset()
    TIPS: tuple[str, ...] = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._items: list[dict[str, Any]] = []

    def set_items(self, items: list[dict[str, Any]]) -> None:
        """Edit this list (in place)."""
        self.beginResetModel()
        self._items = items
        self.endResetModel()

    def items(self) -> list[dict[str, Any]]:
        """The list being edited."""
        return self._items

    def add_item(self, item: dict[str, Any]) -> int:
        """Append a row; returns its row number."""
        row = len(self._items)
        self.beginInsertRows(NO_INDEX, row, row)
        self._items.append(item)
        self.endInsertRows()
        return row

    def remove_row(self, row: int) -> None:
        """Remove one row."""
        if 0 <= row < len(self._items):
            self.beginRemoveRows(NO_INDEX, row, row)
            del self._items[row]
            self.endRemoveRows()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.COLUMNS):
            if role == DISPLAY:
                return self.COLUMNS[section]
            if role == TOOLTIP and section < len(self.TIPS):
                return self.TIPS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _CHECK_FLAGS if index.column() in self.CHECK_COLUMNS else _EDIT_FLAGS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        column = index.column()
        key = self.KEYS[column]
        if column in self.CHECK_COLUMNS:
            if role == CHECK:
                return CHECKED if item.get(key) else UNCHECKED
            return None
        if role == EDIT:
            return "" if item.get(key) is None else str(item.get(key))
        if role == ROW_ROLE:
            return item
        return self._extra(item, column, role)

    def _extra(self, item: dict[str, Any], column: int, role: int) -> Any:
        if role == DISPLAY:
            value = item.get(self.KEYS[column])
            return "" if value is None else str(value)
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = EDIT) -> bool:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return False
        item = self._items[index.row()]
        column = index.column()
        key = self.KEYS[column]
        if column in self.CHECK_COLUMNS:
            if role != CHECK:
                return False
            new: Any = value == CHECKED or value == CHECKED.value or value is True
        elif role == EDIT:
            new = self._coerce(key, value)
        else:
            return False
        if item.get(key) == new:
            return False
        item[key] = new
        # The whole row: a secret flag changes how the value shows, a mapping changes the row's colour.
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(self.COLUMNS) - 1))
        return True

    def _coerce(self, key: str, value: Any) -> Any:
        return "" if value is None else str(value).strip()


class DraftFieldsModel(_DraftListModel):
    """The draft's variable fields: name, required, type, example and the lead field each one reads."""

    COLUMNS = ("Field", "Required", "Type", "Example", "Lead field (maps to)")
    KEYS = ("name", "required", "type", "example", "maps_to")
    CHECK_COLUMNS = frozenset({1})
    MAPS_TO_COLUMN = 4
    TIPS = ("The name the client's system expects", "Whether the client rejects a lead without it",
            "The value type the doc states", "An example value from the doc",
            "The lead field that fills it; 'not mapped' reads a custom field of the same name")

    def __init__(self, labels: dict[str, str] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.labels = labels or {}

    def _coerce(self, key: str, value: Any) -> Any:
        if key == "maps_to":
            return value or None
        return super()._coerce(key, value)

    def _extra(self, item: dict[str, Any], column: int, role: int) -> Any:
        unmapped = not item.get("maps_to")
        if column == self.MAPS_TO_COLUMN:
            if role == DISPLAY:
                return NOT_MAPPED if unmapped else self.labels.get(item["maps_to"], item["maps_to"])
            if role == FOREGROUND and unmapped:
                return _AMBER
            if role == BACKGROUND and unmapped:
                return _AMBER_BACK
        if role == TOOLTIP and item.get("description"):
            return str(item["description"])
        return super()._extra(item, column, role)


class StaticValuesModel(_DraftListModel):
    """The draft's static values (keys, ids, constants): secret ones are masked on screen."""

    COLUMNS = ("Name", "Value", "Sent in", "Secret")
    KEYS = ("name", "value", "location", "secret")
    CHECK_COLUMNS = frozenset({3})
    VALUE_COLUMN = 1
    TIPS = ("The parameter or header name", "The value the doc fixes (secret values are masked)",
            "Where the value goes: body, query string or header", "Kept in the secret store and masked everywhere")

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        if role == SECRET_ROLE and index.isValid() and 0 <= index.row() < len(self._items):
            return bool(self._items[index.row()].get("secret"))
        return super().data(index, role)

    def _extra(self, item: dict[str, Any], column: int, role: int) -> Any:
        if column == self.VALUE_COLUMN and item.get("secret"):
            if role == DISPLAY:
                return MASK if item.get("value") else ""
            if role == TOOLTIP:
                return "Secret: stored in the secret store, never shown"
        return super()._extra(item, column, role)
