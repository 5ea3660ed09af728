"""An interrupted confirmation e-mail is offered again from its notification: one click on the tray's balloon,
or on the entry under it in the in-app list (where there is no tray), sends it again exactly once to a real SMTP
server on 127.0.0.1; a second click sends nothing."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QSystemTrayIcon

from xsc_desktop import mail
from xsc_desktop.models import Email


def _interrupted_confirmation() -> Email:
    """A confirmation that a killed sender left mid-send, found by the next sending round."""
    email = mail.queue_email(kind="confirmation", to=["intake@smith.example"], subject="Integration confirmed: Auto TX",
                             body="The test lead arrived.", dedupe_key="confirmation:task:7")
    Email.update(state="sending").where(Email.id == email.id).execute()  # what a SIGKILL mid-send leaves
    assert mail.send_pending().sent == 0  # recovered as interrupted, never sent on its own
    return Email.get_by_id(email.id)


def test_the_in_app_list_offers_an_interrupted_confirmation_again_and_sends_it_once(window, qtbot, smtp_server):
    email = _interrupted_confirmation()
    assert email.state == "failed"
    qtbot.waitUntil(lambda: any(i.action for i in window.notifications.items), timeout=5000)
    item = next(i for i in window.notifications.items if i.action)
    assert item.title == "Confirmation e-mail interrupted"
    assert "Integration confirmed: Auto TX" in item.message and "may or may not" in item.message

    window._fill_bell_menu()  # the list as the bell shows it
    [offer] = [a for a in window.bell_menu.actions() if a.text().strip() == "Send it again"]
    offer.trigger()
    assert [m.subject for m in smtp_server.wait_for(1)] == ["Integration confirmed: Auto TX"]
    assert Email.get_by_id(email.id).state == "sent"
    offer.trigger()  # a second click on the same entry
    window._fill_bell_menu()
    assert not [a for a in window.bell_menu.actions() if a.text().strip() == "Send it again"]
    assert mail.send_pending().sent == 0
    assert len(smtp_server.received) == 1


@pytest.mark.qt_log_ignore("No such signal QPlatformNativeInterface::systemTrayWindowChanged")
def test_a_click_on_the_tray_balloon_sends_the_interrupted_confirmation_once(window, qtbot, smtp_server):
    pixmap = QPixmap(16, 16)
    pixmap.fill()
    tray = QSystemTrayIcon(QIcon(pixmap), window)
    tray.show()  # offscreen has no tray area, but the icon and its balloon signal are Qt's own
    window.notifications.tray = tray
    try:
        email = _interrupted_confirmation()
        qtbot.waitUntil(lambda: any(i.action for i in window.notifications.items), timeout=5000)
        tray.messageClicked.emit()  # what Qt emits when the balloon is clicked
        assert [m.subject for m in smtp_server.wait_for(1)] == ["Integration confirmed: Auto TX"]
        assert Email.get_by_id(email.id).state == "sent"
        tray.messageClicked.emit()  # clicked again: nothing more goes out
        assert mail.send_pending().sent == 0
        assert len(smtp_server.received) == 1
        assert mail.interrupted() == []
    finally:
        window.notifications.tray = None
        tray.hide()
