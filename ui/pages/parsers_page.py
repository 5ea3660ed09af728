"""The Parsers page: the list of presets and saved parsers, the editor, the live preview and test posts,
versions with diff and restore, import and export.

Presets are read-only: "Duplicate to edit" saves a copy. Saving makes a new version. Unsaved changes are
never dropped silently: leaving the parser, the page or the window asks first.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from parsers.render import RenderError, render
from parsers.spec import ParserSpec
from ui.models.parser_models import KIND_ROLE, HistoryModel, ParserListModel
from ui.pages.parser_history_tab import HistoryTab
from ui.pages.parsers_editor import ParserEditor
from ui.pages.parsers_preview import PreviewPane, build_preview, suggest_rule
from ui.table_fit import fit_columns
from ui.widgets import (
    ChipDelegate,
    ElidedLabel,
    changed_elsewhere,
    error_sentence,
    hint,
    offer_reload,
    page_title,
    show_error,
)
from ui.workers import run_task
from xsc_desktop import parsers_store
from xsc_desktop.errors import UserError

KIND_COLOURS = {"preset": ("#e8eaed", "#3c4043"), "saved": ("#d2e3fc", "#174ea6")}
PREVIEW_DELAY_MS = 50  # debounce: one render after a burst of keystrokes, well inside the 100 ms budget


STACK_BELOW = 1000  # page width under which the preview sits below the editor


class ParsersPage(HistoryTab, QWidget):
    """Build, check and prove parsers: list, editor, live preview, test post, history."""

    title = "Parsers"
    loaded = Signal(int)  # rows in the parser list after a reload
    preview_updated = Signal()  # after every preview refresh
    test_finished = Signal(object)  # the posting Attempt of a test post
    saved = Signal(str, int)  # parser name, new version

    def __init__(self, app, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.list_model = ParserListModel(self)
        self.history_model = HistoryModel(self)
        self._current_name: str | None = None
        self._row_version: int | None = None  # of the saved parser open in the editor
        self._current_is_preset = False
        self._saved_json = ""
        self._changing_selection = False
        self._pending_select: tuple[str, bool] | None = None
        self.last_preview_ms = 0.0
        # Replaceable in tests: how the page asks about unsaved changes, a new name, and a file.
        self.ask_unsaved = self._ask_unsaved
        self.ask_name = self._ask_name

        # --- the list
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search parsers   (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.list_view = QTableView()
        self.list_view.setModel(self.list_model)
        self.list_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list_view.verticalHeader().hide()
        self.list_view.verticalHeader().setDefaultSectionSize(28)
        self.list_view.setShowGrid(False)
        self.list_view.setWordWrap(False)
        self.list_view.setItemDelegateForColumn(ParserListModel.KIND,
                                                ChipDelegate(KIND_ROLE, KIND_COLOURS, parent=self.list_view))
        # The system is in each row's tooltip and found by the search; the column would squeeze the names.
        self.list_view.setColumnHidden(ParserListModel.SYSTEM, True)
        fit_columns(self.list_view, stretch=ParserListModel.NAME, keep=(ParserListModel.KIND,))
        self.new_button = QPushButton("New…")
        self.new_button.setToolTip("A new parser from the generic JSON preset")
        self.files_button = QToolButton()
        self.files_button.setText("Files")
        self.files_button.setToolTip("Import a parser file, or export this parser")
        self.files_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.files_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        files_menu = QMenu(self.files_button)
        self.import_action = files_menu.addAction("Import a parser file…", self.choose_import_file)
        self.export_action = files_menu.addAction("Export this parser…", self.choose_export_file)
        self.files_button.setMenu(files_menu)
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.new_button)
        list_buttons.addWidget(self.files_button, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 8, 0)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.list_view, 1)
        left_layout.addLayout(list_buttons)

        # --- the editor with its header
        self.heading = ElidedLabel("Pick a parser")  # a long name ends in "…" with the full name as tooltip
        self.heading.setStyleSheet("font-weight: 600; font-size: 15px;")
        self.state_label = QLabel()
        self.state_label.setProperty("role", "hint")
        self.duplicate_button = QPushButton("Duplicate to edit")
        self.save_button = QPushButton("Save")
        self.save_button.setToolTip("Save as a new version (Ctrl+S)")
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Drop the unsaved changes")
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.heading)
        titles.addWidget(self.state_label)
        head = QHBoxLayout()
        head.addLayout(titles, 1)
        head.addWidget(self.duplicate_button)
        head.addWidget(self.revert_button)
        head.addWidget(self.save_button)
        self.preset_note = hint("A bundled preset: read-only. Duplicate it to make your own copy and edit that.")
        self.editor = ParserEditor(lambda: self.preview.lead())
        self.editor.tabs.addTab(self._history_tab(), "History")
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(8, 0, 8, 0)
        middle_layout.addLayout(head)
        middle_layout.addWidget(self.preset_note)
        middle_layout.addWidget(self.editor, 1)

        # --- the preview
        self.preview = PreviewPane()

        # Editor and preview side by side; in a narrow window (half a 1920 screen) the preview goes under the
        # editor, so the editor's tables keep the width their columns need.
        self.work = QSplitter(Qt.Orientation.Horizontal)
        self.work.setObjectName("parsers-work-splitter")
        self.work.addWidget(middle)
        self.work.addWidget(self.preview)
        self.work.setStretchFactor(0, 3)
        self.work.setStretchFactor(1, 2)
        self.work.setSizes([640, 410])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("parsers-splitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.work)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([180, 1050])
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Parsers"))
        layout.addWidget(self.splitter, 1)

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.refresh_preview)

        self.search.textChanged.connect(self._search)
        self.list_view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.new_button.clicked.connect(self.new_parser)
        self.duplicate_button.clicked.connect(self.duplicate_current)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        self.editor.edited.connect(self._edited)
        self.preview.lead_changed.connect(self.schedule_preview)
        self.preview.test_toggled.connect(lambda _on: self.schedule_preview())
        self.preview.send_button.clicked.connect(self.send_test)
        self.preview.lander_combo.currentIndexChanged.connect(lambda _i: self._lander_chosen())
        self.preview.problem_activated.connect(self.editor.go_to)
        self.preview.add_rule_menu.aboutToShow.connect(self._fill_rule_menu)
        for shortcut, slot in ((QKeySequence.StandardKey.Save, self.save),
                               (QKeySequence.StandardKey.Find, lambda: (self.search.setFocus(), self.search.selectAll()))):
            action = QAction(self)
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
        app.bridge.event.connect(self._on_event)
        app.page_changed.connect(self._page_changed)
        previous_guard = app.close_guard
        app.close_guard = lambda: self.confirm_leave() and (previous_guard() if previous_guard else True)
        self._last_attempt = None
        self._lander_values: tuple[dict, dict] = ({}, {})
        self._test_serial = 0  # an answer that comes back after the operator moved to another parser is dropped
        self._show_nothing()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        across = Qt.Orientation.Vertical if self.width() < STACK_BELOW else Qt.Orientation.Horizontal
        if self.work.orientation() != across:
            self.work.setOrientation(across)
            total = sum(self.work.sizes()) or 1000
            self.work.setSizes([total * 3 // 5, total * 2 // 5])

    # --- the list

    def reload(self) -> None:
        """Load the parser list off the GUI thread."""
        run_task(parsers_store.list_parsers, self._loaded, lambda exc: show_error(self, "Parsers", exc))

    def _loaded(self, rows) -> None:
        self._changing_selection = True
        self.list_model.set_rows(rows)
        self._changing_selection = False
        target = self._pending_select or ((self._current_name, self._current_is_preset) if self._current_name else None)
        self._pending_select = None
        if target is not None and self._select_in_list(*target):
            if self._current_name != target[0] or self._current_is_preset != target[1]:
                self.open_parser(*target)
        elif self._current_name is None and rows:
            self._select_in_list(rows[0].name, rows[0].is_preset)
            self.open_parser(rows[0].name, rows[0].is_preset)
        self.loaded.emit(len(rows))

    def _search(self, text: str) -> None:
        self._changing_selection = True
        self.list_model.set_filter(text)
        self._changing_selection = False
        if self._current_name:
            self._select_in_list(self._current_name, self._current_is_preset)

    def _select_in_list(self, name: str, is_preset: bool) -> bool:
        row = self.list_model.row_of(name, is_preset)
        if row < 0:
            return False
        self._changing_selection = True
        self.list_view.selectionModel().select(
            self.list_model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.list_view.scrollTo(self.list_model.index(row, 0))
        self._changing_selection = False
        return True

    def _selection_changed(self, *_args) -> None:
        if self._changing_selection:
            return
        rows = self.list_view.selectionModel().selectedRows()
        entry = self.list_model.entry_at(rows[0].row()) if rows else None
        if entry is None or (entry.name == self._current_name and entry.is_preset == self._current_is_preset):
            return
        if not self.confirm_leave():
            if self._current_name:
                self._select_in_list(self._current_name, self._current_is_preset)
            return
        self.open_parser(entry.name, entry.is_preset)

    def select_parser(self, name: str, is_preset: bool = False) -> bool:
        """Select and open a parser as if clicked (asks about unsaved changes first)."""
        row = self.list_model.row_of(name, is_preset)
        if row < 0:
            return False
        self.list_view.selectRow(row)
        return self._current_name == name and self._current_is_preset == is_preset

    # --- opening

    def open_parser(self, name: str, is_preset: bool) -> None:
        """Load a preset (read-only) or a saved parser into the editor."""
        try:
            # The version first: a save landing between the two reads is then refused, never overwritten.
            self._row_version = None if is_preset else parsers_store.row_version(name)
            spec = parsers_store.get_parser(name)
            kept = set(parsers_store.parser_secret_names(name)) if not is_preset else set()
        except UserError as exc:
            show_error(self, "Open parser", exc)
            return
        self._current_name, self._current_is_preset = name, is_preset
        self.editor.static_model.kept_secrets = kept
        from xsc_desktop.parser_landers import landers_using

        self.preview.set_landers(landers_using(name) if not is_preset else [])
        self._lander_chosen()
        self._load_history()
        self._load_spec(spec, read_only=is_preset)
        self._last_attempt = None
        self.preview.send_button.setEnabled(True)

    def _load_spec(self, spec: ParserSpec, read_only: bool) -> None:
        self._saved_json = spec.to_json()
        self.editor.load(spec, read_only)
        self.editor.name_edit.setReadOnly(True)  # renaming is "Duplicate" under a new name
        self.editor.name_edit.setToolTip("Duplicate the parser to save it under another name")
        self._update_header()
        self.refresh_preview()

    def _show_nothing(self) -> None:
        self.editor.setEnabled(False)
        for button in (self.duplicate_button, self.save_button, self.revert_button):
            button.setEnabled(False)
        self.export_action.setEnabled(False)
        self.preset_note.hide()

    def _update_header(self) -> None:
        if self._current_name is None:
            self._show_nothing()
            return
        self.editor.setEnabled(True)
        dirty = self.is_dirty()
        self.heading.setText(self._current_name)
        if self._current_is_preset:
            state = "preset · read-only"
        else:
            newest = self.history_model.entry_at(0)
            version = newest.version if newest is not None else None
            state = f"version {version}" if version else "saved"
            if dirty:
                state += " · unsaved changes"
        self.state_label.setText(state)
        self.preset_note.setVisible(self._current_is_preset)
        self.duplicate_button.setEnabled(True)
        self.duplicate_button.setText("Duplicate to edit" if self._current_is_preset else "Duplicate")
        self.save_button.setEnabled(not self._current_is_preset and dirty)
        self.revert_button.setEnabled(not self._current_is_preset and dirty)
        self.export_action.setEnabled(True)

    # --- editing and preview

    def is_dirty(self) -> bool:
        """Whether the editor holds changes not saved yet."""
        return (self._current_name is not None and not self._current_is_preset
                and self.editor.spec().to_json() != self._saved_json)

    def _edited(self) -> None:
        self._update_header()
        self.schedule_preview()

    def schedule_preview(self) -> None:
        """Refresh the preview shortly (restarting the wait on each keystroke)."""
        self._preview_timer.start()

    def test_secrets(self) -> dict[str, str]:
        """The secrets rendering uses: the parser's own kept secrets, the chosen lander's, the typed test values."""
        try:
            kept = parsers_store.parser_secrets(self._current_name) if self._current_name and not self._current_is_preset else {}
        except UserError:  # kept where this copy cannot read it: the preview names the secret as empty
            kept = {}
        typed = {k: v for k, v in self.editor.test_values.secrets().items() if v}
        return {**kept, **self._lander_values[1], **typed}

    def test_settings(self) -> dict[str, str]:
        """The settings rendering uses: the chosen lander's saved ones under the typed test values."""
        typed = {k: v for k, v in self.editor.test_values.settings().items() if str(v).strip()}
        return {**self.editor.test_values.settings(), **self._lander_values[0], **typed}

    def _lander_chosen(self) -> None:
        from xsc_desktop.parser_landers import lander_values

        lander_id = self.preview.lander_id()
        try:
            self._lander_values = lander_values(lander_id) if lander_id is not None else ({}, {})
        except UserError as exc:
            self._lander_values = ({}, {})
            show_error(self, "Lander settings", exc)
        self.schedule_preview()

    def refresh_preview(self) -> None:
        """Validate and render the edited spec for the preview lead, now."""
        self._preview_timer.stop()
        if self._current_name is None:
            return
        started = time.perf_counter()
        result = build_preview(self.editor.spec(), self.preview.lead(), self.test_settings(),
                               self.test_secrets(), test=self.preview.as_test())
        self.preview.show_preview(result)
        self.last_preview_ms = (time.perf_counter() - started) * 1000
        self.preview_updated.emit()

    # --- unsaved changes

    def confirm_leave(self) -> bool:
        """Ask what to do with unsaved changes; True when it is fine to leave the parser."""
        if not self.is_dirty():
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        if answer == "discard":
            self.revert()
            return True
        return False

    def _ask_unsaved(self) -> str:
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          f"{self._current_name} has changes that are not saved yet. Save them as a new version?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")

    def _page_changed(self, key: str) -> None:
        if key != "parsers" and self.is_dirty() and not self.confirm_leave():
            QTimer.singleShot(0, lambda: self.app.show_page("parsers"))

    # --- actions

    def save(self) -> bool:
        """Save the edited parser as a new version; False when nothing was saved."""
        if self._current_name is None or self._current_is_preset:
            return False
        spec = self.editor.spec()
        try:
            summary = parsers_store.save_parser(ParserSpec.from_dict(spec.to_dict()),
                                                expected_version=self._row_version)
        except UserError as exc:
            if changed_elsewhere(exc):
                if offer_reload(self, "Save parser", exc):
                    self.open_parser(self._current_name, False)  # their version; the edits here are dropped
                    self.reload()
            else:
                show_error(self, "Save parser", exc)
            return False
        self.open_parser(summary.name, False)
        problems = summary.problems
        self.app.status_message(f"Saved {summary.name} as version {summary.version}"
                                + (f"; {problems} problem{'s' if problems != 1 else ''} to fix before it can post."
                                   if problems else "."))
        self.saved.emit(summary.name, summary.version or 0)
        self.reload()
        return True

    def revert(self) -> None:
        """Drop the unsaved changes and show the saved parser again."""
        if self._current_name is not None:
            self._load_spec(ParserSpec.from_json(self._saved_json), self._current_is_preset)

    def duplicate_current(self) -> None:
        """Copy the current preset or parser under a new name and open the copy."""
        if self._current_name is None or not self.confirm_leave():
            return
        name = self.ask_name("Duplicate parser", f"Name of the copy of {self._current_name}:",
                             self._free_name(f"{self._current_name} copy"))
        if not name:
            return
        try:
            summary = parsers_store.duplicate(self._current_name, name)
        except UserError as exc:
            show_error(self, "Duplicate parser", exc)
            return
        self._open_new(summary.name)

    def new_parser(self) -> None:
        """Start a new parser from the generic JSON preset."""
        if not self.confirm_leave():
            return
        name = self.ask_name("New parser", "Name of the new parser (e.g. the client and its intake system):", "")
        if not name:
            return
        try:
            summary = parsers_store.duplicate("generic_json", name)
        except UserError as exc:
            show_error(self, "New parser", exc)
            return
        self._open_new(summary.name)

    def _open_new(self, name: str) -> None:
        self.open_parser(name, False)
        self._pending_select = (name, False)
        self.search.clear()
        self.reload()
        self.app.status_message(f"{name} saved as version 1; edit it and save again for a new version.")

    def _free_name(self, base: str) -> str:
        taken = {e.name for e in (self.list_model.entry_at(r) for r in range(self.list_model.rowCount())) if e}
        name, n = base, 2
        while name in taken:
            name, n = f"{base} {n}", n + 1
        return name

    def _ask_name(self, title: str, label: str, suggestion: str) -> str:
        name, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, suggestion)
        return name.strip() if ok else ""

    # --- history

    # --- test post

    def send_test(self) -> None:
        """Post the preview lead as a test to the real endpoint on a worker; the answer shows when it is back."""
        if self._current_name is None:
            return
        from xsc_desktop import posting

        spec = ParserSpec.from_dict(self.editor.spec().to_dict())
        try:
            request = render(spec, self.preview.lead(), self.test_settings(), self.test_secrets(), test=True)
        except RenderError as exc:
            self.preview.show_send_problem(send_problem(exc))
            return
        except ValueError as exc:
            self.preview.show_send_problem(f"The parser has a problem to fix first: {exc}.")
            return
        self.preview.show_sending(request.masked().url)
        self._test_serial += 1
        serial, name = self._test_serial, self._current_name
        def send():
            try:
                return posting.post(request, spec)
            finally:
                posting.close_thread_session()  # pool threads are reused for other work: no idle sockets left

        def still_current() -> bool:
            return (serial, name) == (self._test_serial, self._current_name)

        run_task(send, lambda attempt: self._test_done(attempt) if still_current() else None,
                 lambda exc: self._test_failed(exc) if still_current() else None)

    def _test_done(self, attempt) -> None:
        self._last_attempt = attempt
        self.preview.show_attempt(attempt)
        self.test_finished.emit(attempt)

    def _test_failed(self, exc: Exception) -> None:
        self.preview.show_send_problem(error_sentence(exc))
        self.test_finished.emit(None)

    def _fill_rule_menu(self) -> None:
        menu = self.preview.add_rule_menu
        menu.clear()
        if self._current_is_preset:
            menu.addAction("Duplicate the preset first to add rules").setEnabled(False)
            return
        for kind, label in (("accepted", "means Accepted"), ("duplicate", "means Duplicate"),
                            ("rejected", "means Rejected"), ("error", "means Error (try again later)")):
            menu.addAction(f"This answer {label}", lambda k=kind: self.add_rule_from_answer(k))

    def add_rule_from_answer(self, outcome: str) -> int:
        """Add a response rule that matches the last test answer and decides `outcome`; returns its row."""
        attempt = self._last_attempt
        if attempt is None or self._current_is_preset:
            return -1
        rule = suggest_rule(attempt.status, attempt.body_excerpt, outcome)
        row = self.editor.rules_model.add_item(rule, 0)  # first, so it decides before older, broader rules
        self.editor.tabs.setCurrentWidget(self.editor.rules_section)
        self.editor.rules_section.select(row)
        self.app.status_message("Rule added at the top of the response rules; check it and save.")
        return row

    # --- import and export

    def choose_import_file(self) -> None:
        """Ask for a parser JSON file and import it."""
        path, _ = QFileDialog.getOpenFileName(self, "Import parser", "", "Parser files (*.json);;All files (*)")
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> str | None:
        """Import a parser file (a new parser, or a new version of the one of that name); returns its name."""
        if not self.confirm_leave():
            return None
        try:
            summary = parsers_store.import_parser(path)
        except UserError as exc:
            show_error(self, "Import parser", exc)
            return None
        self.open_parser(summary.name, False)
        self._pending_select = (summary.name, False)
        self.search.clear()
        self.reload()
        self.app.status_message(f"Imported {summary.name} (version {summary.version}).")
        return summary.name

    def choose_export_file(self) -> None:
        """Ask where to write the parser, and whether secret values go too (they do not by default)."""
        if self._current_name is None:
            return
        from ui.dialogs.export_parser_dialog import ExportParserDialog

        dialog = ExportParserDialog(self._current_name, self)
        if dialog.exec() == ExportParserDialog.DialogCode.Accepted and dialog.path():
            self.export_to(dialog.path(), dialog.with_secrets())

    def export_to(self, path: Path, with_secrets: bool = False) -> bool:
        """Write the current parser (as saved) to a JSON file."""
        if self._current_name is None:
            return False
        if self.is_dirty():
            self.app.status_message("Exporting the saved version; your unsaved changes are not in the file.", 8000)
        try:
            text = parsers_store.export_parser(self._current_name, with_secrets=with_secrets)
            path.write_text(text, encoding="utf-8")
        except (UserError, OSError) as exc:
            show_error(self, "Export parser", exc if isinstance(exc, UserError)
                       else f"Cannot write {path}: {exc.strerror or exc}.")
            return False
        self.app.status_message(f"Exported {self._current_name} to {path}"
                                + (" with its secret values." if with_secrets else " (no secret values)."))
        return True

    # --- events

    def _on_event(self, topic: str, payload: dict) -> None:
        if topic == "parser.changed" and payload.get("name") != self._current_name:
            self.reload()


def send_problem(exc: RenderError) -> str:
    """Why a test post cannot be made, said for the editor (where test values are typed)."""
    parts = []
    if exc.settings:
        parts.append(f"{', '.join(exc.settings)} {'is' if len(exc.settings) == 1 else 'are'} empty: type "
                     f"{'its' if len(exc.settings) == 1 else 'their'} test value under Auth & settings")
    if exc.fields:
        parts.append(f"the lead leaves required {', '.join(exc.fields)} empty: pick or edit another lead")
    if exc.detail:
        parts.append(exc.detail)
    return "Nothing was sent: " + "; ".join(parts) + "."

