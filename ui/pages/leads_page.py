"""The Leads page: every lead of every lander, filtered and searched over millions of rows, with its delivery log.

Also installs, when the window starts, the File menu's "Import leads…" and the drop handler that takes lead files
(CSV, XLSX, JSON) dropped anywhere or on a lander's row, after checking their content.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs.lead_mapping_dialog import ConflictsDialog, MappingDialog
from ui.models.leads_model import (
    COLUMNS,
    STATE_COLOURS,
    STATE_COLUMN,
    STATE_LABELS,
    STATE_ROLE,
    DeliveriesModel,
    LeadsModel,
)
from ui.pages.lead_detail import LeadDetail
from ui.table_fit import fit_columns
from ui.widgets import ChipDelegate, hint, page_title, rich_escape, show_error
from ui.workers import run_task
from xsc_desktop.clock import local_day_bounds_utc
from xsc_desktop.leads import LeadFilter

SEARCH_DEBOUNCE_MS = 250
RELOAD_DEBOUNCE_MS = 2000
EXPORT_SELECTION_LIMIT = 100_000


class LeadsPage(QWidget):
    """Leads with filters, a detail pane with the delivery attempts, resend / mark delivered / export, imports."""

    title = "Leads"
    imported = Signal(object)  # the ImportReport of a finished import

    def __init__(self, app, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.model = LeadsModel(self)
        self.deliveries = DeliveriesModel(self)
        self._lead_id: int | None = None

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search last name, phone or e-mail   (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.client_filter = QComboBox()
        self.client_filter.setMinimumWidth(120)
        self.lander_filter = QComboBox()
        self.lander_filter.setMinimumWidth(130)
        self.state_filter = QComboBox()
        self.state_filter.addItem("Any state", None)
        for key, label in STATE_LABELS.items():
            self.state_filter.addItem(label, key)
        self.since = _date_edit("From")
        self.until = _date_edit("To")
        self.count_label = QLabel("")
        self.count_label.setProperty("role", "hint")

        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        for widget in (self.client_filter, self.lander_filter, self.state_filter, QLabel("Received"), self.since,
                       QLabel("–"), self.until):
            bar.addWidget(widget)

        self.import_button = QPushButton("Import leads…")
        self.resend_button = QPushButton("Resend…")
        self.mark_button = QPushButton("Mark delivered…")
        self.export_button = QPushButton("Export selection…")
        actions = QHBoxLayout()
        actions.addWidget(self.count_label, 1)
        for widget in (self.import_button, self.resend_button, self.mark_button, self.export_button):
            actions.addWidget(widget)

        self.banner = QFrame()
        self.banner.setObjectName("callout")
        self.banner_layout = QHBoxLayout(self.banner)
        self.banner_layout.setContentsMargins(10, 6, 10, 6)
        self.banner.hide()

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setItemDelegateForColumn(STATE_COLUMN, ChipDelegate(STATE_ROLE, STATE_COLOURS, self.table))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        # In a narrow window the columns the lead's pane shows anyway step aside, the rest stay readable.
        fit_columns(self.table, stretch=COLUMNS.index("E-mail"), keep=(STATE_COLUMN, 0),
                    floors={COLUMNS.index("Name"): 110, COLUMNS.index("E-mail"): 130},
                    optional=tuple(COLUMNS.index(c) for c in ("External id", "State", "Client", "Lander", "Phone")))
        self.empty_label = hint("No leads here. Import a lead file (drop it on this page or on a lander's row), "
                                "or give a lander a feed URL.")
        self.empty_label.hide()

        self.detail = LeadDetail(self.deliveries)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table)
        left_layout.addWidget(self.empty_label)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("leads-splitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([900, 420])

        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Leads"))
        layout.addWidget(self.banner)
        layout.addLayout(bar)
        layout.addLayout(actions)
        layout.addWidget(self.splitter, 1)

        focus_search = QAction(self)
        focus_search.setShortcut(QKeySequence.StandardKey.Find)
        focus_search.triggered.connect(lambda: (self.search.setFocus(), self.search.selectAll()))
        self.addAction(focus_search)

        self._search_timer = _single_shot(self, SEARCH_DEBOUNCE_MS, self.apply_filter)
        self._reload_timer = _single_shot(self, RELOAD_DEBOUNCE_MS, self._refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.client_filter.currentIndexChanged.connect(self._client_changed)
        for widget in (self.lander_filter, self.state_filter):
            widget.currentIndexChanged.connect(lambda _i: self.apply_filter())
        for widget in (self.since, self.until):
            widget.dateChanged.connect(lambda _d: self.apply_filter())
        self.model.counted.connect(self._counted)
        self.model.modelReset.connect(self._restore_selection)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.import_button.clicked.connect(self.choose_files)
        self.resend_button.clicked.connect(self.resend_selected)
        self.mark_button.clicked.connect(self.mark_selected_delivered)
        self.export_button.clicked.connect(self.export_selection)
        app.bridge.event.connect(self._on_event)
        self._update_buttons()

    # --- loading and filters

    def open_selected(self) -> None:
        """Return on the table: the selected lead's fields and attempts."""
        self.detail.attempts.setFocus()

    def reload(self) -> None:
        """Fill the filter lists and show the leads (counted off the GUI thread)."""
        from xsc_desktop.leads import lander_names

        run_task(lander_names, self._fill_filters, lambda exc: show_error(self, "Leads", exc))
        self._refresh_banner()

    def _refresh(self) -> None:
        if not self.isVisible():
            self._stale = True  # a hidden page (another page shown, window in the tray) reads again when shown
            return
        self._stale = False
        self.model.reload()
        self._refresh_banner()
        self._show_detail()

    def showEvent(self, event) -> None:  # Qt's name
        super().showEvent(event)
        if getattr(self, "_stale", False):
            self._refresh()

    def _fill_filters(self, landers: dict[int, tuple[str, str, int]]) -> None:
        current_client = self.client_filter.currentData()
        self.client_filter.blockSignals(True)
        self.client_filter.clear()
        self.client_filter.addItem("All clients", None)
        for client_id, name in sorted({(c_id, c) for _n, c, c_id in landers.values()}, key=lambda x: x[1].lower()):
            self.client_filter.addItem(name, client_id)
        self.client_filter.setCurrentIndex(max(0, self.client_filter.findData(current_client)))
        self.client_filter.blockSignals(False)
        self._landers = landers
        self._fill_lander_filter()
        self.apply_filter()

    def _fill_lander_filter(self) -> None:
        current = self.lander_filter.currentData()
        client_id = self.client_filter.currentData()
        self.lander_filter.blockSignals(True)
        self.lander_filter.clear()
        self.lander_filter.addItem("All landers", None)
        for lander_id, (name, _client, c_id) in sorted(getattr(self, "_landers", {}).items(),
                                                        key=lambda kv: kv[1][0].lower()):
            if client_id is None or c_id == client_id:
                self.lander_filter.addItem(name, lander_id)
        self.lander_filter.setCurrentIndex(max(0, self.lander_filter.findData(current)))
        self.lander_filter.blockSignals(False)

    def _client_changed(self, _index: int) -> None:
        self._fill_lander_filter()
        self.apply_filter()

    def current_filter(self) -> LeadFilter:
        """The filter the controls describe: the days are the operator's, turned into stored (UTC) bounds."""
        since = _date_value(self.since)
        until = _date_value(self.until)
        return LeadFilter(client_id=self.client_filter.currentData(), lander_id=self.lander_filter.currentData(),
                          state=self.state_filter.currentData(),
                          since=local_day_bounds_utc(since)[0] if since else None,
                          until=local_day_bounds_utc(until)[1] if until else None, text=self.search.text())

    def apply_filter(self) -> None:
        """Count and show the leads matching the controls."""
        self._search_timer.stop()
        self.count_label.setText("Counting…")
        self.model.set_filter(self.current_filter())

    def show_lander(self, lander_id: int | None) -> None:
        """Filter on one lander (from the Landers board)."""
        index = self.lander_filter.findData(lander_id)
        if index < 0 and lander_id is not None:
            self.client_filter.setCurrentIndex(0)
            index = self.lander_filter.findData(lander_id)
        self.lander_filter.setCurrentIndex(max(0, index))

    def _counted(self, count: int) -> None:
        self.count_label.setText(f"{count:,} lead{'s' if count != 1 else ''}")
        self.empty_label.setVisible(count == 0)
        self.table.setVisible(count > 0)

    def _on_event(self, topic: str, payload: dict) -> None:
        if topic in ("lead.imported", "delivery.changed", "integration.paused", "integration.changed"):
            if not self._reload_timer.isActive():
                self._reload_timer.start()

    # --- paused integrations

    def _refresh_banner(self) -> None:
        from xsc_desktop.delivery import paused_integrations

        run_task(paused_integrations, self._show_banner)

    def _show_banner(self, paused: list[dict]) -> None:
        while self.banner_layout.count():
            item = self.banner_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        if not paused:
            self.banner.hide()
            return
        for entry in paused[:3]:
            label = QLabel(f"Deliveries of <b>{rich_escape(entry['name'])}</b> are paused: {rich_escape(entry['reason'])}")
            label.setWordWrap(True)
            button = QPushButton("Resume")
            button.clicked.connect(lambda _c=False, i=entry["id"]: self.resume(i))
            self.banner_layout.addWidget(label, 1)
            self.banner_layout.addWidget(button)
        if len(paused) > 3:
            self.banner_layout.addWidget(QLabel(f"…and {len(paused) - 3} more"))
        self.banner.show()

    def resume(self, integration_id: int) -> None:
        """Resume a paused integration (one click; written on a worker)."""
        from xsc_desktop.delivery import resume_integration

        def resumed(_none) -> None:
            self.app.status_message("Deliveries resumed; waiting leads go out at the next delivery pass.")
            self._refresh_banner()

        run_task(lambda: resume_integration(integration_id), resumed,
                 lambda exc: show_error(self, "Resume deliveries", exc))

    # --- selection and detail

    def selected_ids(self) -> list[int]:
        """The ids of the selected leads, in table order."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [lead_id for lead_id in (self.model.lead_id_at(r) for r in rows) if lead_id is not None]

    def select_lead(self, lead_id: int) -> bool:
        """Select a lead among the loaded rows."""
        row = self.model.row_of(lead_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        return True

    def _restore_selection(self) -> None:
        if self._lead_id is not None and not self.select_lead(self._lead_id):
            self._show_detail()

    def _selection_changed(self, *_args) -> None:
        ids = self.selected_ids()
        if ids:
            self._lead_id = ids[0]
        self._show_detail()
        self._update_buttons()

    def _show_detail(self) -> None:
        ids = self.selected_ids() if self.table.selectionModel() else []
        self.detail.show_lead(ids[0] if len(ids) == 1 else None, len(ids))

    def _update_buttons(self) -> None:
        count = len(self.table.selectionModel().selectedRows())
        self.resend_button.setEnabled(count == 1)
        self.mark_button.setEnabled(count == 1)
        self.export_button.setEnabled(count > 0)

    # --- actions

    def resend_selected(self, *, confirm: bool = True) -> None:
        """Resend the selected lead after the operator confirms; the attempt is logged in Activity."""
        from xsc_desktop.delivery import resend
        from xsc_desktop.models import Lead

        ids = self.selected_ids()
        if len(ids) != 1:
            return
        lead = Lead.get_or_none(Lead.id == ids[0])
        if lead is None:
            return
        warning = {"delivered": "The client already accepted this lead; sending it again may create a duplicate.",
                   "uncertain": "The client may already have this lead (the last attempt got no answer); check "
                                "their system first, or it may arrive twice."}.get(lead.delivery_state, "")
        if confirm:
            answer = QMessageBox.question(self, "Resend lead", f"Send lead {lead.id} to the client again?\n\n{warning}"
                                          .strip())
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.app.status_message(f"Sending lead {lead.id} again…")
        run_task(lambda: resend(lead.id), lambda report: self._after_action(f"Lead {lead.id}: {report.summary()}"),
                 lambda exc: show_error(self, "Resend lead", exc))

    def mark_selected_delivered(self, *, confirm: bool = True) -> None:
        """Record that the client has the selected lead (after the operator checked), logged in Activity."""
        from xsc_desktop.delivery import mark_delivered

        ids = self.selected_ids()
        if len(ids) != 1:
            return
        if confirm:
            answer = QMessageBox.question(self, "Mark delivered", f"Did you check that the client has lead {ids[0]}? "
                                          "It will be marked delivered and not sent again.")
            if answer != QMessageBox.StandardButton.Yes:
                return
        lead_id = ids[0]
        run_task(lambda: mark_delivered(lead_id), lambda _none: self._after_action(f"Lead {lead_id} marked delivered."),
                 lambda exc: show_error(self, "Mark delivered", exc))

    def _after_action(self, message: str) -> None:
        self.app.status_message(message, 8000)
        self._refresh()

    def export_selection(self, path: Path | None = None) -> None:
        """Write the selected leads to a CSV file chosen by the operator (on a worker)."""
        from xsc_desktop.leads import export_csv

        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        if len(rows) > EXPORT_SELECTION_LIMIT:
            show_error(self, "Export leads", f"{len(rows):,} leads are selected; export at most "
                                             f"{EXPORT_SELECTION_LIMIT:,} at once, or use `xsc-desktop leads export`.")
            return
        if path is None:
            name, _ = QFileDialog.getSaveFileName(self, "Export leads", "leads.csv", "CSV files (*.csv)")
            if not name:
                return
            path = Path(name)
        ids = self.selected_ids()
        run_task(lambda: export_csv(path, lead_ids=ids),
                 lambda count: self.app.status_message(f"Wrote {count} leads to {path}.", 8000),
                 lambda exc: show_error(self, "Export leads", exc))

    # --- imports

    def choose_files(self) -> None:
        """Ask for lead files and import them."""
        names, _ = QFileDialog.getOpenFileNames(self, "Import leads", "",
                                                "Lead files (*.csv *.tsv *.txt *.xlsx *.json *.jsonl);;All files (*)")
        if names:
            self.import_files([Path(n) for n in names], self.default_lander())

    def default_lander(self) -> int | None:
        """The lander a file is imported for unless the operator picks another: the one the page is filtered to,
        else the first lander of the client it is filtered to."""
        if self.lander_filter.currentData() is not None:
            return self.lander_filter.currentData()
        if self.client_filter.currentData() is not None and self.lander_filter.count() > 1:
            return self.lander_filter.itemData(1)
        return None

    def import_files(self, paths: list[Path], lander_id: int | None = None, *, confirm: bool = True) -> None:
        """Preview each file, confirm its column mapping and lander, then import it on a worker with progress."""
        from xsc_desktop.leads import integrated_landers, lander_names, preview_file

        known = getattr(self, "_landers", None)
        for path in paths:
            # The file's head, the landers (when the page has not loaded them yet) and which of them are integrated:
            # all read on the worker.
            run_task(lambda p=path: (preview_file(p, lander_id), known if known is not None else lander_names(),
                                     integrated_landers()),
                     lambda result: self._confirm_and_import(*result, lander_id, confirm),
                     lambda exc: show_error(self, "Import leads", exc))

    def _confirm_and_import(self, preview, landers: dict, integrated: set[int], lander_id: int | None,
                            confirm: bool) -> None:
        self._landers = landers
        if not landers:
            show_error(self, "Import leads", "There are no landers yet; add the lander the leads came from first.")
            return
        from xsc_desktop import settings

        dialog = MappingDialog(preview, landers, lander_id, self, integrated=integrated,
                               records_after_hours=int(settings.get("leads.records_only_after_hours")))
        dialog.lander_box.currentIndexChanged.connect(lambda _i: self._remap(dialog))
        self.mapping_dialog = dialog  # tests reach it here
        if confirm:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
        self.start_import(preview.path, dialog.lander_id(), dialog.mapping(), delivery=dialog.delivery())

    def _remap(self, dialog: MappingDialog) -> None:
        """The operator picked another lander: propose that lander's remembered column choices (read on a worker)."""
        from xsc_desktop.leads import propose_mapping, remembered_mapping

        lander_id = dialog.lander_id()
        columns = list(dialog.preview.columns)
        dialog.set_waiting(True)

        def proposed(mapping: dict[str, str | None]) -> None:
            if dialog.lander_id() == lander_id:  # a later pick's answer is on its way otherwise
                dialog.set_mapping(mapping)
                dialog.set_waiting(False)

        def failed(exc: Exception) -> None:
            dialog.set_waiting(False)
            show_error(dialog, "Import leads", exc)

        run_task(lambda: propose_mapping(columns, remembered_mapping(lander_id)), proposed, failed)

    def start_import(self, path: Path, lander_id: int, mapping: dict[str, str | None], *, delivery: str = "auto",
                     on_conflict: str = "skip") -> None:
        """Import one file with a progress dialog that can cancel (what was stored stays)."""
        from xsc_desktop.leads import import_file

        cancel = threading.Event()
        progress = QProgressDialog(f"Importing {path.name}…", "Cancel", 0, 1000, self)
        progress.setWindowTitle("Import leads")
        progress.setMinimumDuration(400)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.canceled.connect(cancel.set)
        relay = _ProgressRelay(progress, self)
        self.app.status_message(f"Importing {path.name}…", 0)

        def done_with_progress() -> None:
            # Closing a progress dialog emits `canceled`: the import is over, so that must not cancel anything.
            progress.canceled.disconnect(cancel.set)
            progress.close()
            progress.deleteLater()
            relay.deleteLater()

        def finished(report) -> None:
            done_with_progress()
            self._imported(report, path, mapping, delivery)

        def failed(exc) -> None:
            done_with_progress()
            show_error(self, "Import leads", exc)

        run_task(lambda: import_file(path, lander_id, mapping, progress=relay.moved.emit, cancel=cancel,
                                     delivery=delivery, on_conflict=on_conflict),
                 finished, failed)

    def _imported(self, report, path: Path | None = None, mapping: dict | None = None, delivery: str = "auto") -> None:
        self.app.status_message(report.summary(), 10000)
        self.app.notifications.notify("Leads imported", report.summary(), page="leads")  # stays in the list
        self._refresh()
        if report.conflicts and path is not None:
            dialog = ConflictsDialog(report, self)
            self.conflicts_dialog = dialog  # tests reach it here
            dialog.import_as_new.connect(lambda: self.start_import(path, report.lander_id, mapping or {},
                                                                   delivery=delivery, on_conflict="new"))
            dialog.open()
            self.imported.emit(report)
            return
        if report.problems or report.error or report.cancelled:
            lines = "\n".join(f"Line {line}: {message}." for line, message in report.problems[:200])
            more = report.problem_count - min(200, len(report.problems))
            if more > 0:
                lines += f"\n…and {more} more (`xsc-desktop leads import FILE --lander ID --json` lists them all)."
            self.app.show_report("Import leads", report.summary(), lines)
        self.imported.emit(report)


