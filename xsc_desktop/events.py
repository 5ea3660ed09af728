"""A tiny publish/subscribe hub so services can announce progress without knowing about Qt.

Subscribers are called on the publishing thread; the UI bridge re-emits them as Qt signals on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]

_lock = threading.Lock()
_handlers: dict[str, list[Handler]] = defaultdict(list)

class Topic(StrEnum):
    """Every event topic, with its payload. A member is its topic string, so subscribers may compare either."""

    LANDER_CHANGED = "lander.changed"  # {lander_id}: a lander's row, status or flags changed
    LANDER_IMPORTED = "lander.imported"  # {count}: a landers CSV was imported
    TASK_CHANGED = "task.changed"  # {task_id, lander_id, kind, status, attempts, reason, done, total}
    QUEUE_PROGRESS = "queue.progress"  # {done, total} of a queue run
    QUEUE_FINISHED = "queue.finished"  # {done, failed, skipped, total}
    QUEUE_GATHERED = "queue.gathered"  # what gather added
    LEAD_IMPORTED = "lead.imported"  # {lander_id, count, file}
    DELIVERY_CHANGED = "delivery.changed"  # a lead's delivery moved on
    INTEGRATION_CHANGED = "integration.changed"  # {lander_id}: an integration was saved
    INTEGRATION_PAUSED = "integration.paused"  # deliveries to an integration paused (its breaker tripped)
    INTEGRATION_CAPPED = "integration.capped"  # an integration's daily cap is filled
    EMAIL_CHANGED = "email.changed"  # {email_id, state}: an e-mail in the outbox moved on
    REPORT_STARTED = "report.started"  # a report run began
    REPORT_FINISHED = "report.finished"  # a report run ended (done, failed or cancelled)
    REPORT_SCHEDULES_CHANGED = "report.schedules_changed"
    REPORT_TEMPLATES_CHANGED = "report.templates_changed"
    JOB_CHANGED = "job.changed"  # a scheduled job started, ended or was paused
    JOB_MISSED = "job.missed"  # a job's slot passed while the app was closed
    POSTING_DOC_CHANGED = "posting_doc.changed"  # {doc_id, lander_id}
    PARSER_CHANGED = "parser.changed"  # a parser was saved, renamed or deleted
    NOTIFY = "notify"  # a message for the tray: {"title", "message", "level"[, "resend_emails"]}
    DATABASE_CONNECTION = "database.connection"  # the connection's state (see `connection()`)


def subscribe(topic: str, handler: Handler) -> Callable[[], None]:
    """Call `handler(topic, payload)` for every event on `topic` ("*" for all); returns an unsubscribe function."""
    with _lock:
        _handlers[topic].append(handler)

    def unsubscribe() -> None:
        with _lock:
            if handler in _handlers[topic]:
                _handlers[topic].remove(handler)

    return unsubscribe


def publish(topic: str, **payload: Any) -> None:
    """Announce an event; a failing subscriber is logged and never stops the publisher."""
    with _lock:
        targets = list(_handlers.get(topic, ())) + list(_handlers.get("*", ()))
    for handler in targets:
        try:
            handler(topic, payload)
        except Exception:
            log.exception("Event handler for %s failed", topic)


def notify(title: str, message: str, level: str = "info", **offer: Any) -> None:
    """Ask for a tray notification (or an entry in the in-app notification list). `offer` names what a click on it
    may do: `resend_emails=[ids]` sends those interrupted e-mails again."""
    publish(Topic.NOTIFY, title=title, message=message, level=level, **offer)


def clear() -> None:
    """Drop every subscriber and forget the connection's state (tests)."""
    global _connection
    with _lock:
        _handlers.clear()
        _connection = Connection()


# ---- the database connection's state ----------------------------------------------------------------------------
CONNECTION = Topic.DATABASE_CONNECTION
CONNECTED = "connected"
UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Connection:
    """Whether this process reaches its database right now.

    `state` is "connected" or "unreachable" (the server went away: work that needs it waits and retries by itself);
    `where` names the database as it may be shown (a file, or the URL with its password masked); `detail` is one
    sentence for the operator ("" when connected); `retry_in` the seconds until the next try while unreachable;
    `attempts` how many tries failed since it went away; `since` when the state began (time.time())."""

    state: str = CONNECTED
    where: str = ""
    detail: str = ""
    retry_in: float | None = None
    attempts: int = 0
    since: float = field(default_factory=time.time)

    @property
    def connected(self) -> bool:
        return self.state == CONNECTED


_connection = Connection()


def connection() -> Connection:
    """The database connection's current state (what a status bar shows when it opens)."""
    return _connection


def set_connection(state: str, *, where: str | None = None, detail: str = "", retry_in: float | None = None,
                   attempts: int = 0) -> Connection:
    """Record the connection's state and publish it on the topic "database.connection" with the payload
    {state, where, detail, retry_in, attempts, since} — on every change of state and on every failed retry while
    unreachable (so a banner can count down); a "connected" that changes nothing is not published again.

    Subscribers run on the thread that noticed (a worker, the scheduler): a window re-emits it as a Qt signal.
    Called by the core (`xsc_desktop.reconnect`, `db.connect`); a window only subscribes and reads `connection()`.
    """
    global _connection
    with _lock:
        before = _connection
        if state == before.state and state == CONNECTED and (where is None or where == before.where):
            return before
        since = before.since if state == before.state else time.time()
        _connection = Connection(state, before.where if where is None else where, detail if state != CONNECTED
                                 else "", retry_in if state != CONNECTED else None, attempts, since)
        now = _connection
    publish(CONNECTION, state=now.state, where=now.where, detail=now.detail, retry_in=now.retry_in,
            attempts=now.attempts, since=now.since)
    return now
