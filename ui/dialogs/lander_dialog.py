"""Add or edit a lander: client and campaign picked or typed (created inline), URL checked as you type."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from xsc_desktop.errors import UserError
from xsc_desktop.landers import FLAGS, LanderRow, check_url
from xsc_desktop.models import Campaign, Client


class LanderDialog(QDialog):
    """The add/edit form; `values()` gives what add_lander/update_lander take."""

    def __init__(self, parent: QWidget | None = None, row: LanderRow | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit lander" if row else "Add lander")
        self.setMinimumWidth(480)
        self.row = row
        form = QFormLayout()

        self.client = QComboBox()
        self.client.setEditable(True)
        self.client.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self._clients = {c.name: c for c in Client.select().order_by(Client.name)}
        self.client.addItems(list(self._clients))
        self.client.lineEdit().setPlaceholderText("Pick a client or type a new one")
        self.new_client = QCheckBox("New client (flag it loudly)")
        self.campaign = QComboBox()
        self.campaign.setEditable(True)
        self.campaign.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.campaign.lineEdit().setPlaceholderText("Pick a campaign or type a new one")
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Houston Auto Accident")
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://...")

        form.addRow("Client", self.client)
        form.addRow("", self.new_client)
        form.addRow("Campaign", self.campaign)
        form.addRow("Lander", self.name)
        form.addRow("URL", self.url)

        flags_box = QWidget()
        flags_layout = QHBoxLayout(flags_box)
        flags_layout.setContentsMargins(0, 0, 0, 0)
        self.flag_boxes: dict[str, QCheckBox] = {}
        for key, label in FLAGS.items():
            box = QCheckBox(label.replace(" custom script", ""))
            box.setToolTip(label)
            self.flag_boxes[key] = box
            flags_layout.addWidget(box)
        form.addRow("Custom scripts", flags_box)
        self.flag_note = QLineEdit()
        self.flag_note.setPlaceholderText("What the other custom script must do")
        form.addRow("", self.flag_note)

        self.problem = QLabel()
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        self.client.currentTextChanged.connect(self._client_changed)
        for widget in (self.name, self.url, self.flag_note):
            widget.textChanged.connect(self._check)
        self.campaign.currentTextChanged.connect(self._check)
        self.flag_boxes["other"].toggled.connect(self._check)

        if row:
            self.client.setCurrentText(row.client)
            self._client_changed(row.client)
            self.campaign.setCurrentText(row.campaign)
            self.name.setText(row.name)
            self.url.setText(row.url)
            self.new_client.setChecked(row.new_client)
            for flag in row.flags:
                if flag in self.flag_boxes:
                    self.flag_boxes[flag].setChecked(True)
            self.flag_note.setText(row.flag_note)
        else:
            self.client.setCurrentText("")
            self._client_changed("")
        self._check()

    def _client_changed(self, text: str) -> None:
        current = self.campaign.currentText()
        self.campaign.clear()
        client = self._clients.get(text.strip())
        if client is not None:
            self.campaign.addItems([c.name for c in Campaign.select().where(Campaign.client == client)
                                    .order_by(Campaign.name)])
            self.new_client.setChecked(client.is_new)
        self.campaign.setCurrentText(current)
        self._check()

    def problem_text(self) -> str:
        """Why the form cannot be saved yet, or an empty string."""
        if not self.client.currentText().strip():
            return "Pick or type the client."
        if not self.campaign.currentText().strip():
            return "Pick or type the campaign."
        if not self.name.text().strip():
            return "Give the lander a name."
        try:
            check_url(self.url.text())
        except UserError:
            return "The URL must start with http:// or https://."
        if self.flag_boxes["other"].isChecked() and not self.flag_note.text().strip():
            return "Say what the other custom script must do."
        return ""

    def _check(self, *_args) -> None:
        problem = self.problem_text()
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def values(self) -> dict:
        """The form's values, named as the core's add_lander/update_lander arguments."""
        return {
            "client": self.client.currentText().strip(),
            "campaign": self.campaign.currentText().strip(),
            "name": self.name.text().strip(),
            "url": self.url.text().strip(),
            "flags": [k for k, box in self.flag_boxes.items() if box.isChecked()],
            "flag_note": self.flag_note.text().strip(),
            "new_client": self.new_client.isChecked(),
        }
