"""The Spreadsheets page's History tab: the report runs, their files and folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.models.report_models import (
    REPORT_COLOURS,
    STATE_ROLE,
    RunsModel,
)
from ui.tables import make_table
from ui.widgets import ChipDelegate, hint


class HistoryTab:
    """The History tab of `SpreadsheetsPage` (built into the page; its widgets are the page's attributes)."""

    def _build_history_tab(self) -> QWidget:
        self.runs_model = RunsModel(self)
        self.runs_view = make_table(self.runs_model, edit_triggers=None, stretch_last=True)
        self.runs_view.setItemDelegateForColumn(3, ChipDelegate(STATE_ROLE, REPORT_COLOURS, self.runs_view))
        for column, width in enumerate((130, 230, 120, 90, 80, 70, 280)):
            self.runs_view.horizontalHeader().resizeSection(column, width)
        self.open_file_button = QPushButton("Open file")
        self.open_folder_button = QPushButton("Open folder")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_file_button)
        row.addWidget(self.open_folder_button)
        self.history_empty = hint("No reports yet. Generate one above, or add a schedule.")
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addWidget(self.runs_view, 1)
        layout.addWidget(self.history_empty)
        self.open_file_button.clicked.connect(self.open_selected_file)
        self.open_folder_button.clicked.connect(self.open_selected_folder)
        self.runs_view.doubleClicked.connect(lambda _i: self.open_selected_file())
        self.runs_view.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        return tab

    # ---- history

    def selected_run(self) -> dict[str, Any] | None:
        """The run selected in the history."""
        rows = self.runs_view.selectionModel().selectedRows()
        return self.runs_model.row_at(rows[0].row()) if rows else None

    def open_selected_file(self) -> None:
        """Open the selected report with the desktop's spreadsheet program."""
        run = self.selected_run()
        if run is None or not run["file"]:
            return
        path = Path(run["file"])
        if not path.exists():
            self._say(f"{path.name} is no longer in {path.parent}; it was moved or deleted.", error=True)
            return
        self.app.open_path(path)

    def open_selected_folder(self) -> None:
        """Open the folder of the selected report."""
        run = self.selected_run()
        if run is None or not run["file"]:
            return
        folder = Path(run["file"]).parent
        if not folder.exists():
            self._say(f"The folder {folder} no longer exists.", error=True)
            return
        self.app.open_path(folder)