class _ProgressRelay(QObject):
    """Carries progress from the import worker to the GUI thread and shows it in the progress dialog.

    `moved` is emitted on the worker; it reaches `_show`, a slot of this GUI-thread object, queued. (A lambda
    connected to it could run on the worker and touch the dialog from there.)
    """

    moved = Signal(int, int)

    def __init__(self, progress, parent: QObject | None = None) -> None:  # a QProgressDialog
        super().__init__(parent)
        self.progress = progress
        self.moved.connect(self._show)

    @Slot(int, int)
    def _show(self, done: int, total: int) -> None:
        self.progress.setValue(int(1000 * done / total) if total else 0)


def _date_edit(placeholder: str) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumDate(QDate(2000, 1, 1))
    edit.setSpecialValueText("any")  # shown at the minimum date: no bound
    edit.setDate(edit.minimumDate())
    edit.setToolTip(f"{placeholder} this date (set to the earliest to clear)")
    return edit


def _date_value(edit: QDateEdit) -> date | None:
    if edit.date() == edit.minimumDate():
        return None
    d = edit.date()
    return date(d.year(), d.month(), d.day())


def _single_shot(parent: QObject, msecs: int, slot) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(msecs)
    timer.timeout.connect(slot)
    return timer


# ---- start-up: File menu entry and drop handler --------------------------------------------------------------
def install(window) -> None:
    """Add "Import leads…" to the File menu and take dropped lead files (content-checked)."""

    def import_from_menu() -> None:
        window.show_page("leads")
        window.page("leads").choose_files()

    action = QAction("Import &leads…", window)
    action.setShortcut(QKeySequence("Ctrl+Shift+I"))
    action.triggered.connect(import_from_menu)
    window.file_menu.insertAction(window.file_menu_separator, action)

    rerouting: list[list[Path]] = []  # drops being sent on to the other handlers (a part may come back alone)

    def take_lead_files(paths: list[Path], lander_id: int | None) -> bool:
        # On the GUI thread only names, sizes and a landers CSV's first 64 KB are read; whether the files hold
        # leads is read on a worker, and files that do not are sent on to the other handlers from there.
        if paths in rerouting or not paths or not all(_may_be_lead_file(p) for p in paths):
            return False  # landers CSVs and posting docs go to their own handlers
        run_task(lambda: _all_lead_files(paths), lambda leads: decided(leads, paths, lander_id),
                 lambda exc: show_error(window, "Import leads", exc))
        return True

    def decided(leads: bool, paths: list[Path], lander_id: int | None) -> None:
        if not leads:
            rerouting.append(paths)
            try:
                window.handle_files(paths, lander_id)
            finally:
                rerouting.remove(paths)
            return
        page = window.page("leads")
        if lander_id is None:
            window.show_page("leads")
        page.import_files(paths, lander_id if lander_id is not None else page.lander_filter.currentData())

    window.drop_handlers.append(take_lead_files)
    return None


def _may_be_lead_file(path: Path) -> bool:
    """What can be told without reading the file's content: a lead file's suffix, a file, not a landers CSV."""
    from xsc_desktop.lander_import import looks_like_landers_csv
    from xsc_desktop.leads import LEAD_FILE_SUFFIXES

    path = Path(path)
    return path.suffix.lower() in LEAD_FILE_SUFFIXES and path.is_file() and not looks_like_landers_csv(path)


def _all_lead_files(paths: list[Path]) -> bool:
    """Whether every file holds leads (reads their first rows: a worker's job)."""
    from xsc_desktop.leads import looks_like_lead_file

    return all(looks_like_lead_file(p) for p in paths)
