"""The Landers board: every lander with search, filters, status chips, a detail pane and pipeline moves."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs.lander_dialog import LanderDialog
from ui.dialogs.posting_docs_list import LanderPostingDocs
from ui.models.landers_model import STATUS_COLUMN, STATUS_ROLE, LandersModel
from ui.table_fit import fit_columns
from ui.widgets import ChipDelegate, changed_elsewhere, hint, offer_reload, page_title, show_error
from ui.workers import run_task
from xsc_desktop import activity, landers
from xsc_desktop.clients import FIX_CLIENT, FIX_INTEGRATION, FIX_POSTING_DOC, fix_place
from xsc_desktop.clock import local_text
from xsc_desktop.landers import FLAGS, STATUS_LABELS, LanderRow


class LandersPage(QWidget):
    """Landers awaiting integration and everything else in the pipeline."""

    title = "Landers"
    loaded = Signal(int)  # number of landers loaded, after every reload
    files_dropped = Signal(list, int)  # paths, lander id: posting docs or lead files dropped on a row

    def __init__(self, app, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.model = LandersModel(self)
        self._selected_id: int | None = None
        self._detail_id: int | None = None  # the lander the detail pane shows

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search client, campaign, lander or URL   (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.addItem("All statuses", None)
        for key, label in STATUS_LABELS.items():
            self.status_filter.addItem(label, key)
        self.client_filter = QComboBox()
        self.client_filter.setMinimumWidth(180)
        self.add_button = QPushButton("Add lander…")
        self.edit_button = QPushButton("Edit…")
        self.move_button = QToolButton()
        self.move_button.setText("Move to")
        self.move_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.move_menu = QMenu(self)
        self.move_button.setMenu(self.move_menu)
        self.import_button = QPushButton("Import CSV…")

        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        bar.addWidget(self.status_filter)
        bar.addWidget(self.client_filter)
        bar.addStretch(1)
        for widget in (self.add_button, self.edit_button, self.move_button, self.import_button):
            bar.addWidget(widget)

        self.callout = QFrame()
        self.callout.setObjectName("callout")
        callout_layout = QHBoxLayout(self.callout)
        callout_layout.setContentsMargins(10, 6, 10, 6)
        self.callout_label = QLabel()
        self.callout_label.setWordWrap(True)
        callout_layout.addWidget(self.callout_label)
        self.callout.hide()

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(7, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setItemDelegateForColumn(STATUS_COLUMN, ChipDelegate(STATUS_ROLE, parent=self.table))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setAlternatingRowColors(False)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.setAcceptDrops(True)
        header = self.table.horizontalHeader()
        self.table.setColumnHidden(6, True)  # "Handed over": shown from the header's menu when wanted
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        # The URL gives way first (elided, the whole address in its tooltip; in a narrow window it steps aside,
        # the pane shows it) so the columns after it show.
        fit_columns(self.table, stretch=3, keep=(STATUS_COLUMN, 7), most=180, floors={0: 110, 2: 110, 3: 150},
                    optional=(3,))
        self.empty_label = hint("No landers yet. Add one, or import a CSV of landers (File > Import landers).")
        self.empty_label.hide()

        self.detail = LanderDetail()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.callout)
        left_layout.addWidget(self.table)
        left_layout.addWidget(self.empty_label)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("landers-splitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([1000, 230])

        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Landers"))
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        focus_search = QAction(self)
        focus_search.setShortcut(QKeySequence.StandardKey.Find)
        focus_search.triggered.connect(lambda: (self.search.setFocus(), self.search.selectAll()))
        self.addAction(focus_search)

        self.search.textChanged.connect(lambda text: self.model.set_filter(text=text))
        self.status_filter.currentIndexChanged.connect(
            lambda _i: self.model.set_filter(status=self.status_filter.currentData()))
        self.client_filter.currentIndexChanged.connect(
            lambda _i: self.model.set_filter(client_id=self.client_filter.currentData() or None))
        self.model.modelReset.connect(self._restore_selection)
        self.model.layoutChanged.connect(self._restore_selection)  # filtering and sorting keep the selection
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.detail.fix_requested.connect(self.fix)
        self.add_button.clicked.connect(self.add_lander)
        self.edit_button.clicked.connect(self.edit_selected)
        self.import_button.clicked.connect(self.choose_import_file)
        self.move_menu.aboutToShow.connect(self._fill_move_menu)
        app.bridge.event.connect(self._on_event)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(150)
        self._reload_timer.timeout.connect(self.reload)
        self._stale = False
        self._update_buttons()

    # --- loading

    def reload(self) -> None:
        """Load the landers off the GUI thread, then show them."""
        run_task(landers.list_landers, self._loaded, lambda exc: show_error(self, "Landers", exc))

    def _loaded(self, rows: list[LanderRow]) -> None:
        from xsc_desktop.delivery_gate import landers_at_daily_cap

        self.model.set_rows(rows)
        run_task(landers_at_daily_cap, self.model.set_capped)  # once per refresh, off the GUI thread
        self._fill_client_filter(rows)
        new_clients = sorted({r.client for r in rows if r.new_client and r.status not in ("archived",)})
        if new_clients:
            waiting = sum(1 for r in rows if r.new_client and r.status in ("in_production", "ready", "needs_info"))
            self.callout_label.setText(
                f"★ {len(new_clients)} new client{'s' if len(new_clients) > 1 else ''}: {', '.join(new_clients)}"
                f" — {waiting} of their landers not yet queued. Check everything twice.")
            self.callout.show()
        else:
            self.callout.hide()
        self.empty_label.setVisible(not rows)
        self.table.setVisible(bool(rows))
        self._refresh_detail()
        self.loaded.emit(len(rows))

    def _fill_client_filter(self, rows: list[LanderRow]) -> None:
        current = self.client_filter.currentData()
        clients = sorted({(r.client, r.client_id) for r in rows})
        self.client_filter.blockSignals(True)
        self.client_filter.clear()
        self.client_filter.addItem("All clients", None)
        for name, client_id in clients:
            self.client_filter.addItem(name, client_id)
        index = self.client_filter.findData(current)
        self.client_filter.setCurrentIndex(max(index, 0))
        self.client_filter.blockSignals(False)

    def _on_event(self, topic: str, payload: dict) -> None:
        if topic in ("lander.changed", "lander.imported", "task.changed", "queue.finished"):
            if self.isVisible():
                self._reload_timer.start()
            else:
                self._stale = True  # reloaded when shown again: no reads for a page nobody looks at
        elif topic == "posting_doc.changed":
            self.detail.posting_docs.refresh()
        elif topic == "integration.capped" and payload.get("lander_id") is not None:
            self.model.set_capped(self.model.capped() | {payload["lander_id"]})

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.reload()

    # --- selection and detail

    def selected_row(self) -> LanderRow | None:
        """The lander selected on the board."""
        indexes = self.table.selectionModel().selectedRows()
        return self.model.row_at(indexes[0].row()) if indexes else None

    def select_lander(self, lander_id: int) -> bool:
        """Select a lander by id (when it is shown); returns whether it was found."""
        row = self.model.row_of(lander_id)
        if row < 0:
            return False
        self.table.selectionModel().select(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _restore_selection(self) -> None:
        """Select the lander chosen last again when it is shown (after a reload, or when the search shows it
        again); while it is filtered out the detail pane is empty."""
        row = self.selected_row()
        if row is not None and row.id == self._selected_id:
            return  # still selected: the layout change kept it
        if self._selected_id is None or not self.select_lander(self._selected_id):
            if self._detail_id is not None:
                self._refresh_detail()
                self._update_buttons()

    def _selection_changed(self, *_args) -> None:
        row = self.selected_row()
        if row is not None:
            self._selected_id = row.id
        self._refresh_detail()
        self._update_buttons()

    def _refresh_detail(self) -> None:
        row = self.selected_row()
        self._detail_id = row.id if row is not None else None
        self.detail.show_lander(row)

    def _update_buttons(self) -> None:
        has = self.selected_row() is not None
        self.edit_button.setEnabled(has)
        self.move_button.setEnabled(has)

    # --- actions

    def add_lander(self) -> None:
        """Open the add dialog and create the lander."""
        dialog = LanderDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            lander = landers.add_lander(**dialog.values())
        except Exception as exc:
            show_error(self, "Add lander", exc)
            return
        self._selected_id = lander.id
        self.reload()

    def open_selected(self) -> None:
        """Return on the board: edit the selected lander."""
        self.edit_selected()

    def edit_selected(self) -> None:
        """Open the edit dialog for the selected lander."""
        row = self.selected_row()
        if row is None:
            return
        while row is not None:
            dialog = LanderDialog(self, row)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            try:
                landers.update_lander(row.id, expected_version=row.row_version or None, **dialog.values())
            except Exception as exc:
                if not changed_elsewhere(exc):
                    show_error(self, "Edit lander", exc)
                    return
                reload = offer_reload(self, "Edit lander", exc)
                self.reload()
                if not reload:
                    return
                row = self._fresh_row(row.id)  # the form again, with the other operator's change in it
                continue
            self.reload()
            return

    def _fresh_row(self, lander_id: int) -> LanderRow | None:
        try:
            return landers.lander_row(lander_id)
        except Exception as exc:
            show_error(self, "Edit lander", exc)
            return None

    def edit_client(self) -> None:
        """Open the selected lander's client (contacts, intake system, time zone, its landers)."""
        from ui.dialogs.client_dialog import open_client_dialog

        row = self.selected_row()
        if row is not None:
            open_client_dialog(self.app, row.client_id, on_saved=lambda _id: self.reload())

    def fix(self, place: str) -> None:
        """Open the place that fixes what the selected lander is missing."""
        row = self.selected_row()
        if row is None:
            return
        if place == FIX_CLIENT:
            self.edit_client()
            return
        wanted = {FIX_INTEGRATION: "IntegrationAction", FIX_POSTING_DOC: "ImportForLanderAction"}.get(place)
        for action in getattr(self.app, "lander_actions", []):
            if type(action).__name__ == wanted:
                action.run(row)
                return

    def _fill_move_menu(self) -> None:
        self.move_menu.clear()
        row = self.selected_row()
        if row is None:
            return
        for status in landers.allowed_moves(row.status):
            action = self.move_menu.addAction(STATUS_LABELS[status])
            action.triggered.connect(lambda _checked=False, s=status: self._ask_and_move(s))

    def _ask_and_move(self, status: str) -> None:
        row = self.selected_row()
        if row is None:
            return
        note, ok = QInputDialog.getText(self, "Move lander",
                                        f"Move “{row.name}” to {STATUS_LABELS[status]}.\nNote (optional):")
        if ok:
            self.move_selected(status, note)

    def move_selected(self, status: str, note: str = "") -> bool:
        """Move the selected lander; a forbidden move is refused with the allowed ones named."""
        row = self.selected_row()
        if row is None:
            return False
        try:
            landers.set_status(row.id, status, note=note, expected_version=row.row_version or None)
        except Exception as exc:
            if changed_elsewhere(exc):
                offer_reload(self, "Move lander", exc)  # either way the board shows where the lander is now
                self.reload()
            else:
                show_error(self, "Move lander", exc)
            return False
        self.reload()
        return True

    def _header_menu(self, pos) -> None:
        """Show or hide a column (right-click on the header)."""
        menu = QMenu(self)
        for column in range(self.model.columnCount()):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(column))
            action.setEnabled(column != 0)
            action.toggled.connect(lambda on, c=column: self.table.setColumnHidden(c, not on))
        menu.exec(self.table.horizontalHeader().mapToGlobal(pos))

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = QMenu(self)
        menu.addAction("Edit…", self.edit_selected)
        menu.addAction("Edit client…", self.edit_client)
        moves = menu.addMenu("Move to")
        row = self.model.row_at(index.row())
        for status in landers.allowed_moves(row.status):
            moves.addAction(STATUS_LABELS[status], lambda s=status: self._ask_and_move(s))
        for extra in getattr(self.app, "lander_actions", []):
            menu.addAction(extra.text, lambda e=extra, r=row: e.run(r))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def choose_import_file(self) -> None:
        """Ask for a landers CSV and import it."""
        path, _ = QFileDialog.getOpenFileName(self, "Import landers", "", "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.import_csv(Path(path))

    def import_csv(self, path: Path) -> None:
        """Import a landers CSV on a worker; the report comes back as a message."""
        from xsc_desktop.lander_import import import_landers

        self.app.status_message(f"Importing {path.name}…")
        run_task(lambda: import_landers(path), self._imported, lambda exc: show_error(self, "Import landers", exc))

    def _imported(self, report) -> None:
        self.app.status_message(report.summary(), 8000)
        self.app.notifications.notify("Landers imported", report.summary(), page="landers")  # stays in the list
        self.reload()
        if report.problems:
            lines = "\n".join(f"Line {line}: {reason}." for line, reason in report.problems[:30])
            more = f"\n…and {len(report.problems) - 30} more." if len(report.problems) > 30 else ""
            self.app.show_report("Import landers", report.summary(), lines + more)

    def lander_at(self, pos) -> LanderRow | None:
        """The lander under a point of the table's viewport (drops on a row)."""
        index: QModelIndex = self.table.indexAt(pos)
        return self.model.row_at(index.row()) if index.isValid() else None


class LanderDetail(QWidget):
    """The facts of the selected lander and its Activity history; the client and every missing thing are links
    to the place that fixes them (`fix_requested` carries clients.FIX_CLIENT, FIX_POSTING_DOC or FIX_INTEGRATION)."""

    fix_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("Select a lander to see its details.")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight: 600; font-size: 14px;")
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.facts.linkActivated.connect(self._link)
        self.facts.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.leads_line = QLabel()  # the lander's lead counts, read off the GUI thread
        self.leads_line.setWordWrap(True)
        self._counts_for: int | None = None
        self.history = QListWidget()
        self.history.setWordWrap(True)
        self.posting_docs = LanderPostingDocs()  # double-click opens a doc's review
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.facts)
        layout.addWidget(self.leads_line)
        layout.addWidget(self.posting_docs)
        layout.addWidget(QLabel("History"))
        layout.addWidget(self.history, 1)

    def show_lander(self, row: LanderRow | None) -> None:
        """Show one lander, or the empty hint."""
        self.history.clear()
        self._show_lead_counts(row)
        self.posting_docs.show_lander(row.id if row is not None else None)
        if row is None:
            self.heading.setText("Select a lander to see its details.")
            self.facts.clear()
            return
        self.heading.setText(row.name)
        flags = ", ".join(FLAGS.get(f, f) for f in row.flags) or "none"
        new_mark = " ★ new client" if row.new_client else ""
        lines = [
            f"<b>Client</b>: <a href=\"fix:{FIX_CLIENT}\">{html.escape(row.client)}</a>{new_mark}",
            f"<b>Campaign</b>: {html.escape(row.campaign)}",
            f"<b>URL</b>: <a href=\"{html.escape(row.url)}\">{html.escape(row.url)}</a>",
            f"<b>Status</b>: {STATUS_LABELS.get(row.status, row.status)}",
            f"<b>Custom scripts</b>: {html.escape(flags)}" + (f" — {html.escape(row.flag_note)}" if row.flag_note else ""),
            f"<b>Handed over</b>: {local_text(row.handed_over_at) or 'not yet'}",
        ]
        if row.missing_info:
            links = [f'<a href="fix:{fix_place(reason)}">{html.escape(reason)}</a>' for reason in row.missing_info]
            lines.append("<b>Missing</b> (click to fix): " + "; ".join(links))
        self.facts.setText("<br>".join(lines))
        for entry in activity.history("lander", row.id, limit=100):
            move = (f"{STATUS_LABELS.get(entry.from_state, entry.from_state or '')} → "
                    f"{STATUS_LABELS.get(entry.to_state, entry.to_state or '')}"
                    if entry.from_state or entry.to_state else entry.action)
            note = f" — {entry.note}" if entry.note else ""
            self.history.addItem(f"{local_text(entry.at)}  {entry.actor}: {move}{note}")

    def _link(self, href: str) -> None:
        if href.startswith("fix:"):
            self.fix_requested.emit(href[4:])
        else:
            QDesktopServices.openUrl(QUrl(href))

    def _show_lead_counts(self, row: LanderRow | None) -> None:
        """Leads received today, delivered, failed and pending, from one indexed query on a worker."""
        self._counts_for = row.id if row is not None else None
        self.leads_line.clear()
        if row is None:
            return
        lander_id = row.id

        def counts() -> dict[str, int]:
            from xsc_desktop.leads import lander_counts  # imported on the worker: the board paints without waiting

            return lander_counts(lander_id)

        run_task(counts, lambda found: self._lead_counts_loaded(lander_id, found))

    def _lead_counts_loaded(self, lander_id: int, counts: dict[str, int]) -> None:
        if lander_id != self._counts_for:
            return  # another lander was selected meanwhile
        extra = "".join(f" · {counts[key]} {word}" for key, word in (("held", "held"), ("records", "kept for records"))
                        if counts.get(key))
        self.leads_line.setText(f"<b>Leads</b>: {counts['today']} received today · {counts['delivered']} delivered · "
                                f"{counts['failed']} failed · {counts['pending']} pending{extra}")

