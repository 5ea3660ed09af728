"""The Spreadsheets page's Schedules tab: daily report schedules, added, edited, paused and deleted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.models.report_models import (
    REPORT_COLOURS,
    STATE_ROLE,
    SchedulesModel,
)
from ui.tables import make_table
from ui.widgets import ChipDelegate, hint, table_keys
from xsc_desktop import sheets


class SchedulesTab:
    """The Schedules tab of `SpreadsheetsPage` (built into the page; its widgets are the page's attributes)."""

    def _build_schedules_tab(self) -> QWidget:
        self.schedules_model = SchedulesModel(self)
        self.schedules_view = make_table(self.schedules_model, edit_triggers=None, stretch_last=True)
        self.schedules_view.setItemDelegateForColumn(6, ChipDelegate(STATE_ROLE, REPORT_COLOURS, self.schedules_view))
        for column, width in enumerate((230, 130, 130, 200, 220, 60, 80)):
            self.schedules_view.horizontalHeader().resizeSection(column, width)
        self.add_schedule_button = QPushButton("Add schedule…")
        self.edit_schedule_button = QPushButton("Edit…")
        self.toggle_schedule_button = QPushButton("Pause")
        self.delete_schedule_button = QPushButton("Delete")
        row = QHBoxLayout()
        row.addWidget(hint("Each schedule writes its file daily at its UTC time; a missed or failed slot is "
                           "tried again at the next one."), 1)
        for b in (self.add_schedule_button, self.edit_schedule_button, self.toggle_schedule_button,
                  self.delete_schedule_button):
            row.addWidget(b)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addWidget(self.schedules_view, 1)
        self.add_schedule_button.clicked.connect(self.add_schedule)
        self.edit_schedule_button.clicked.connect(self.edit_schedule)
        self.toggle_schedule_button.clicked.connect(self.toggle_schedule)
        self.delete_schedule_button.clicked.connect(self.delete_schedule)
        self.schedules_view.doubleClicked.connect(lambda _i: self.edit_schedule())
        table_keys(self.schedules_view, self.edit_schedule)  # Return opens the schedule, as a double-click does
        self.schedules_view.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        return tab

    # ---- schedules

    def selected_schedule(self) -> dict[str, Any] | None:
        """The schedule row selected in its table."""
        rows = self.schedules_view.selectionModel().selectedRows()
        return self.schedules_model.row_at(rows[0].row()) if rows else None

    def _schedule_dialog(self, schedule: dict[str, Any] | None = None) -> QDialog:
        from ui.dialogs.report_schedule_dialog import ReportScheduleDialog

        targets = [(name, f"lander:{lid}") for lid, name in self._landers]
        targets += [(f"{name} (all landers)", f"client:{cid}") for cid, name in self._clients]
        dialog = ReportScheduleDialog(self, targets=targets, templates=[t["name"] for t in self._templates],
                                      schedule=schedule, default_dir=str(self.default_dir), zone=self.zone)
        if schedule is None and self.target.currentData():
            # A new schedule reports on what the page is set to (the lander or client picked above), not on the
            # first lander of the list.
            dialog.target.setCurrentIndex(max(dialog.target.findData(self.target.currentData()), 0))
            dialog.template.setCurrentText(self.target_template.currentText())
        self.schedule_dialog = dialog  # tests reach it here
        return dialog

    def add_schedule(self) -> None:
        """Ask for a new schedule and store it."""
        dialog = self._schedule_dialog()
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.save_schedule(None, dialog.values())

    def edit_schedule(self) -> None:
        """Edit the selected schedule."""
        row = self.selected_schedule()
        if row is None:
            return
        dialog = self._schedule_dialog(row)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.save_schedule(row["id"], dialog.values())

    def save_schedule(self, schedule_id: int | None, values: dict[str, Any]) -> bool:
        """Create (id None) or change a schedule on a worker; a problem is shown in one sentence."""
        default_dir = self.default_dir

        def save() -> None:
            if values.get("out_dir") and Path(values["out_dir"]) == default_dir:
                default_dir.mkdir(parents=True, exist_ok=True)
            if schedule_id is None:
                sheets.add_schedule(**values)
            else:
                sheets.update_schedule(schedule_id, **values)

        self._in_background("Report schedule", save, lambda _none: self.reload())
        return True

    def toggle_schedule(self) -> None:
        """Pause or resume the selected schedule (on a worker)."""
        row = self.selected_schedule()
        if row is not None:
            self._in_background("Report schedule", lambda: sheets.update_schedule(row["id"], active=not row["active"]),
                                lambda _row: self.reload())

    def delete_schedule(self) -> None:
        """Delete the selected schedule after asking (on a worker)."""
        row = self.selected_schedule()
        if row is None:
            return
        if QMessageBox.question(self, "Delete schedule", f"Delete the schedule for {row['target']}?") \
                == QMessageBox.StandardButton.Yes:
            self._in_background("Delete schedule", lambda: sheets.delete_schedule(row["id"]), lambda _n: self.reload())
