"""The scheduler started with the window: tray entries, next-run times in the status bar, missed-run questions,
and the question before quitting while a job runs.

The scheduler's thread never touches a widget: it publishes core events, which reach the GUI thread through
`window.bridge.event`; everything here runs on the GUI thread or in `run_task` workers.

Set XSC_NO_SCHEDULER=1 to open the window without starting the thread (tests do this implicitly: under pytest the
thread is not started unless a test starts `window.scheduler` itself).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from ui import app as ui_app
from ui.workers import run_task
from xsc_desktop import jobs

log = logging.getLogger(__name__)

LABEL_REFRESH_MS = 30_000
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


class SchedulerControl(QObject):
    """The GUI side of the scheduler: actions, the status-bar label, missed-run questions, the close guard."""

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
        window.bridge.event.connect(self._on_event)

    def activate(self, *, start_thread: bool = True) -> None:
        """Load the job modules, start the scheduler thread (unless told not to) and keep the label fresh."""
        scheduler = self.scheduler

        def start() -> None:
            if start_thread:
                scheduler.start()  # imports the job modules, recovers interrupted runs
            else:
                jobs.load_job_modules()

        # Importing the job modules and recovering interrupted runs is quick but not free: off the GUI thread.
        run_task(start, lambda _r: self.refresh_label(), self._failed)
        self.timer.start()

    # ---- actions (all work off the GUI thread)
    def gather_now(self) -> None:
        """Gather the to-do list now (recorded as a manual run)."""
        self.window.status_message("Gathering the to-do list...")
        run_task(lambda: self.scheduler.run_now("gather"), self._manual_done, self._failed)

    def run_queue_now(self) -> None:
        """Run every pending integrate task now."""
        from xsc_desktop import queue

        self.window.status_message("Running the queue...")
        run_task(lambda: queue.run(include_future=True, stop=self.scheduler.stop_event),
                 lambda result: self.window.status_message(f"Queue run: {result.summary()}.", 8000), self._failed)

    def toggle_pause(self) -> None:
        """Pause or resume the scheduler."""
        paused = self.scheduler.paused

        def flip() -> bool:
            (self.scheduler.resume if paused else self.scheduler.pause)()
            return not paused

        run_task(flip, self._paused_changed, self._failed)

    def _manual_done(self, row) -> None:
        if row is None:
            self.window.status_message("Another job is running; try again in a moment.", 8000)
        else:
            self.window.status_message(f"{row.job}: {row.detail or row.state}", 8000)
        self.refresh_label()

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
            label = getattr(self.window, "scheduler_label", None)
            if label is not None:
                label.setText(text)

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


def add_tray_entries(window, control: SchedulerControl) -> None:
    """Gather now, Run queue now and Pause/Resume scheduler in the tray menu, above Quit."""
    menu = getattr(window, "tray_menu", None)
    if menu is None:
        return
    before = getattr(window, "tray_quit_separator", None)
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
    """STARTUP_HOOKS entry: create the scheduler, wire the GUI to it, start its thread; returns the stop function.

    Under pytest (or XSC_NO_SCHEDULER) nothing runs until a test calls `window.scheduler_control.activate()`, so
    other features' GUI tests never see scheduled jobs run against their databases.
    """
    scheduler = jobs.Scheduler()
    control = SchedulerControl(window, scheduler)
    window.scheduler = scheduler
    window.scheduler_control = control
    window.close_guard = control.close_guard
    add_tray_entries(window, control)
    if auto_start():
        control.activate()

    def stop() -> None:
        from xsc_desktop import queue

        control.timer.stop()
        if not scheduler.stop(timeout=120):
            log.warning("The scheduler did not stop within 2 minutes")
        # A run started from the window (Run queue now) shares the stop event: wait for its safe point too.
        if not queue.wait_until_idle(120):
            log.warning("The queue run did not stop within 2 minutes")

    return stop


ui_app.STARTUP_HOOKS.append(start_with_window)
