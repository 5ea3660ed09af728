"""The Spreadsheets page: report templates with a live preview, 05:00 UTC schedules, run history, Generate now.

Everything that touches the database or writes a file runs on a worker through `run_task`; progress of a
report comes back through a Qt signal, and Cancel sets the event the writer checks between batches.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.pages.report_history_tab import HistoryTab
from ui.pages.report_schedules_tab import SchedulesTab
from ui.pages.report_templates_tab import TemplatesTab
from ui.theme import problem_colour
from ui.widgets import error_sentence, hint, page_title
from ui.workers import run_task
from xsc_desktop import sheets
from xsc_desktop.clock import local_text

# ---- what the page shows, loaded on a worker --------------------------------------------------------------------

def load_overview(history_limit: int = 300) -> dict[str, Any]:
    """Templates, schedules, runs, landers and clients as plain rows (built off the GUI thread)."""
    from xsc_desktop.clock import operator_zone
    from xsc_desktop.landers import list_landers
    from xsc_desktop.models import Client

    zone = operator_zone()
    today = date.today()
    templates = [{"name": t.name, "builtin": t.builtin, "kind": "builtin" if t.builtin else "custom",
                  "kind_label": "Built in" if t.builtin else "Custom", "spec": sheets.normalise_spec(t.spec),
                  "row_version": t.row_version}
                 for t in sheets.list_templates()]
    landers = sorted(list_landers(), key=lambda r: (r.client.lower(), r.name.lower()))
    # Every entry unique: two landers of one client may share a name (in two campaigns, or even in one).
    lander_names = {r.id: f"{r.client} — {r.campaign} — {r.name} (#{r.id})" for r in landers}
    clients = {c.id: c.name for c in Client.select(Client.id, Client.name).order_by(Client.name)}
    schedules = []
    for row in sheets.list_schedules():
        data = sheets.schedule_as_json(row)
        target = (lander_names.get(row.lander_id, f"lander {row.lander_id}") if row.lander_id
                  else f"{clients.get(row.client_id, row.client_id)} (all landers)")
        data.update(target=target, period_label="since last report" if row.period == "since_last" else "all",
                    time_label=sheets.time_label(row.time_utc, today, zone), email_label="yes" if row.email else "",
                    state="active" if row.active else "paused", state_label="Active" if row.active else "Paused",
                    last_run=local_text(row.last_run_at) or "never")
        schedules.append(data)
    runs = []
    for run in sheets.history(limit=history_limit):
        data = sheets.run_as_json(run)
        target = (lander_names.get(run.lander_id, f"lander {run.lander_id}") if run.lander_id
                  else f"{clients.get(run.client_id, run.client_id)} (all landers)")
        seconds = data["duration_s"]
        data.update(target=target, template=run.template_name, state_label=run.state.capitalize(),
                    started=local_text(run.started_at),
                    took="" if seconds is None else f"{seconds:.1f} s",
                    file_name=Path(run.file).name if run.file else "", note=run.error)
        runs.append(data)
    return {"templates": templates, "schedules": schedules, "runs": runs,
            "landers": [(lid, name) for lid, name in lander_names.items()],
            "clients": list(clients.items()), "zone": zone}


class _ProgressRelay(QObject):
    """Carries the writer's progress (called on the worker) to the GUI thread."""

    changed = Signal(int, int)

    def report(self, done: int, total: int) -> None:
        """The writer's progress callback."""
        self.changed.emit(done, total)


class GenerateReportAction:
    """"Generate report now" on a lander's context menu: the Spreadsheets page writes its report."""

    text = "Generate report now"

    def __init__(self, window) -> None:
        self.window = window

    def run(self, lander_row) -> None:
        """Show the Spreadsheets page and generate the lander's report with the chosen template."""
        self.window.page("spreadsheets")
        page = self.window.show_page("spreadsheets")
        page.generate(lander_id=lander_row.id)


