"""The Outbox page's model: every e-mail with its state and reason, newest first."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from ui.models.base import ROW_ROLE
from ui.models.queue_model import TASK_COLOURS, RowsModel
from xsc_desktop import mail
from xsc_desktop.clock import local_text

COLUMNS = ("Created", "Kind", "To", "Subject", "State", "Attempts", "Reason", "Sent")
STATE_COLUMN = COLUMNS.index("State")
REASON_COLUMN = COLUMNS.index("Reason")
STATE_LABELS = {"queued": "Queued", "sending": "Sending", "sent": "Sent", "failed": "Failed"}
# The same chips as the queue's tasks: waiting grey, at work blue, done green, failed red.
STATE_COLOURS: dict[str, tuple[str, str]] = {
    "queued": TASK_COLOURS["pending"],
    "sending": TASK_COLOURS["running"],
    "sent": TASK_COLOURS["done"],
    "failed": TASK_COLOURS["failed"],
}
KIND_LABELS = {"confirmation": "Confirmation", "report": "Report", "alert": "Alert", "test": "Test"}

# Role constants built once: a per-call enum lookup costs microseconds on every paint.
DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
STATE_ROLE = Qt.ItemDataRole.UserRole + 3


def load_outbox(limit: int = 1000) -> list[dict]:
    """Outbox rows for the page (mail.email_json plus the stored times and the body), newest first."""
    return [{**mail.email_json(e), "created": e.created_at, "sent": e.sent_at, "body": e.body}
            for e in mail.list_outbox(limit)]


class OutboxModel(RowsModel):
    """Outbox rows (dicts from `load_outbox`); times shown in the operator's zone."""

    columns = COLUMNS

    @staticmethod
    def row_id(row: dict) -> int:
        """A message's id."""
        return row["id"]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == DISPLAY:
            return (local_text(row["created"]), KIND_LABELS.get(row["kind"], row["kind"]), ", ".join(row["to"]),
                    row["subject"], STATE_LABELS.get(row["state"], row["state"]), str(row["attempts"]),
                    row["last_error"], local_text(row["sent"]))[column]
        if role == STATE_ROLE:
            return row["state"]
        if role == ROW_ROLE:
            return row
        if role == TOOLTIP and column == REASON_COLUMN and row["last_error"]:
            return row["last_error"]
        return None
