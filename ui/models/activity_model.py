"""The Activity table: who did what when, newest first."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from xsc_desktop.clock import local_text

COLUMNS = ("When", "Who", "Subject", "What", "From", "To", "Note")
SUBJECT_LABELS = {"lander": "Lander", "client": "Client", "integration": "Integration", "parser": "Parser",
                  "posting_doc": "Posting doc", "report_schedule": "Report schedule", "report": "Report",
                  "lead": "Lead", "task": "Task", "email": "E-mail", "settings": "Settings", "job": "Scheduled job",
                  "template": "Report template"}


def in_words(key: str | None) -> str:
    """A subject kind or a state as people say it: report_schedule → Report schedule, needs_info → Needs info."""
    if not key:
        return ""
    from xsc_desktop.landers import STATUS_LABELS

    return SUBJECT_LABELS.get(key) or STATUS_LABELS.get(key) or key.replace("_", " ").capitalize()
DISPLAY = Qt.ItemDataRole.DisplayRole


class ActivityModel(QAbstractTableModel):
    """Activity rows as a table."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[tuple] = []
        self.names: dict[tuple[str, int], str] = {}

    def set_rows(self, rows: list[tuple], names: dict[tuple[str, int], str] | None = None) -> None:
        """The rows of `activity.recent`, and what each is about by name (`activity.subject_names`)."""
        self.beginResetModel()
        self.rows = rows
        self.names = names or {}
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY):
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if not index.isValid() or role != DISPLAY:
            return None
        at, actor, subject_type, subject_id, action, from_state, to_state, note = self.rows[index.row()]
        subject = in_words(subject_type)
        if subject_id is not None:  # "Integration: Phoenix Auto Accident"; the number only for a subject gone since
            name = self.names.get((subject_type, subject_id))
            subject = f"{subject}: {name}" if name else f"{subject} {subject_id}"
        return (local_text(at, "%Y-%m-%d %H:%M:%S"), actor, subject,
                action, in_words(from_state), in_words(to_state), note)[index.column()]
