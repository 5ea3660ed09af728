"""Carries core events (published on any thread) to the GUI thread as a Qt signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from xsc_desktop import events


class EventBridge(QObject):
    """Re-emits every core event as `event(topic, payload)`, always on the GUI thread."""

    event = Signal(str, object)
    _incoming = Signal(str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Emitted from any thread; the queued hop to _relay puts every `event` emission on the GUI thread.
        self._incoming.connect(self._relay)
        self._unsubscribe = events.subscribe("*", self._forward)

    def _forward(self, topic: str, payload: dict) -> None:
        self._incoming.emit(topic, payload)

    @Slot(str, object)
    def _relay(self, topic: str, payload: dict) -> None:
        self.event.emit(topic, payload)

    def close(self) -> None:
        """Stop forwarding (on quit)."""
        self._unsubscribe()
