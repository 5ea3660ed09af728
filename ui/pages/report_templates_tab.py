"""The Spreadsheets page's Templates tab: the template list, the column editor with formats and filter, and the
live preview of a lander's first rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
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
    TemplatesModel,
)
from ui.tables import make_table
from ui.widgets import ChipDelegate, changed_elsewhere, hint, offer_reload, show_error
from ui.workers import run_task
from xsc_desktop import sheets
from xsc_desktop.errors import UserError

PREVIEW_DELAY_MS = 250


class _ChoicesModel(RowsModel):
    """Columns a template may add: label and group."""

    columns = (("Column", "label"), ("Kind", "group"))


class TemplatesTab:
    """The Templates tab of `SpreadsheetsPage` (built into the page; its widgets are the page's attributes)."""

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
            buttons.addWidget(b, i // 2, i % 2)  # two a row: the list stays narrow beside the editor
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
        top.setStretchFactor(0, 0)
        top.setStretchFactor(1, 1)
        top.setSizes([170, 1000])  # the list keeps its width; the editor takes the rest (fits 960 px)
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

        def failed(exc: Exception) -> None:
            if not changed_elsewhere(exc):
                show_error(self, "Save template", exc)
            elif offer_reload(self, "Save template", exc):
                self.dirty = False  # show the other operator's version; the edits here are dropped
            else:
                return  # the edits stay on screen
            self.reload()

        opened = template.get("row_version")
        run_task(lambda: sheets.save_template(name, spec, original_name=original, expected_version=opened), saved,
                 failed)
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
