"""The crash dialog itself (not a stub): it appears with a copyable report, and a second crash shows again."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QApplication, QMessageBox, QTextEdit


def _crash(reporter, message: str) -> None:
    try:
        raise RuntimeError(message)
    except RuntimeError as exc:
        reporter._hook(type(exc), exc, exc.__traceback__)


def _visible_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_an_unexpected_error_shows_a_dialog_with_a_copyable_report_every_time(qtbot, tmp_path):
    from ui.app import CrashReporter

    reporter = CrashReporter(tmp_path / "logs" / "xsc-desktop.log")
    _crash(reporter, "first surprise")
    qtbot.waitUntil(lambda: len(_visible_boxes()) == 1, timeout=5000)
    box = _visible_boxes()[0]
    assert "unexpected error" in box.windowTitle() and str(tmp_path / "logs") in box.text()
    details = box.findChild(QTextEdit)
    assert "RuntimeError: first surprise" in box.detailedText() and details is not None
    copy = next(b for b in box.buttons() if b.text() == "Copy report")
    copy.click()
    assert "RuntimeError: first surprise" in QApplication.clipboard().text()
    assert box.isVisible()  # copying keeps the dialog open
    _crash(reporter, "while the first is open")  # not a second box on top of the first
    assert len(_visible_boxes()) == 1
    box.button(QMessageBox.StandardButton.Close).click()
    qtbot.waitUntil(lambda: not _visible_boxes(), timeout=5000)

    # A crash in another thread reaches the GUI thread through the signal and shows again.
    thread = threading.Thread(target=_crash, args=(reporter, "second surprise"))
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(_visible_boxes()) == 1, timeout=5000)
    assert "RuntimeError: second surprise" in _visible_boxes()[0].detailedText()
    _visible_boxes()[0].button(QMessageBox.StandardButton.Close).click()
    qtbot.waitUntil(lambda: not _visible_boxes(), timeout=5000)
