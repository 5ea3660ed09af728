"""The Queue page's model: the tasks of one run date (or all), updated in place as task events arrive."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ui.models.base import ROW_ROLE, TableModel
from ui.theme import NEW_CLIENT_BACKGROUND
from xsc_desktop.clock import local_text
from xsc_desktop.queue import KIND_LABELS, TaskRow

COLUMNS = ("Task", "Kind", "Client", "Lander", "Status", "Attempts", "Reason", "Planned for", "Updated")
STATUS_COLUMN = COLUMNS.index("Status")
STATUS_LABELS = {"pending": "Pending", "running": "Running", "done": "Done", "failed": "Failed", "skipped": "Skipped"}
TASK_COLOURS: dict[str, tuple[str, str]] = {
    "pending": ("#e8eaed", "#3c4043"),
    "running": ("#d2e3fc", "#174ea6"),
    "done": ("#ceead6", "#0d652d"),
    "failed": ("#fad2cf", "#a50e0e"),
    "skipped": ("#f1f3f4", "#5f6368"),
    "retry": ("#feefc3", "#8a4b00"),
}

# Role constants built once: a per-call enum lookup costs microseconds on every paint.
DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
BACKGROUND = Qt.ItemDataRole.BackgroundRole
FONT = Qt.ItemDataRole.FontRole
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
_NEW_BRUSH = QBrush(QColor(NEW_CLIENT_BACKGROUND))


def retry_label(log: list[dict]) -> str:
    """"Retrying (attempt 2 of 3, next at 10:42)" from a pending task's last attempt, or "" when it waits for no
    retry. The time is on the operator's clock."""
    from datetime import datetime, timedelta

    entry = next((e for e in reversed(log or []) if not e.get("event")), None)
    if not entry or entry.get("next_try_in_s") is None:
        return ""
    attempt = int(entry.get("attempt") or 1) + 1
    of = f" of {entry['max_attempts']}" if entry.get("max_attempts") else ""
    try:
        sent = datetime.fromisoformat(str(entry.get("at", "")).replace("Z", "+00:00"))
    except ValueError:
        return f"Retrying (attempt {attempt}{of})"
    due = sent + timedelta(seconds=float(entry["next_try_in_s"]) + float(entry.get("elapsed_ms") or 0) / 1000)
    return f"Retrying (attempt {attempt}{of}, next at {local_text(due, '%H:%M')})"


class RowsModel(TableModel):
    """A read-only table of rows that each have an id, replaced as a whole by `set_rows` (the queue's tasks, the
    outbox's messages). Subclasses set `columns`, say how a row gives its id, and answer `data`."""

    columns: tuple[str, ...] = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._position: dict[int, int] = {}

    @staticmethod
    def row_id(row) -> int:
        """The id of a row."""
        return row.id

    def _rows_changed(self) -> None:
        self._position = {self.row_id(r): n for n, r in enumerate(self._rows)}

    def row_of(self, row_id: int) -> int:
        """The row showing that id, or -1."""
        return self._position.get(row_id, -1)


class QueueModel(RowsModel):
    """Task rows in the queue's order (new clients, integrations, custom scripts); `update_task` patches one row."""

    columns = COLUMNS

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._bold = QFont()
        self._bold.setBold(True)
        self.retries: dict[int, str] = {}  # task id → "Retrying (attempt 2 of 3, next at 10:42)"

    def set_retries(self, retries: dict[int, str]) -> None:
        """The retry labels of pending tasks waiting for their next attempt."""
        self.retries = retries
        if self._rows:
            self.dataChanged.emit(self.index(0, STATUS_COLUMN), self.index(len(self._rows) - 1, STATUS_COLUMN))

    def update_task(self, task_id: int, **changes) -> bool:
        """Patch a shown task from a task.changed event; False when the task is not shown (reload needed)."""
        row = self._position.get(task_id)
        if row is None:
            return False
        task = self._rows[row]
        for key in ("status", "attempts", "reason"):
            if key in changes and changes[key] is not None:
                setattr(task, key, changes[key])
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        return True

    def counts(self) -> dict[str, int]:
        """How many shown tasks are in each status."""
        out: dict[str, int] = {}
        for r in self._rows:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    # ---- Qt model API
    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        if not index.isValid():
            return None
        row = index.row()
        if not 0 <= row < len(self._rows):
            return None
        task = self._rows[row]
        column = index.column()
        if role == DISPLAY:
            return self._text(task, column)
        if role == STATUS_ROLE:
            return "retry" if task.status == "pending" and task.id in self.retries else task.status
        if role == ROW_ROLE:
            return task
        if role == TOOLTIP:
            if column == COLUMNS.index("Reason") and task.reason:
                return task.reason
            if column == COLUMNS.index("Lander"):
                return f"{task.client} / {task.campaign} / {task.lander} (lander {task.lander_id}, {task.lander_status})"
            return None
        if role == BACKGROUND and task.kind == "new_client":
            return _NEW_BRUSH
        if role == FONT and task.kind == "new_client":
            return self._bold
        return None

    def _text(self, task: TaskRow, column: int) -> str:
        if column == 0:
            return str(task.id)
        if column == 1:
            return KIND_LABELS.get(task.kind, task.kind)
        if column == 2:
            return task.client
        if column == 3:
            return task.lander
        if column == STATUS_COLUMN:
            if task.status == "pending" and task.id in self.retries:
                return self.retries[task.id]
            return STATUS_LABELS.get(task.status, task.status)
        if column == 5:
            return str(task.attempts) if task.kind == "integrate" else ""
        if column == 6:
            return task.reason.splitlines()[0] if task.reason else ""
        if column == 7:
            return task.planned_for
        if column == 8:
            return local_text(task.updated_at)  # stored in UTC, shown in the operator's zone
        return ""


def format_log(entries: list[dict]) -> str:
    """A task's attempt log as text: one block per attempt with the masked request and the answer."""
    if not entries:
        return "No attempts yet."
    blocks = []
    for entry in entries:
        if entry.get("event"):
            blocks.append(f"{local_text(entry.get('at'), '%Y-%m-%d %H:%M:%S')}  {entry['event']}: "
                          f"{entry.get('reason') or entry.get('note', '')}")
            continue
        request = entry.get("request") or {}
        head = (f"#{entry.get('attempt', '?')}  {local_text(entry.get('at'), '%Y-%m-%d %H:%M:%S')}  "
                f"{request.get('method', '')} "
                f"{request.get('url', '')}")
        status = entry.get("status")
        answer = (f"→ {status if status is not None else 'no answer'}  {entry.get('outcome', '')}"
                  f"{' (will retry)' if entry.get('next_try_in_s') is not None else ''}"
                  f"{': ' + entry['reason'] if entry.get('reason') else ''}"
                  f"{'  id ' + entry['remote_id'] if entry.get('remote_id') else ''}"
                  f"  [{entry.get('elapsed_ms', 0):g} ms]")
        body = request.get("body") or ""
        response = entry.get("response") or ""
        blocks.append("\n".join(filter(None, [head, answer, f"  sent: {body[:1500]}" if body else "",
                                              f"  answer: {response[:1500]}" if response else ""])))
    return "\n\n".join(blocks)
