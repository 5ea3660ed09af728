"""The Activity page: who did what when, newest first, searchable."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLineEdit, QTableView, QVBoxLayout, QWidget

from ui.widgets import page_title, show_error
from ui.workers import run_task
from xsc_desktop.clock import local_text
from xsc_desktop.models import Activity

COLUMNS = ("When", "Who", "Subject", "What", "From", "To", "Note")
DISPLAY = Qt.ItemDataRole.DisplayRole
LIMIT = 2000


def recent_activity(text: str = "", limit: int = LIMIT) -> list[tuple]:
    """The newest activity rows as tuples, optionally only those mentioning `text`."""
    query = (Activity.select(Activity.at, Activity.actor, Activity.subject_type, Activity.subject_id, Activity.action,
                             Activity.from_state, Activity.to_state, Activity.note)
             .order_by(Activity.at.desc(), Activity.id.desc()).limit(limit))
    if text:
        like = f"%{text}%"
        query = query.where(Activity.note ** like | Activity.action ** like | Activity.actor ** like
                            | Activity.subject_type ** like | Activity.to_state ** like)
    return list(query.tuples())


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


class ActivityPage(QWidget):
    """Every recorded change, newest first."""

    title = "Activity"

    def __init__(self, app, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.model = ActivityModel(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search notes, actions, people, statuses")
        self.search.setClearButtonEnabled(True)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((150, 100, 110, 90, 100, 100)):
            self.table.horizontalHeader().resizeSection(column, width)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Activity"))
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        app.bridge.event.connect(lambda topic, _p: self._debounce.start() if topic != "notify" else None)

    def reload(self) -> None:
        """Load the newest activity off the GUI thread."""
        text = self.search.text().strip()
        run_task(lambda: recent_activity(text), self.model.set_rows, lambda exc: show_error(self, "Activity", exc))