class SpreadsheetsPage(TemplatesTab, SchedulesTab, HistoryTab, QWidget):
    """Report templates, schedules and history, and Generate now with progress and cancel."""

    title = "Spreadsheets"
    loaded = Signal()
    preview_shown = Signal()
    generation_finished = Signal(object)  # list of run dicts, or the exception

    def __init__(self, app, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.default_dir = sheets.default_folder(app.ctx.data_dir)  # Settings > Spreadsheet reports > Folder
        self.zone = None
        self._templates: list[dict[str, Any]] = []
        self._stale = True
        self._landers: list[tuple[int, str]] = []
        self._clients: list[tuple[int, str]] = []
        self._cancel: threading.Event | None = None
        self._progress = _ProgressRelay(self)
        self._progress.changed.connect(self._on_progress)

        # -- Generate now
        self.target = QComboBox()
        self.target.setMinimumWidth(180)
        self.target_template = QComboBox()
        self.target_template.setMinimumWidth(120)
        self.out_dir = QLineEdit(str(self.default_dir))
        self.out_dir.setMinimumWidth(140)  # the folder's end stays readable at half a 1920 screen
        self.browse_button = QPushButton("Browse…")
        self.generate_button = QPushButton("Generate now")
        self.generate_button.setDefault(True)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("%v of %m leads")
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.generate_status = QLabel("")
        self.generate_status.setWordWrap(True)
        self.generate_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.generate_status.hide()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Report on"))
        bar.addWidget(self.target, 2)
        bar.addWidget(QLabel("with"))
        bar.addWidget(self.target_template, 1)
        bar.addWidget(QLabel("into"))
        bar.addWidget(self.out_dir, 2)
        bar.addWidget(self.browse_button)
        bar.addWidget(self.generate_button)
        bar.addWidget(self.progress)
        bar.addWidget(self.cancel_button)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_templates_tab(), "Templates")
        self.tabs.addTab(self._build_schedules_tab(), "Schedules")
        self.tabs.addTab(self._build_history_tab(), "History")

        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Spreadsheets"))
        layout.addWidget(hint("Reports of a lander's leads as XLSX files. Schedules write them every day at their "
                              "UTC time (05:00 by default) and can e-mail them to the client."))
        layout.addLayout(bar)
        layout.addWidget(self.generate_status)
        layout.addWidget(self.tabs, 1)

        self.browse_button.clicked.connect(self._browse_out_dir)
        self.generate_button.clicked.connect(lambda: self.generate())
        self.cancel_button.clicked.connect(self.cancel_generation)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(200)
        self._reload_timer.timeout.connect(self.reload)
        app.bridge.event.connect(self._on_event)

    # ---- loading

    def reload(self) -> None:
        """Load templates, schedules, runs and targets off the GUI thread (when the page is on screen)."""
        if not self.isVisible():
            self._stale = True  # loaded when shown again: a hidden page need not follow every event
            return
        self._stale = False
        run_task(load_overview, self._loaded,
                 lambda exc: self._say(f"Could not load reports: {error_sentence(exc)}", error=True))

    def showEvent(self, event) -> None:  # Qt's name
        super().showEvent(event)
        if self._stale:
            self.reload()

    def _loaded(self, data: dict[str, Any]) -> None:
        self.zone = data["zone"]
        self._templates = data["templates"]
        selected = self._current_name
        self.templates_model.set_rows(self._templates)
        self.schedules_model.set_rows(data["schedules"])
        self.runs_model.set_rows(data["runs"])
        self.history_empty.setVisible(not data["runs"])
        self._landers = data["landers"]
        self._clients = data["clients"]
        self._fill_targets()
        names = [t["name"] for t in self._templates]
        keep = self.target_template.currentText() or sheets.GENERIC
        self.target_template.blockSignals(True)
        self.target_template.clear()
        self.target_template.addItems(names)
        self.target_template.setCurrentText(keep if keep in names else sheets.GENERIC)
        self.target_template.blockSignals(False)
        row = self.templates_model.find("name", selected) if selected else -1
        # Reselect without the "discard changes?" question: a reload is not the operator picking a template.
        selection = self.templates_view.selectionModel()
        selection.blockSignals(True)
        self.templates_view.selectRow(row if row >= 0 else 0)
        selection.blockSignals(False)
        self.templates_view.viewport().update()
        if row < 0:
            self.dirty = False  # the edited template is gone (deleted elsewhere); show the first one
            first = self.templates_model.row_at(0)
            self._show_template(first["name"] if first else None, force=True)
        elif not self.dirty:
            self._show_template(selected, force=True)
        self._update_buttons()
        self.loaded.emit()

    def _fill_targets(self) -> None:
        current = self.target.currentData()
        preview_current = self.preview_lander.currentData()
        for combo in (self.target, self.preview_lander):
            combo.blockSignals(True)
            combo.clear()
        self.preview_lander.addItem("the lander with the newest lead", None)
        for lid, name in self._landers:
            self.target.addItem(name, f"lander:{lid}")
            self.preview_lander.addItem(name, lid)
        for cid, name in self._clients:
            self.target.addItem(f"{name} (all landers, a sheet each)", f"client:{cid}")
        self.target.setCurrentIndex(max(self.target.findData(current), 0))
        self.preview_lander.setCurrentIndex(max(self.preview_lander.findData(preview_current), 0))
        for combo in (self.target, self.preview_lander):
            combo.blockSignals(False)

    def _on_event(self, topic: str, payload: dict) -> None:
        if topic in ("report.finished", "report.schedules_changed", "report.templates_changed", "lander.changed",
                     "lander.imported"):
            self._reload_timer.start()

    # ---- generate now

    def _browse_out_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Report folder", self.out_dir.text())
        if folder:
            self.out_dir.setText(folder)

    @property
    def generating(self) -> bool:
        """Whether a report is being written now."""
        return self._cancel is not None

    def generate(self, *, lander_id: int | None = None, client_id: int | None = None,
                 template: str | None = None) -> bool:
        """Write a report on a worker (the chosen target, or the given lander/client); False when one is running."""
        if self.generating:
            self._say("A report is being written; wait for it or cancel it.")
            return False
        if lander_id is None and client_id is None:
            kind, _, ident = str(self.target.currentData() or ":").partition(":")
            if not ident:
                self._say("Choose a lander or a client to report on.", error=True)
                return False
            lander_id = int(ident) if kind == "lander" else None
            client_id = int(ident) if kind == "client" else None
        else:
            key = f"lander:{lander_id}" if lander_id is not None else f"client:{client_id}"
            index = self.target.findData(key)
            if index >= 0:
                self.target.setCurrentIndex(index)
        template = template or self.target_template.currentText() or sheets.GENERIC
        out_dir = Path(self.out_dir.text().strip() or self.default_dir)
        make_folder = out_dir == self.default_dir
        cancel = threading.Event()
        self._cancel = cancel
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.generate_button.setEnabled(False)
        self._say("Writing the report…")
        progress = self._progress.report

        def work() -> list[dict[str, Any]]:
            if make_folder:
                out_dir.mkdir(parents=True, exist_ok=True)
            runs = sheets.run_report(lander_id=lander_id, client_id=client_id, template=template, out_dir=out_dir,
                                     progress=progress, cancel=cancel)
            return [sheets.run_as_json(r) for r in runs]

        run_task(work, self._generated, self._generate_failed)
        return True

    def cancel_generation(self) -> None:
        """Ask the running report to stop at its next batch (its file is removed)."""
        if self._cancel is not None:
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self._say("Cancelling…")

    def _on_progress(self, done: int, total: int) -> None:
        if self._cancel is None:
            return
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _generation_ended(self) -> None:
        self._cancel = None
        self.progress.hide()
        self.cancel_button.hide()
        self.generate_button.setEnabled(True)

    def _generated(self, runs: list[dict[str, Any]]) -> None:
        self._generation_ended()
        failed = [r for r in runs if r["state"] != "done"]
        if failed:
            self._say(f"The report failed: {failed[0]['error']}", error=True)
        else:
            rows = sum(r["rows"] for r in runs)
            files = ", ".join(Path(r["file"]).name for r in runs)
            self._say(f"Wrote {rows} lead{'s' if rows != 1 else ''} to {files}.")
            self.app.status_message(f"Report written: {files}", 8000)
        self.tabs.setCurrentIndex(2)
        self.reload()
        self.generation_finished.emit(runs)

    def _generate_failed(self, exc: Exception) -> None:
        self._generation_ended()
        if isinstance(exc, sheets.ReportCancelled):
            self._say("Cancelled; no file was left behind.")
        else:
            self._say(error_sentence(exc), error=True)
        self.reload()
        self.generation_finished.emit(exc)

    # ---- small things

    def _say(self, text: str, *, error: bool = False) -> None:
        self.generate_status.setStyleSheet(
            f"color: {problem_colour(self.palette()).name()};" if error else "")
        self.generate_status.setText(text)
        self.generate_status.setVisible(bool(text))

    def _update_buttons(self) -> None:
        template = self.selected_template()
        builtin = bool(template and template["builtin"])
        self.duplicate_button.setEnabled(template is not None)
        self.export_button.setEnabled(template is not None)
        self.delete_button.setEnabled(template is not None and not builtin)
        self.save_button.setEnabled(not builtin and self.dirty and not self.problems.text())
        self.revert_button.setEnabled(not builtin and self.dirty)
        schedule = self.selected_schedule()
        for b in (self.edit_schedule_button, self.toggle_schedule_button, self.delete_schedule_button):
            b.setEnabled(schedule is not None)
        self.toggle_schedule_button.setText("Resume" if schedule and not schedule["active"] else "Pause")
        run = self.selected_run()
        has_file = bool(run and run["file"])
        self.open_file_button.setEnabled(has_file)
        self.open_folder_button.setEnabled(has_file)
