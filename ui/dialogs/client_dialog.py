"""A client in a dialog: name, contact e-mails, new-client mark, intake system, time zone and its landers.

Opened from the Clients page, the Landers board ("Edit client…"), the lander pane's client line and the
"no client contact" reason of a lander that needs info.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from parsers.spec import SYSTEM_LABELS
from ui.widgets import changed_elsewhere, error_sentence, hint, offer_reload
from ui.workers import run_task
from xsc_desktop import clients
from xsc_desktop.errors import UserError

# Zones offered in the list (any other IANA name can be typed).
COMMON_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
                "America/Anchorage", "Pacific/Honolulu", "Europe/London", "UTC")


def load_client(client_id: int | None) -> dict:
    """What the dialog shows (run in a worker): the client's fields and its landers; empty for a new client."""
    if client_id is None:
        return {"id": None, "name": "", "contacts": [], "new": False, "intake_system": None, "time_zone": None,
                "landers": []}
    client = clients.get_client(client_id)
    return {"id": client.id, "name": client.name, "contacts": list(client.contacts or []), "new": client.is_new,
            "intake_system": client.intake_system, "time_zone": client.time_zone,
            "landers": clients.client_landers(client.id), "row_version": client.row_version}


def split_addresses(text: str) -> list[str]:
    """Addresses written one a line or separated by commas or semicolons."""
    return [part for part in text.replace(";", ",").replace("\n", ",").split(",") if part.strip()]


class ClientDialog(QDialog):
    """Edit (or add) a client; Save stores it in a worker and closes; a bad address is said inline."""

    saved = Signal(int)  # the client's id
    lander_chosen = Signal(int)  # a lander double-clicked in the list
    reload_wanted = Signal(int)  # someone else saved the client first and the operator chose Reload

    def __init__(self, state: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.client_id: int | None = state["id"]
        self.setWindowTitle(f"Client — {state['name']}" if state["id"] else "Add client")
        self.setMinimumWidth(520)
        self.name = QLineEdit(state["name"])
        self.name.setPlaceholderText("The firm's name, e.g. Harbor Injury, LLP")
        self.contacts = QPlainTextEdit("\n".join(state["contacts"]))
        self.contacts.setPlaceholderText("intake@firm.example\none address a line")
        self.contacts.setTabChangesFocus(True)
        self.contacts.setMaximumHeight(90)
        self.contacts_problem = QLabel("")
        self.contacts_problem.setProperty("role", "problem")
        self.contacts_problem.setWordWrap(True)
        self.is_new = QCheckBox("New client — their landers are checked twice and go first in the queue")
        self.is_new.setChecked(bool(state["new"]))
        self.intake_system = QComboBox()
        self.intake_system.addItem("Not known yet", "")
        for key, label in SYSTEM_LABELS.items():
            if key != "generic":
                self.intake_system.addItem(label, key)
        system = state["intake_system"] or ""
        if system and self.intake_system.findData(system) < 0:
            self.intake_system.addItem(system, system)
        self.intake_system.setCurrentIndex(max(self.intake_system.findData(system), 0))
        self.time_zone = QComboBox()
        self.time_zone.setEditable(True)
        self.time_zone.addItem("")
        self.time_zone.addItems(COMMON_ZONES)
        self.time_zone.setCurrentText(state["time_zone"] or "")
        self.time_zone.lineEdit().setPlaceholderText("e.g. America/Chicago")
        self.landers = QListWidget()
        self.landers.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for lander in state["landers"]:
            text = f"{lander['campaign']} — {lander['name']}  ·  {lander['status_label']}"
            if lander["missing"]:
                text += f" ({'; '.join(lander['missing'])})"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, lander["id"])
            self.landers.addItem(item)
        if not state["landers"]:
            self.landers.addItem("No landers yet." if state["id"] else "Landers are added on the Landers board.")
        self.landers.itemActivated.connect(self._lander_activated)
        self.problem = QLabel("")
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Name", self.name)
        form.addRow("Contacts", self.contacts)
        form.addRow("", self.contacts_problem)
        form.addRow("", hint("Confirmations and reports are e-mailed to these addresses."))
        form.addRow("", self.is_new)
        form.addRow("Intake system", self.intake_system)
        form.addRow("Time zone", self.time_zone)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Landers"))
        layout.addWidget(self.landers, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.contacts.textChanged.connect(self._check_contacts)

    def _check_contacts(self) -> None:
        try:
            clients.check_emails(split_addresses(self.contacts.toPlainText()))
        except UserError as exc:
            self.contacts_problem.setText(str(exc))
        else:
            self.contacts_problem.setText("")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not self.contacts_problem.text())

    def _lander_activated(self, item: QListWidgetItem) -> None:
        lander_id = item.data(Qt.ItemDataRole.UserRole)
        if lander_id is not None:
            self.lander_chosen.emit(int(lander_id))

    def values(self) -> dict:
        """The fields as `clients.set_client` takes them (contacts still unchecked)."""
        return {"name": self.name.text(), "contacts": split_addresses(self.contacts.toPlainText()),
                "is_new": self.is_new.isChecked(), "intake_system": self.intake_system.currentData() or "",
                "time_zone": self.time_zone.currentText()}

    def save(self) -> None:
        """Store the client in a worker; close when stored, else say why and stay open."""
        values = self.values()
        client_id = self.client_id
        opened_version = self.state.get("row_version")
        self.buttons.setEnabled(False)

        def store() -> int:
            clients.check_time_zone(values["time_zone"])
            clients.check_emails(values["contacts"])
            if client_id is None:
                client = clients.add_client(values["name"], values["contacts"], is_new=values["is_new"])
                clients.set_client(client.id, intake_system=values["intake_system"], time_zone=values["time_zone"])
                return client.id
            return clients.set_client(client_id, expected_version=opened_version, **values).id

        def done(saved_id: int) -> None:
            self.client_id = saved_id
            self.saved.emit(saved_id)
            self.accept()

        def failed(exc: Exception) -> None:
            self.buttons.setEnabled(True)
            self.problem.setText(error_sentence(exc))
            if changed_elsewhere(exc) and client_id is not None and offer_reload(self, "Save client", exc):
                self.reject()
                self.reload_wanted.emit(client_id)

        run_task(store, done, failed)


def open_client_dialog(window, client_id: int | None, *, on_saved=None) -> None:  # the main window
    """Load a client in a worker, then open its dialog on the window (kept as `window.client_dialog`)."""
    def show(state: dict) -> None:
        dialog = ClientDialog(state, window)
        window.client_dialog = dialog
        dialog.saved.connect(lambda _id: window.notifications.notify(
            "Client saved", f"{dialog.name.text().strip()} was saved.", page="clients"))
        if on_saved is not None:
            dialog.saved.connect(on_saved)
        dialog.lander_chosen.connect(lambda lander_id: _show_lander(window, dialog, lander_id))
        dialog.reload_wanted.connect(lambda again: open_client_dialog(window, again, on_saved=on_saved))
        dialog.open()

    run_task(lambda: load_client(client_id), show, lambda exc: window.status_message(error_sentence(exc), 8000))


def _show_lander(window, dialog: ClientDialog, lander_id: int) -> None:
    dialog.reject()
    board = window.show_page("landers")
    board.search.clear()
    board.status_filter.setCurrentIndex(0)
    board.client_filter.setCurrentIndex(0)
    board.select_lander(lander_id)
