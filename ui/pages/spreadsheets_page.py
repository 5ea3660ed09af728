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
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from parsers.transforms import PHONE_FORMATS
from ui.models.report_models import (
    REPORT_COLOURS,
    STATE_ROLE,
    ColumnsModel,
    PreviewModel,
    RowsModel,
    RunsModel,
    SchedulesModel,
    TemplatesModel,
)
from ui.tables import make_table
from ui.theme import problem_colour
from ui.widgets import ChipDelegate, error_sentence, hint, page_title, show_error, table_keys
from ui.workers import run_task
from xsc_desktop import sheets
from xsc_desktop.clock import local_text
from xsc_desktop.errors import UserError

PREVIEW_DELAY_MS = 250


# ---- what the page shows, loaded on a worker --------------------------------------------------------------------

def load_overview(history_limit: int = 300) -> dict[str, Any]:
    """Templates, schedules, runs, landers and clients as plain rows (built off the GUI thread)."""
    from xsc_desktop.clock import operator_zone
    from xsc_desktop.landers import list_landers
    from xsc_desktop.models import Client

    zone = operator_zone()
    today = date.today()
    templates = [{"name": t.name, "builtin": t.builtin, "kind": "builtin" if t.builtin else "custom",
                  "kind_label": "Built in" if t.builtin else "Custom", "spec": sheets.normalise_spec(t.spec)}
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


class _ChoicesModel(RowsModel):
    """Columns a template may add: label and group."""

    columns = (("Column", "label"), ("Kind", "group"))


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


class SpreadsheetsPage(QWidget):
    """Report templates, schedules and history, and Generate now with progress and cancel."""

    title = "Spreadsheets"
    loaded = Signal()
    preview_shown = Signal()
    generation_finished = Signal(object)  # list of run dicts, or the exception

    def __init__(self, app, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.default_dir = app.ctx.data_dir / "reports"
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
        self.target.setMinimumWidth(260)
        self.target_template = QComboBox()
        self.target_template.setMinimumWidth(150)
        self.out_dir = QLineEdit(str(self.default_dir))
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

    # ---- building the tabs

    def _build_templates_tab(self) -> QWidget:
        self.templates_model = TemplatesModel(self)
        self.templates_view = make_table(self.templates_model, edit_triggers=None, stretch_last=True)
        self.templates_view.setItemDelegateForColumn(1, ChipDelegate(STATE_ROLE, REPORT_COLOURS, self.templates_view))
        self.templates_view.horizontalHeader().resizeSection(0, 150)
        self.new_button = QPushButton("New")
        self.duplicate_button = QPushButton("Duplicate")
        self.delete_button = QPushButton("Delete")
        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        buttons = QGridLayout()
        for i, b in enumerate((self.new_button, self.duplicate_button, self.delete_button, self.import_button,
                               self.export_button)):
            buttons.addWidget(b, i // 3, i % 3)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.templates_view, 1)
        left_layout.addLayout(buttons)

        # -- the editor
        self.name_edit = QLineEdit()
        self.readonly_note = hint("Built in: read-only. Duplicate it to make your own version.")
        self.auto_columns = QCheckBox("Columns from the data (the generic layout)")
        self.auto_columns.setToolTip("Every lead field that has data, then the custom fields.")
        self.choice_filter = QLineEdit()
        self.choice_filter.setPlaceholderText("Find a column…")
        self.choice_filter.setClearButtonEnabled(True)
        self.choices_model = _ChoicesModel(self)
        self.choices_view = make_table(self.choices_model, edit_triggers=None, stretch_last=True)
        self.choices_view.horizontalHeader().resizeSection(0, 160)
        self.columns_model = ColumnsModel(sheets.describe_column, self)
        self.columns_view = make_table(self.columns_model, edit_triggers=None, stretch_last=True)
        self.columns_view.horizontalHeader().resizeSection(0, 200)
        self.columns_view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                          | QAbstractItemView.EditTrigger.EditKeyPressed
                                          | QAbstractItemView.EditTrigger.SelectedClicked)
        self.add_column_button = QPushButton("Add →")
        self.remove_column_button = QPushButton("← Remove")
        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        middle = QVBoxLayout()
        middle.addStretch(1)
        for b in (self.add_column_button, self.remove_column_button, self.up_button, self.down_button):
            middle.addWidget(b)
        middle.addStretch(1)
        available = QVBoxLayout()
        available.addWidget(self.choice_filter)
        available.addWidget(self.choices_view, 1)
        chosen = QVBoxLayout()
        self.columns_label = QLabel()
        self.columns_label.setWordWrap(True)
        chosen.addWidget(self.columns_label)
        chosen.addWidget(self.columns_view, 1)
        pickers = QHBoxLayout()
        pickers.addLayout(available, 2)
        pickers.addLayout(middle)
        pickers.addLayout(chosen, 3)

        self.date_format = QLineEdit()
        self.datetime_format = QLineEdit()
        self.phone_format = QComboBox()
        for key, example in PHONE_FORMATS.items():
            self.phone_format.addItem(f"{key}  ({example})", key)
        self.yes_word = QLineEdit()
        self.no_word = QLineEdit()
        self.yes_word.setMaximumWidth(80)
        self.no_word.setMaximumWidth(80)
        yes_no = QHBoxLayout()
        yes_no.addWidget(self.yes_word)
        yes_no.addWidget(QLabel("/"))
        yes_no.addWidget(self.no_word)
        yes_no.addStretch(1)
        self.include_test = QCheckBox("Include test leads")
        self.only_delivered = QCheckBox("Only delivered leads")
        self.since_last = QCheckBox("Only leads since the last report")
        self.sheet_name = QLineEdit()
        self.sheet_name.setToolTip("{lander} and {client} are replaced; at most 31 characters in the file.")
        formats = QFormLayout()
        formats.addRow("Dates", self.date_format)
        formats.addRow("Date and time", self.datetime_format)
        formats.addRow("Phones", self.phone_format)
        formats.addRow("Yes / no", yes_no)
        formats.addRow("Sheet name", self.sheet_name)
        filters = QVBoxLayout()
        for b in (self.include_test, self.only_delivered, self.since_last):
            filters.addWidget(b)
        filters.addStretch(1)
        formats_box = QGroupBox("Formats")
        formats_box.setLayout(formats)
        filter_box = QGroupBox("Filter")
        filter_box.setLayout(filters)
        lower = QHBoxLayout()
        lower.addWidget(formats_box, 3)
        lower.addWidget(filter_box, 2)

        self.save_button = QPushButton("Save")
        self.revert_button = QPushButton("Revert")
        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        self.problems.setProperty("role", "problem")
        save_row = QHBoxLayout()
        save_row.addWidget(self.problems, 1)
        save_row.addWidget(self.revert_button)
        save_row.addWidget(self.save_button)

        name_row = QHBoxLayout()
        name_row.addWidget(QLabel("Name"))
        name_row.addWidget(self.name_edit, 1)
        name_row.addWidget(self.readonly_note)
        self.editor = QWidget()
        editor_layout = QVBoxLayout(self.editor)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addLayout(name_row)
        editor_layout.addWidget(self.auto_columns)
        editor_layout.addLayout(pickers, 1)
        editor_layout.addLayout(lower)
        editor_layout.addLayout(save_row)
        self._editables = [self.name_edit, self.auto_columns, self.choice_filter, self.choices_view,
                           self.add_column_button, self.remove_column_button, self.up_button, self.down_button,
                           self.date_format, self.datetime_format, self.phone_format, self.yes_word, self.no_word,
                           self.include_test, self.only_delivered, self.since_last, self.sheet_name]

        # -- the preview
        self.preview_lander = QComboBox()
        self.preview_lander.setMinimumWidth(200)
        self.preview_model = PreviewModel(self)
        self.preview_view = make_table(self.preview_model, edit_triggers=None)
        self.preview_view.verticalHeader().show()
        self.preview_view.verticalHeader().setDefaultSectionSize(22)  # ten rows and more at 1280x780
        self.preview_note = hint("")
        preview_bar = QHBoxLayout()
        preview_bar.addWidget(QLabel("Preview with the leads of"))
        preview_bar.addWidget(self.preview_lander)
        preview_bar.addWidget(self.preview_note, 1)
        preview = QWidget()
        preview_layout = QVBoxLayout(preview)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_layout.addLayout(preview_bar)
        preview_layout.addWidget(self.preview_view, 1)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.setObjectName("sheets-templates-splitter")
        editor_scroll = QScrollArea()  # a narrow or low window scrolls the editor instead of squeezing the preview
        editor_scroll.setWidgetResizable(True)
        editor_scroll.setFrameShape(QFrame.Shape.NoFrame)
        editor_scroll.setWidget(self.editor)
        top.addWidget(left)
        top.addWidget(editor_scroll)
        top.setStretchFactor(0, 1)
        top.setStretchFactor(1, 4)
        top.setSizes([260, 1000])
        outer = QSplitter(Qt.Orientation.Vertical)
        outer.setObjectName("sheets-preview-splitter")
        outer.addWidget(top)
        outer.addWidget(preview)
        outer.setStretchFactor(0, 1)
        outer.setStretchFactor(1, 1)
        outer.setSizes([330, 330])  # the preview shows ten rows and more at the default size

        self._current_name: str | None = None
        self._loading_editor = False
        self.dirty = False
        self._preview_token = 0
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.refresh_preview)

        self.templates_view.selectionModel().selectionChanged.connect(self._template_selected)
        self.new_button.clicked.connect(self.new_template)
        self.duplicate_button.clicked.connect(self.duplicate_template)
        self.delete_button.clicked.connect(self.delete_template)
        self.import_button.clicked.connect(self._choose_import)
        self.export_button.clicked.connect(self._choose_export)
        self.save_button.clicked.connect(self.save_template)
        self.revert_button.clicked.connect(lambda: self._show_template(self._current_name, force=True))
        self.add_column_button.clicked.connect(self.add_selected_choice)
        self.choices_view.doubleClicked.connect(lambda _i: self.add_selected_choice())
        self.remove_column_button.clicked.connect(self.remove_selected_column)
        self.up_button.clicked.connect(lambda: self.move_selected_column(-1))
        self.down_button.clicked.connect(lambda: self.move_selected_column(1))
        self.choice_filter.textChanged.connect(lambda _t: self._fill_choices())
        for signal in (self.name_edit.textChanged, self.date_format.textChanged, self.datetime_format.textChanged,
                       self.yes_word.textChanged, self.no_word.textChanged, self.sheet_name.textChanged,
                       self.phone_format.currentIndexChanged, self.auto_columns.toggled, self.include_test.toggled,
                       self.only_delivered.toggled, self.since_last.toggled):
            signal.connect(self._edited)
        for signal in (self.columns_model.dataChanged, self.columns_model.rowsInserted,
                       self.columns_model.rowsRemoved, self.columns_model.rowsMoved):
            signal.connect(self._edited)
        self.columns_model.modelReset.connect(self._fill_choices)
        self.preview_lander.currentIndexChanged.connect(self._preview_lander_changed)
        self._custom_names: list[str] = []
        return outer

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

    # ---- loading

    def reload(self) -> None:
        """Load templates, schedules, runs and targets off the GUI thread (when the page is on screen)."""
        if not self.isVisible():
            self._stale = True  # loaded when shown again: a hidden page need not follow every event
            return
        self._stale = False
        run_task(load_overview, self._loaded,
                 lambda exc: self._say(f"Could not load reports: {error_sentence(exc)}", error=True))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
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

    # ---- templates

    def selected_template(self) -> dict[str, Any] | None:
        """The template row selected in the list."""
        rows = self.templates_view.selectionModel().selectedRows()
        return self.templates_model.row_at(rows[0].row()) if rows else None

    def _template_selected(self, *_args) -> None:
        row = self.selected_template()
        if row is None or row["name"] == self._current_name:
            return
        if self.dirty and self._current_name is not None:
            answer = QMessageBox.question(self, "Unsaved template",
                                          f"Discard the changes to {self._current_name}?")
            if answer != QMessageBox.StandardButton.Yes:
                self.templates_view.selectionModel().blockSignals(True)
                self.templates_view.selectRow(self.templates_model.find("name", self._current_name))
                self.templates_view.selectionModel().blockSignals(False)
                return
        self._show_template(row["name"], force=True)

    def _template(self, name: str | None) -> dict[str, Any] | None:
        return next((t for t in self._templates if t["name"] == name), None)

    def _show_template(self, name: str | None, *, force: bool = False) -> None:
        template = self._template(name)
        if template is None:
            return
        spec = template["spec"]
        self._loading_editor = True
        self._current_name = name
        self.name_edit.setText(template["name"])
        self.auto_columns.setChecked(spec["auto"])
        self.columns_model.set_columns(spec["columns"])
        self.columns_model.read_only = template["builtin"]
        formats = spec["formats"]
        self.date_format.setText(formats["date"])
        self.datetime_format.setText(formats["datetime"])
        self.phone_format.setCurrentIndex(max(self.phone_format.findData(formats["phone"]), 0))
        self.yes_word.setText(formats["yes"])
        self.no_word.setText(formats["no"])
        self.include_test.setChecked(spec["filter"]["include_test"])
        self.only_delivered.setChecked(spec["filter"]["only_delivered"])
        self.since_last.setChecked(spec["filter"]["since_last_report"])
        self.sheet_name.setText(spec["sheet_name"])
        for widget in self._editables:
            widget.setEnabled(not template["builtin"])
        self.readonly_note.setVisible(template["builtin"])
        self._show_auto_state()
        self._loading_editor = False
        self.dirty = False
        self._fill_choices()
        self._update_buttons()
        self.problems.setText("")
        self.refresh_preview()

    def editor_spec(self) -> dict[str, Any]:
        """The template spec as the editor holds it now."""
        template = self._template(self._current_name) or {"spec": sheets.normalise_spec({})}
        return {
            "auto": self.auto_columns.isChecked(),
            "columns": self.columns_model.columns(),
            "formats": {"date": self.date_format.text().strip(), "datetime": self.datetime_format.text().strip(),
                        "phone": self.phone_format.currentData(), "yes": self.yes_word.text(),
                        "no": self.no_word.text()},
            "filter": {"include_test": self.include_test.isChecked(),
                       "only_delivered": self.only_delivered.isChecked(),
                       "since_last_report": self.since_last.isChecked()},
            "sheet_name": self.sheet_name.text(),
            "description": template["spec"].get("description", ""),
        }

    def _show_auto_state(self) -> None:
        auto = self.auto_columns.isChecked()
        editable = not self.columns_model.read_only
        for widget in (self.choice_filter, self.choices_view, self.add_column_button, self.up_button,
                       self.down_button):
            widget.setEnabled(editable and not auto)
        self.columns_label.setText(
            "Columns come from the data (see the preview); titles set here still apply" if auto
            else "Columns in order (double-click a title to rename it)")

    def _edited(self, *_args) -> None:
        if self._loading_editor:
            return
        self._show_auto_state()
        self.dirty = True
        problems = sheets.check_spec(self.editor_spec())
        self.problems.setText(problems[0] if problems else "")
        self._update_buttons()
        self._preview_timer.start()

    def _fill_choices(self) -> None:
        chosen = set(self.columns_model.keys())
        words = self.choice_filter.text().strip().lower().split()
        rows = []
        for choice in sheets.column_choices(self._custom_names):
            if choice.key in chosen:
                continue
            haystack = f"{choice.label} {choice.key} {choice.group}".lower()
            if all(w in haystack for w in words):
                rows.append({"key": choice.key, "label": choice.label, "group": choice.group})
        self.choices_model.set_rows(rows)

    def add_selected_choice(self) -> None:
        """Add the column picked on the left after the selected column (or at the end)."""
        picked = self.choices_view.selectionModel().selectedRows()
        if not picked or self.columns_model.read_only:
            return
        choice = self.choices_model.row_at(picked[0].row())
        selected = self.columns_view.selectionModel().selectedRows()
        row = self.columns_model.add(choice["key"], selected[0].row() + 1 if selected else None)
        self.columns_view.selectRow(row)
        self._fill_choices()
        self.choices_view.selectRow(min(picked[0].row(), self.choices_model.rowCount() - 1))

    def remove_selected_column(self) -> None:
        """Take the selected column out of the template."""
        selected = self.columns_view.selectionModel().selectedRows()
        if selected and not self.columns_model.read_only:
            row = selected[0].row()
            self.columns_model.remove(row)
            if self.columns_model.rowCount():
                self.columns_view.selectRow(min(row, self.columns_model.rowCount() - 1))
            self._fill_choices()

    def move_selected_column(self, step: int) -> None:
        """Move the selected column up (-1) or down (+1)."""
        selected = self.columns_view.selectionModel().selectedRows()
        if selected and not self.columns_model.read_only:
            row = selected[0].row()
            if self.columns_model.move_row(row, row + step):
                self.columns_view.selectRow(row + step)

    def _in_background(self, title: str, fn, on_done) -> None:
        """Run a database or file action on a worker; a failure is shown in one sentence under `title`."""
        def failed(exc: Exception) -> None:
            show_error(self, title, exc)
            self.reload()  # show what is stored now, whatever half of the action did not happen

        run_task(fn, on_done, failed)

    def save_template(self) -> bool:
        """Save the edited template (renaming it when the name changed), on a worker; False when nothing to save."""
        template = self._template(self._current_name)
        if template is None or template["builtin"]:
            return False
        name, spec, original = self.name_edit.text().strip(), self.editor_spec(), self._current_name

        def saved(_row) -> None:
            self.dirty = False
            self._current_name = name
            self.app.status_message(f"Saved the template {name}.")
            self.reload()

        self._in_background("Save template", lambda: sheets.save_template(name, spec, original_name=original), saved)
        return True

    def new_template(self) -> None:
        """A new custom template with a few useful columns, ready to edit."""
        spec = {"columns": [{"key": "computed:received_at"}, {"key": "computed:full_name"}, {"key": "phone"},
                            {"key": "email"}, {"key": "computed:outcome"}]}
        self._run_and_select(lambda: sheets.save_template(sheets._free_name("New template"), spec).name)

    def duplicate_template(self) -> None:
        """Copy the selected template (the way to edit a built-in one)."""
        row = self.selected_template()
        if row is not None:
            self._run_and_select(lambda: sheets.duplicate_template(row["name"]).name)

    def delete_template(self) -> None:
        """Delete the selected custom template after asking."""
        row = self.selected_template()
        if row is None or row["builtin"]:
            return
        answer = QMessageBox.question(self, "Delete template", f"Delete the template {row['name']}?")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_template_named(row["name"])

    def delete_template_named(self, name: str) -> None:
        """Delete a template without asking (the question is asked by delete_template), on a worker."""
        def deleted(_none) -> None:
            self._current_name = None
            self.dirty = False
            self.reload()

        self._in_background("Delete template", lambda: sheets.delete_template(name), deleted)

    def _run_and_select(self, fn, title: str = "Templates") -> None:
        """Run `fn` (which returns a template's name) on a worker, then show that template."""
        def made(name: str) -> None:
            self.dirty = False
            self._current_name = name
            self.reload()

        self._in_background(title, fn, made)

    def _choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import template", "", "Report templates (*.json);;All files (*)")
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        """Add a template from an exported JSON file."""
        self._run_and_select(lambda: sheets.import_template(path).name, "Import template")

    def _choose_export(self) -> None:
        row = self.selected_template()
        if row is None:
            return
        suggested = str(Path.home() / f"{row['name']}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Export template", suggested, "Report templates (*.json)")
        if path:
            self.export_file(row["name"], Path(path))

    def export_file(self, name: str, path: Path) -> None:
        """Write a template as JSON, on a worker."""
        import json

        def write() -> None:
            text = json.dumps(sheets.export_template(name), indent=2, ensure_ascii=False) + "\n"
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UserError(f"Cannot write {path}: {exc.strerror or exc}; choose another place.") from None

        self._in_background("Export template", write,
                            lambda _none: self.app.status_message(f"Exported the template {name} to {path}."))

    # ---- preview

    def _preview_lander_changed(self, *_args) -> None:
        lander_id = self.preview_lander.currentData()
        if lander_id is None:
            self._custom_names = []
            self._fill_choices()
        else:
            run_task(lambda: sheets.custom_field_names(lander_id), self._got_custom_names, None)
        self.refresh_preview()

    def _got_custom_names(self, names: list[str]) -> None:
        self._custom_names = names
        self._fill_choices()

    def refresh_preview(self) -> None:
        """Render the first rows of the edited template on a worker; stale answers are dropped."""
        self._preview_timer.stop()
        spec = self.editor_spec()
        if sheets.check_spec(spec):
            self.preview_note.setText("Fix the template to see its preview.")
            return
        self._preview_token += 1
        token = self._preview_token
        lander_id = self.preview_lander.currentData()
        run_task(lambda: sheets.preview(spec, lander_id=lander_id),
                 lambda result: self._preview_ready(token, result),
                 lambda exc: self._preview_failed(token, exc))

    def _preview_ready(self, token: int, result: tuple[list[str], list[list[str]]]) -> None:
        if token != self._preview_token:
            return
        titles, rows = result
        self.preview_model.set_preview(titles, rows)
        self.preview_view.resizeColumnsToContents()
        header = self.preview_view.horizontalHeader()
        for column in range(len(titles)):
            header.resizeSection(column, min(header.sectionSize(column), 260))
        self.preview_note.setText(f"The first {len(rows)} rows as the sheet will show them." if rows
                                  else "No leads to show for this lander and filter.")
        self.preview_shown.emit()

    def _preview_failed(self, token: int, exc: Exception) -> None:
        if token == self._preview_token:
            self.preview_note.setText(str(exc))
            self.preview_shown.emit()

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
