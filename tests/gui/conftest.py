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
    win.shutdown()
