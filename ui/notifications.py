"""Notifications: the tray's balloon when a tray exists, and always the in-app list in the status bar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon


@dataclass
class Notification:
    """One message for the operator."""

    at: datetime
    title: str
    message: str
    level: str = "info"
    page: str | None = None  # the page the notification is about (opened from the list)


class NotificationCenter(QObject):
    """Keeps the newest notifications and shows each in the tray when there is one."""

    added = Signal(object)

    def __init__(self, tray: QSystemTrayIcon | None = None, parent: QObject | None = None, limit: int = 200) -> None:
        super().__init__(parent)
        self.tray = tray
        self.items: list[Notification] = []
        self.unread = 0
        self.limit = limit

    def notify(self, title: str, message: str, level: str = "info", page: str | None = None) -> Notification:
        """Show a notification now; `page` is what choosing it in the list opens."""
        item = Notification(datetime.now(), title, message, level, page)
        self.items.insert(0, item)
        del self.items[self.limit:]
        self.unread += 1
        if self.tray is not None and self.tray.isVisible():
            icon = {"error": QSystemTrayIcon.MessageIcon.Critical, "warning": QSystemTrayIcon.MessageIcon.Warning}.get(
                level, QSystemTrayIcon.MessageIcon.Information)
            self.tray.showMessage(title, message, icon, 8000)
        self.added.emit(item)
        return item

    def mark_read(self) -> None:
        """The operator has seen the list."""
        self.unread = 0
