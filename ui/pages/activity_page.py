"""The Activity page: who did what when, newest first, searchable."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTableView, QVBoxLayout, QWidget

from ui.models.activity_model import ActivityModel
from ui.table_fit import fit_columns
from ui.widgets import page_title, show_error
from ui.workers import run_task
from xsc_desktop import activity


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
        self.table.setWordWrap(False)  # one line a row; a cut note ends in "…" and its tooltip shows it whole
        fit_columns(self.table, stretch=6, keep=(0,), floors={2: 160, 6: 200})
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Activity"))
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        app.bridge.event.connect(lambda topic, _p: self._debounce.start()
                                 if topic not in ("notify", "database.connection") else None)

    def reload(self) -> None:
        """Load the newest activity off the GUI thread."""
        text = self.search.text().strip()
        def load() -> tuple[list[tuple], dict]:
            rows = activity.recent(text)
            return rows, activity.subject_names(rows)

        run_task(load, lambda loaded: self.model.set_rows(*loaded), lambda exc: show_error(self, "Activity", exc))
