"""The scheduler started with the window: tray entries, next-run times in the status bar, missed-run questions,
the question before quitting while a job runs, and the wait for running jobs when the app quits.

Gather now and Run queue now have one path, `SchedulerControl.gather_now` / `run_queue_now`, used by the tray
and the Queue page alike.

The scheduler's thread never touches a widget: it publishes core events, which reach the GUI thread through
`window.bridge.event`; everything here runs on the GUI thread or in `run_task` workers.

Set XSC_NO_SCHEDULER=1 to open the window without starting the thread (tests do this implicitly: under pytest the
thread is not started unless a test starts `window.scheduler` itself).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QProgressBar, QVBoxLayout

from ui.workers import run_task
from xsc_desktop import jobs
from xsc_desktop.errors import UserError
from xsc_desktop.scheduled import default_jobs

log = logging.getLogger(__name__)

LABEL_REFRESH_MS = 30_000
STOP_TIMEOUT_S = 120  # the longest the app waits for the scheduler (and again for a window-started run) on quit
STOP_DIALOG_DELAY_MS = 400  # a stop quicker than this shows no window at all
SHORT_NAMES = {"gather": "gather", "run_queue": "queue run", "reports": "reports", "outbox": "e-mail",
               "deliver": "delivery", "feeds": "feeds"}


def auto_start() -> bool:
    """Whether the window starts the scheduler thread (not under XSC_NO_SCHEDULER or pytest)."""
    return not (os.environ.get("XSC_NO_SCHEDULER") or os.environ.get("PYTEST_CURRENT_TEST"))


def next_runs_text(infos: list[jobs.JobInfo], paused: bool) -> str:
    """The status-bar line: "Next: gather 15:00 · queue run tomorrow 08:00 · reports 05:00" (daily jobs only)."""
    if paused:
        return "Scheduler paused"
    daily = [i for i in infos if i.kind != "interval"]
    parts = [f"{SHORT_NAMES.get(i.name, i.label.lower())} {jobs.show_time(i.next_run)}"
             for i in sorted(daily, key=lambda i: i.next_run or datetime.max.replace(tzinfo=UTC))]
    return ("Next: " + " · ".join(parts)) if parts else ""


def run_text(result) -> str:
    """What a queue run did, in one line for the status bar and the Queue page."""
    if result.busy:
        return "Another queue run is in progress; it shows on the Queue page as it goes."
    return f"Queue run: {result.summary()}; {result.emails_sent} confirmation(s) sent."


class RunStop:
    """The stop switch of one queue run from the window: set by its Stop button, and set too when the app quits."""

    def __init__(self, quitting: threading.Event | None) -> None:
        self.quitting = quitting
        self.pressed = threading.Event()

    def set(self) -> None:
        """Stop the run at its next safe point."""
        self.pressed.set()

    def is_set(self) -> bool:
        """Whether the run should stop."""
        return self.pressed.is_set() or (self.quitting is not None and self.quitting.is_set())


class StoppingDialog(QDialog):
    """"Stopping scheduled jobs…" with a busy bar, shown while quitting waits for jobs to reach a safe point;
    Quit now leaves without waiting (the next start recovers what was interrupted)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Stopping")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Stopping scheduled jobs…\nA running task finishes its current step first."))
        bar = QProgressBar()
        bar.setRange(0, 0)  # busy: how long the step takes is not known
        layout.addWidget(bar)
        buttons = QDialogButtonBox()
        self.quit_now = buttons.addButton("Quit now", QDialogButtonBox.ButtonRole.RejectRole)
        self.quit_now.setToolTip("Leave without waiting; interrupted tasks are taken up again at the next start.")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class SchedulerControl(QObject):
    """The GUI side of the scheduler: actions, the status-bar label, missed-run questions, the close guard, and
    stopping on quit."""

    stopping_shown = Signal()  # the "Stopping scheduled jobs…" window appeared

    def __init__(self, window, scheduler: jobs.Scheduler) -> None:
        super().__init__(window)
        self.window = window
        self.scheduler = scheduler
        self._asking: set[tuple[str, str]] = set()
        self._label_busy = False
        self.timer = QTimer(self)
        self.timer.setInterval(LABEL_REFRESH_MS)
        self.timer.timeout.connect(self.refresh_label)
        self.pause_action = None
        self.stopping_dialog: StoppingDialog | None = None
        window.bridge.event.connect(self._on_event)

    def activate(self, *, start_thread: bool = True) -> None:
        """Load the job modules, start the scheduler thread (unless told not to) and keep the label fresh."""
        scheduler = self.scheduler

        def start() -> None:
            if start_thread:
                scheduler.start()  # loads the jobs (importing their modules), recovers interrupted runs
            else:
                scheduler.jobs  # noqa: B018 - loads the jobs, importing their modules

        # Importing the job modules and recovering interrupted runs is quick but not free: off the GUI thread.
        run_task(start, lambda _r: self.refresh_label(), self._failed)
        self.timer.start()

    # ---- actions (all work off the GUI thread)
    def gather_now(self, on_done: Callable[[Any], None] | None = None,
                   on_error: Callable[[Exception], None] | None = None) -> None:
        """Gather the to-do list now, recorded as a manual run of the scheduler's gather job; the outcome goes to the
        status bar, then to `on_done(JobRun)` / `on_error(exc)` (the Queue page's own reactions)."""
        scheduler = self.scheduler
        self.window.status_message("Gathering the to-do list...")

        def gather():
            row = scheduler.run_now("gather")
            if row is None:
                raise UserError("Another scheduled job is running (or the app is quitting); try again in a moment.")
            if row.state == "failed":
                raise UserError(f"The to-do list could not be gathered: {row.detail}")
            return row

        def done(row) -> None:
            self.window.status_message(f"To-do list gathered: {row.detail}.", 8000)
            self.refresh_label()
            if on_done is not None:
                on_done(row)

        run_task(gather, done, self._failed_then(on_error))

    def run_queue_now(self, on_done: Callable[[Any], None] | None = None,
                      on_error: Callable[[Exception], None] | None = None) -> RunStop:
        """Run every pending integrate task now (a quit stops it at a safe point); the outcome goes to the status
        bar, then to `on_done(RunResult)` / `on_error(exc)`."""
        from xsc_desktop import queue

        stop = RunStop(self.scheduler.stop_event)
        self.window.status_message("Running the queue...")

        def done(result) -> None:
            self.window.status_message(run_text(result), 8000)
            if on_done is not None:
                on_done(result)

        run_task(lambda: queue.run(include_future=True, stop=stop), done, self._failed_then(on_error))
        return stop

    def _failed_then(self, on_error: Callable[[Exception], None] | None) -> Callable[[Exception], None]:
        def failed(exc: Exception) -> None:
            self._failed(exc)
            if on_error is not None:
                on_error(exc)

        return failed

    def toggle_pause(self) -> None:
        """Pause or resume the scheduler."""
        paused = self.scheduler.paused

        def flip() -> bool:
            (self.scheduler.resume if paused else self.scheduler.pause)()
            return not paused

        run_task(flip, self._paused_changed, self._failed)

    def _paused_changed(self, paused: bool) -> None:
        if self.pause_action is not None:
            self.pause_action.setText("Resume scheduler" if paused else "Pause scheduler")
        self.window.status_message("Scheduler paused." if paused else "Scheduler resumed.")
        self.refresh_label()

    def _failed(self, exc: Exception) -> None:
        self.window.status_message(str(exc), 10000)

    # ---- next-run label
    def refresh_label(self) -> None:
        """Recompute the next-run times in a worker and show them in the status bar."""
        if self._label_busy:
            return
        self._label_busy = True
        scheduler = self.scheduler

        def compute() -> str:
            return next_runs_text(scheduler.describe(), scheduler.paused)

        def show(text: str) -> None:
            self._label_busy = False
            self.window.scheduler_label.setText(text)

        def failed(exc: Exception) -> None:
            self._label_busy = False
            log.warning("Next-run times could not be read: %s", exc)

        run_task(compute, show, failed)

    # ---- events from the core
    def _on_event(self, topic: str, payload: dict) -> None:
        if topic == "job.changed" and payload.get("state") != "running":
            self.refresh_label()
        elif topic == "job.missed":
            self._ask_missed(payload)

    def _ask_missed(self, payload: dict) -> None:
        key = (payload.get("job", ""), payload.get("slot", ""))
        if key in self._asking:
            return
        self._asking.add(key)
        planned = jobs.show_time(datetime.fromisoformat(payload["planned_at"])) if payload.get("planned_at") \
            else key[1]
        box = QMessageBox(QMessageBox.Icon.Question, "Missed scheduled run",
                          f"{payload.get('label', key[0])} was due at {planned} while the app was closed or asleep. "
                          "Run it now?", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.window)

        def answered(code: int) -> None:
            run_now = code == QMessageBox.StandardButton.Yes
            run_task(lambda: self.scheduler.answer_missed(key[0], key[1], run_now), lambda _r: self.refresh_label(),
                     self._failed)

        box.finished.connect(answered)
        box.open()

    # ---- quitting
    def close_guard(self) -> bool:
        """Asked before the window closes without a tray: stop a running job (at a safe point) and quit?"""
        from xsc_desktop import queue

        running = self.scheduler.running_job
        if running is None and not queue.running():
            return True
        if running is None:
            label = "The queue run"
        else:
            label = self.scheduler.jobs[running].label if running in self.scheduler.jobs else running
        answer = QMessageBox.question(self.window, "A job is running",
                                      f"{label} is running. Stop it at a safe point and quit? Tasks not started "
                                      "stay on the list for the next run.")
        return answer == QMessageBox.StandardButton.Yes

    def stop_all(self) -> bool:
        """Stop the scheduler and any queue run started from the window at their safe points; True when all ended.

        Runs on the GUI thread when the app quits and never freezes it: the waiting happens on a helper thread while
        a local event loop keeps the window painting, and a wait longer than a moment shows "Stopping scheduled
        jobs…" (with Quit now, which stops waiting; interrupted work is recovered at the next start).
        """
        from xsc_desktop import queue

        self.timer.stop()
        scheduler = self.scheduler
        scheduler.stop_event.set()  # every job, and every run started from the window, sees it from now on
        finished = threading.Event()
        outcome = [False]

        def wait_for_safe_points() -> None:
            try:
                stopped = scheduler.stop(timeout=STOP_TIMEOUT_S)
                if not stopped:
                    log.warning("The scheduler did not stop within %s s", STOP_TIMEOUT_S)
                idle = queue.wait_until_idle(STOP_TIMEOUT_S)
                if not idle:
                    log.warning("The queue run did not stop within %s s", STOP_TIMEOUT_S)
                outcome[0] = stopped and idle
            finally:
                finished.set()

        threading.Thread(target=wait_for_safe_points, name="xsc-stopping", daemon=True).start()
        if finished.wait(0.05):  # nothing was running: the thread woke and ended at once
            return outcome[0]
        loop = QEventLoop()
        dialog = StoppingDialog(self.window)
        self.stopping_dialog = dialog
        dialog.rejected.connect(loop.quit)
        poll = QTimer()
        poll.setInterval(50)
        poll.timeout.connect(lambda: loop.quit() if finished.is_set() else None)
        show_later = QTimer()
        show_later.setSingleShot(True)
        show_later.setInterval(STOP_DIALOG_DELAY_MS)

        def show() -> None:
            if not finished.is_set():
                dialog.show()
                self.stopping_shown.emit()

        show_later.timeout.connect(show)
        poll.start()
        show_later.start()
        if not finished.is_set():
            loop.exec()
        poll.stop()
        show_later.stop()
        dialog.hide()
        dialog.deleteLater()
        self.stopping_dialog = None
        if not finished.is_set():
            log.warning("Quit without waiting for scheduled jobs to stop")
        return finished.is_set() and outcome[0]


