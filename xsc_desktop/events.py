"""A tiny publish/subscribe hub so services can announce progress without knowing about Qt.

Subscribers are called on the publishing thread; the UI bridge re-emits them as Qt signals on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]

_lock = threading.Lock()
_handlers: dict[str, list[Handler]] = defaultdict(list)

# Topics in use, for the reader: lander.changed, lander.imported, task.changed, queue.finished, lead.imported,
# delivery.changed, integration.paused, email.changed, report.finished, job.changed, posting_doc.changed,
# notify (a message for the tray: {"title", "message", "level"}).


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


def notify(title: str, message: str, level: str = "info") -> None:
    """Ask for a tray notification (or an entry in the in-app notification list)."""
    publish("notify", title=title, message=message, level=level)


def clear() -> None:
    """Drop every subscriber (tests)."""
    with _lock:
        _handlers.clear()
