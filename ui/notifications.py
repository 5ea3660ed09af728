"""Notifications: the tray's balloon when a tray exists, and always the in-app list in the status bar.

A notification may carry an action (`action=("Send it again", fn)`): a click on its tray balloon runs it, and the
in-app list offers it as an entry of its own. An action runs once; a second click does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
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
    action: tuple[str, Callable[[], None]] | None = None  # (label, what a click does), until it has run

    def act(self) -> bool:
        """Run the action once; False when there is none (left)."""
        if self.action is None:
            return False
        _label, run = self.action
        self.action = None
        run()
        return True


class NotificationCenter(QObject):
    """Keeps the newest notifications and shows each in the tray when there is one."""

    added = Signal(object)

    def __init__(self, tray: QSystemTrayIcon | None = None, parent: QObject | None = None, limit: int = 200) -> None:
        super().__init__(parent)
        self._tray: QSystemTrayIcon | None = None
        self._balloon: Notification | None = None  # the notification the tray's balloon shows now
        self.tray = tray
        self.items: list[Notification] = []
        self.unread = 0
        self.limit = limit

    @property
    def tray(self) -> QSystemTrayIcon | None:
        """The tray icon whose balloons show the notifications, or None."""
        return self._tray

    @tray.setter
    def tray(self, tray: QSystemTrayIcon | None) -> None:
        if self._tray is not None:
            self._tray.messageClicked.disconnect(self._balloon_clicked)
        self._tray = tray
        if tray is not None:
            tray.messageClicked.connect(self._balloon_clicked)

    def notify(self, title: str, message: str, level: str = "info", page: str | None = None,
               action: tuple[str, Callable[[], None]] | None = None) -> Notification:
        """Show a notification now; `page` is what choosing it in the list opens, `action` what a click runs."""
        item = Notification(datetime.now(), title, message, level, page, action)
        self.items.insert(0, item)
        del self.items[self.limit:]
        self.unread += 1
        if self.tray is not None and self.tray.isVisible():
            icon = {"error": QSystemTrayIcon.MessageIcon.Critical, "warning": QSystemTrayIcon.MessageIcon.Warning}.get(
                level, QSystemTrayIcon.MessageIcon.Information)
            text = f"{message} Click here: {action[0].lower()}." if action else message
            self._balloon = item
            self.tray.showMessage(title, text, icon, 8000 if action is None else 30000)
        self.added.emit(item)
        return item

    def _balloon_clicked(self) -> None:
        item, self._balloon = self._balloon, None
        if item is not None:
            item.act()

    def mark_read(self) -> None:
        """The operator has seen the list."""
        self.unread = 0


class DailyCapNotices:
    """The tray notice when an integration fills its daily cap (the `integration.capped` event): once a day per
    integration, however many passes or workers report it."""

    def __init__(self, center: NotificationCenter, today: Callable[[], object] | None = None) -> None:
        self.center = center
        self.today = today or (lambda: datetime.now().date())
        self._told: dict[int, object] = {}  # integration id -> the day it was told

    def capped(self, payload: dict) -> Notification | None:
        """Notify for one `integration.capped` payload, unless this integration was told about today already."""
        from xsc_desktop.clock import local_text

        integration_id = payload.get("integration_id")
        day = self.today()
        if integration_id is None or self._told.get(integration_id) == day:
            return None
        self._told[integration_id] = day
        lander = str(payload.get("name") or f"Integration {integration_id}").split(" → ")[0]
        rule = str(payload.get("rule") or "Its daily cap")
        until = payload.get("until")
        reopens = f" and go from {local_text(until)}" if until else ""
        whose = " (counted over all the client's landers)" if payload.get("whose") == "client" else ""
        return self.center.notify("Daily cap reached", f"{lander}: {rule}{whose} reached; more leads wait{reopens}.",
                                  "warning", page="leads")
