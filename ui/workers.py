"""The one path for background work: run_task(fn, on_done, on_error) over QThreadPool.

Results and errors come back on the GUI thread as queued signals. Tests swap in `run_inline` (see
`set_runner`) so a task finishes before the call returns.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits, the queued slots call the handlers there."""

    done = Signal(object)
    failed = Signal(object)

    def __init__(self, on_done: Callable[[Any], None] | None, on_error: Callable[[Exception], None] | None) -> None:
        super().__init__()
        self.on_done = on_done
        self.on_error = on_error
        self.done.connect(self._deliver_done)
        self.failed.connect(self._deliver_error)

    @Slot(object)
    def _deliver_done(self, value: Any) -> None:
        self._finish()
        if self.on_done is not None:
            self.on_done(value)

    @Slot(object)
    def _deliver_error(self, exc: Exception) -> None:
        self._finish()
        if self.on_error is not None:
            self.on_error(exc)
        else:
            log.error("Background task failed: %s", exc)

    def _finish(self) -> None:
        _alive.discard(self)
        self.deleteLater()


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn = fn
        self.relay = relay
        self.setAutoDelete(True)

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # every failure must reach the GUI thread
            if not isinstance(exc, Exception):
                raise
            log.debug("Background task failed:\n%s", traceback.format_exc())
            self._deliver(self.relay.failed, exc)
        else:
            self._deliver(self.relay.done, result)

    @staticmethod
    def _deliver(signal, value: Any) -> None:
        try:
            signal.emit(value)
        except RuntimeError:
            # The window went away while the task ran (quitting): nobody is left to tell.
            log.debug("Background task finished after its receiver was deleted")


# Relays live until their signal has been delivered on the GUI thread.
_alive: set[_Relay] = set()


def _run_in_pool(fn: Callable[[], Any], on_done: Callable[[Any], None] | None,
                 on_error: Callable[[Exception], None] | None) -> None:
    relay = _Relay(on_done, on_error)
    _alive.add(relay)
    QThreadPool.globalInstance().start(_Task(fn, relay))


def run_inline(fn: Callable[[], Any], on_done: Callable[[Any], None] | None,
               on_error: Callable[[Exception], None] | None) -> None:
    """Run the task on the calling thread (tests)."""
    try:
        result = fn()
    except Exception as exc:
        if on_error is None:
            raise
        on_error(exc)
    else:
        if on_done is not None:
            on_done(result)


_runner: Callable[..., None] = _run_in_pool


def set_runner(runner: Callable[..., None] | None) -> None:
    """Replace how tasks run (None restores the thread pool)."""
    global _runner
    _runner = runner or _run_in_pool


def run_task(fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[Exception], None] | None = None) -> None:
    """Run `fn` off the GUI thread; `on_done(result)` or `on_error(exception)` is called on the GUI thread."""
    _runner(fn, on_done, on_error)


def wait_for_tasks(msecs: int = 30000) -> bool:
    """Wait for running background tasks to finish (quitting)."""
    return QThreadPool.globalInstance().waitForDone(msecs)
