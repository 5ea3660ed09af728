"""The Activity table: who did what when, newest first."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from xsc_desktop.clock import local_text

COLUMNS = ("When", "Who", "Subject", "What", "From", "To", "Note")
DISPLAY = Qt.ItemDataRole.DisplayRole


class ActivityModel(QAbstractTableModel):
    """Activity rows as a table."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[tuple] = []

    def set_rows(self, rows: list[tuple]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY):
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if not index.isValid() or role != DISPLAY:
            return None
        at, actor, subject_type, subject_id, action, from_state, to_state, note = self.rows[index.row()]
        return (local_text(at, "%Y-%m-%d %H:%M:%S"), actor,
                f"{subject_type} {subject_id}" if subject_id is not None else subject_type,
                action, from_state, to_state, note)[index.column()]
