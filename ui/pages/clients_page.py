"""The Clients page: every law firm with its contacts, intake system, time zone and landers; add and edit."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from parsers.spec import system_label
from ui.dialogs.client_dialog import open_client_dialog
from ui.models.base import ROW_ROLE
from ui.models.queue_model import RowsModel
from ui.table_fit import fit_columns
from ui.widgets import hint, page_title, show_error, table_keys
from ui.workers import run_task
from xsc_desktop import clients

COLUMNS = ("Client", "Contacts", "Intake system", "Time zone", "Landers", "New client")
DISPLAY = Qt.ItemDataRole.DisplayRole


class ClientsModel(RowsModel):
    """Client rows (dicts of `clients.list_clients`), filtered by a search text."""

    columns = COLUMNS

    @staticmethod
    def row_id(row: dict) -> int:
        """A client's id."""
        return row["id"]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == DISPLAY:
            contacts = ", ".join(row["contacts"]) or "none — confirmations cannot be sent"
            return (row["name"], contacts, system_label(row["intake_system"]) or "not known yet",
                    row["time_zone"] or "", str(row["landers"]), "★ new" if row["new"] else "")[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1:
            return ", ".join(row["contacts"]) or None
        if role == ROW_ROLE:
            return row
        return None


class ClientsPage(QWidget):
    """Clients with Add and Edit; Return or a double-click opens the selected one."""

    title = "Clients"
    loaded = Signal(int)

    def __init__(self, app, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self._all: list[dict] = []
        self._select_next: int | None = None
        self.model = ClientsModel(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search clients or contacts")
        self.search.setClearButtonEnabled(True)
        self.add_button = QPushButton("Add client…")
        self.edit_button = QPushButton("Edit client…")
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.add_button)
        bar.addWidget(self.edit_button)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        fit_columns(self.table, stretch=1)
        table_keys(self.table)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Clients"))
        layout.addWidget(hint("The law firms: who gets their confirmations and reports, their intake system and "
                              "their landers. A lander needs a client contact before it can be integrated."))
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.search.textChanged.connect(lambda _t: self._show())
        self.add_button.clicked.connect(self.add_client)
        self.edit_button.clicked.connect(self.edit_selected)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        app.bridge.event.connect(self._on_event)
        self._update_buttons()

    def reload(self) -> None:
        """Load the clients off the GUI thread."""
        run_task(clients.list_clients, self._loaded, lambda exc: show_error(self, "Clients", exc))

    def _loaded(self, rows: list[dict]) -> None:
        self._all = rows
        self._show()
        if self._select_next is not None:
            self.select_client(self._select_next)
            self._select_next = None
        self.loaded.emit(len(rows))

    def _show(self) -> None:
        selected = self.selected_client()
        words = self.search.text().lower().split()
        rows = [r for r in self._all
                if all(w in f"{r['name']} {' '.join(r['contacts'])}".lower() for w in words)]
        self.model.set_rows(rows)
        if selected is not None:
            self.select_client(selected["id"])
        self._update_buttons()

    def _on_event(self, topic: str, _payload: dict) -> None:
        if topic in ("lander.changed", "lander.imported") and self.isVisible():
            self.reload()

    def selected_client(self) -> dict | None:
        """The client selected in the table."""
        indexes = self.table.selectionModel().selectedRows()
        return self.model.row_at(indexes[0].row()) if indexes else None

    def select_client(self, client_id: int) -> bool:
        """Select a client by id (when shown)."""
        row = self.model.row_of(client_id)
        if row >= 0:
            self.table.selectRow(row)
        return row >= 0

    def _update_buttons(self) -> None:
        self.edit_button.setEnabled(self.selected_client() is not None)

    def add_client(self) -> None:
        """Open an empty client dialog."""
        open_client_dialog(self.app, None, on_saved=self._saved)

    def open_selected(self) -> None:
        """Return on the table: the selected client's dialog."""
        self.edit_selected()

    def edit_selected(self) -> None:
        """Open the selected client's dialog."""
        row = self.selected_client()
        if row is not None:
            open_client_dialog(self.app, row["id"], on_saved=self._saved)

    def _saved(self, client_id: int) -> None:
        self._select_next = client_id
        self.reload()
