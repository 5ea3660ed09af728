"""GUI fixtures: a main window on a fresh database, background tasks run inline unless a test wants threads."""

from __future__ import annotations

import pytest


@pytest.fixture
def inline_tasks():
    """Run `run_task` work inline so results are there when the call returns."""
    from ui import workers

    workers.set_runner(workers.run_inline)
    yield
    workers.set_runner(None)


@pytest.fixture
def window(qtbot, ctx, inline_tasks):
    """The main window on the test's database, shown offscreen; shut down after the test."""
    from PySide6.QtWidgets import QApplication

    from ui.app import create_window

    win = create_window(ctx, QApplication.instance())
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    close_window(win)


def close_window(win) -> None:
    """Shut a window down so nothing of it runs into the next test: timers stopped, tasks done, widget deleted."""
    from PySide6.QtCore import QThreadPool, QTimer

    for timer in win.findChildren(QTimer):
        timer.stop()
    QThreadPool.globalInstance().waitForDone(30000)
    win.shutdown()
    win.close()  # qtbot deletes it


@pytest.fixture(autouse=True)
def message_boxes(monkeypatch):
    """Record QMessageBox's static dialogs instead of blocking on them: [(kind, title, text)]. A test that expects
    a message checks this list; one that does not is never left waiting on a hidden modal box."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[tuple[str, str, str]] = []

    def recorder(kind: str, answer):
        def box(parent, title, text, *args, **kwargs):
            shown.append((kind, title, text))
            return answer
        return box

    no = QMessageBox.StandardButton.No
    ok = QMessageBox.StandardButton.Ok
    for kind, answer in (("warning", ok), ("critical", ok), ("information", ok), ("question", no)):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(recorder(kind, answer)))

    # A modal dialog a test did not stub would wait for a click that never comes: it is recorded and cancelled.
    from PySide6.QtWidgets import QDialog

    def cancelled_box(self):
        shown.append(("exec", self.windowTitle(), self.text()))
        return QMessageBox.StandardButton.Cancel

    def cancelled_dialog(self):
        shown.append(("exec", self.windowTitle(), ""))
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(QMessageBox, "exec", cancelled_box)
    monkeypatch.setattr(QDialog, "exec", cancelled_dialog)
    return shown
