"""Add or edit a report schedule: target, template, period, UTC time (with the local time beside it), folder, e-mail."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from xsc_desktop import sheets


class ReportScheduleDialog(QDialog):
    """The fields of one schedule; `values()` gives the keyword arguments of sheets.add/update_schedule."""

    def __init__(self, parent: QWidget | None, *, targets: list[tuple[str, str]], templates: list[str],
                 schedule: dict[str, Any] | None = None, default_dir: str = "", zone=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit report schedule" if schedule else "Add report schedule")
        self.zone = zone
        self.target = QComboBox()
        for label, key in targets:
            self.target.addItem(label, key)
        self.template = QComboBox()
        self.template.addItems(templates)
        self.period = QComboBox()
        self.period.addItem("Leads since the last report", "since_last")
        self.period.addItem("All leads", "all")
        self.time = QLineEdit()
        self.time.setPlaceholderText("HH:MM")
        self.time.setMaximumWidth(70)
        self.local_time = QLabel()
        self.local_time.setProperty("role", "hint")
        self.folder = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.pattern = QLineEdit()
        self.pattern.setPlaceholderText(sheets.DEFAULT_FILE_PATTERN)
        self.pattern.setToolTip("{client}, {lander}, {date}, {time}, {template}. For a client, a pattern with "
                                "{lander} writes one file per lander; without it, one file with a sheet per lander.")
        self.email = QCheckBox("E-mail the file to the client's contacts (through the outbox)")
        self.active = QCheckBox("Active")
        self.active.setChecked(True)

        time_row = QHBoxLayout()
        time_row.addWidget(self.time)
        time_row.addWidget(QLabel("UTC"))
        time_row.addWidget(self.local_time, 1)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Reports on", self.target)
        form.addRow("Template", self.template)
        form.addRow("Leads", self.period)
        form.addRow("Time", time_row)
        form.addRow("Folder", folder_row)
        form.addRow("File name", self.pattern)
        form.addRow("", self.email)
        form.addRow("", self.active)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.time.textChanged.connect(self._show_local_time)

        if schedule:
            key = f"lander:{schedule['lander_id']}" if schedule.get("lander_id") else f"client:{schedule['client_id']}"
            self.target.setCurrentIndex(max(self.target.findData(key), 0))
            self.template.setCurrentText(schedule["template"])
            self.period.setCurrentIndex(max(self.period.findData(schedule["period"]), 0))
            self.time.setText(schedule["time_utc"])
            self.folder.setText(schedule["out_dir"])
            self.pattern.setText(schedule["file_pattern"])
            self.email.setChecked(bool(schedule["email"]))
            self.active.setChecked(bool(schedule["active"]))
        else:
            from xsc_desktop import settings

            self.time.setText(settings.get("reports.time_utc"))
            self.folder.setText(default_dir)
        self._show_local_time()
        self.resize(560, self.sizeHint().height())

    def _show_local_time(self) -> None:
        try:
            text = sheets.local_time_text(sheets._check_time(self.time.text()), date.today(), self.zone)
        except Exception:
            self.local_time.setText("write the time as HH:MM")
            return
        self.local_time.setText(f"= {text} on your clock today")

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Report folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def values(self) -> dict[str, Any]:
        """The keyword arguments for sheets.add_schedule / update_schedule."""
        kind, _, ident = str(self.target.currentData() or ":").partition(":")
        pattern = self.pattern.text().strip() or None
        return {"lander_id": int(ident) if kind == "lander" else None,
                "client_id": int(ident) if kind == "client" else None,
                "template": self.template.currentText(), "period": self.period.currentData(),
                "time_utc": self.time.text().strip(), "out_dir": self.folder.text().strip(),
                "file_pattern": pattern, "email": self.email.isChecked(), "active": self.active.isChecked()}