def add_tray_entries(window, control: SchedulerControl) -> None:
    """Gather now, Run queue now and Pause/Resume scheduler in the tray menu, above Quit."""
    menu = window.tray_menu
    if menu is None:
        return
    before = window.tray_quit_separator
    actions = []
    for text, slot in (("Gather now", control.gather_now), ("Run queue now", control.run_queue_now),
                       ("Resume scheduler" if control.scheduler.paused else "Pause scheduler", control.toggle_pause)):
        action = menu.addAction(text)
        action.triggered.connect(slot)
        actions.append(action)
    if before is not None:
        for action in actions:
            menu.removeAction(action)
        menu.insertActions(before, actions)
    control.pause_action = actions[-1]


def start_with_window(window) -> Callable[[], None]:
    """Called by `ui.app.start_features`: create the scheduler, wire the GUI to it, start its thread; returns the stop function.

    Under pytest (or XSC_NO_SCHEDULER) nothing runs until a test calls `window.scheduler_control.activate()`, so
    other features' GUI tests never see scheduled jobs run against their databases.
    """
    scheduler = jobs.Scheduler(jobs=default_jobs)
    control = SchedulerControl(window, scheduler)
    window.scheduler = scheduler
    window.scheduler_control = control
    window.close_guard = control.close_guard
    add_tray_entries(window, control)
    if auto_start():
        control.activate()

    def stop() -> None:
        control.stop_all()

    return stop
