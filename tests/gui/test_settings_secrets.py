"""The Settings page on a copy of the app without the secrets' key: it opens, says so, and keeps the secret."""

from __future__ import annotations

from xsc_desktop import settings
from xsc_desktop.models import Secret


def test_settings_page_without_the_key_says_so_and_saving_keeps_the_secret(qtbot, ctx, data_dir):
    from ui.pages.settings_page import SettingsPage  # noqa: F401 - the page under test, opened by the window

    settings.set("smtp.password", "hunter2-gui-pass")
    stored = Secret.get(Secret.name == "smtp.password").value
    (data_dir / "secret.key").rename(data_dir / "secret.key.away")

    from PySide6.QtWidgets import QApplication, QLineEdit

    from tests.gui.conftest import close_window
    from ui import workers
    from ui.app import create_window

    workers.set_runner(workers.run_inline)
    win = create_window(ctx, QApplication.instance())
    qtbot.addWidget(win)
    try:
        page = win.show_page("settings")
        editor = page.editors["smtp.password"]
        assert editor.text() == "" and editor.echoMode() == QLineEdit.EchoMode.Password
        assert "The secret smtp.password cannot be read here" in page.problem.text()
        assert "hunter2" not in page.problem.text()
        page.set_value("smtp.port", 2525)
        assert page.save() == ["smtp.port"]  # the unreadable secret is not taken for a change
        assert Secret.get(Secret.name == "smtp.password").value == stored
    finally:
        close_window(win)
        workers.set_runner(None)
    (data_dir / "secret.key.away").rename(data_dir / "secret.key")
    assert settings.get("smtp.password") == "hunter2-gui-pass"
