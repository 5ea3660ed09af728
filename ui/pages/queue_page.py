"""The Queue page: the to-do list with each task's state live, its attempt log, and the person's actions.

Gather now, Run queue now, Run this task, Retry, Skip with reason, Tick off (custom scripts, new clients);
next-run times and a progress bar. Every database read and every action runs in a worker; task events from the
queue run (on its own threads) reach this page through the window's event bridge and patch rows in place.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.queue_model import (
    COLUMNS,
    STATUS_COLUMN,
    STATUS_ROLE,
    TASK_COLOURS,
    QueueModel,
    format_log,
    retry_label,
)
from ui.scheduling import run_text
from ui.table_fit import fit_columns
from ui.widgets import ChipDelegate, hint, page_title, show_error
from ui.workers import run_task
from xsc_desktop import queue

ALL_DATES = "All dates"


class QueuePage(QWidget):
    """The integration queue: what is on the list, what happened to each task, and what to do next."""

    title = "Queue"
    loaded = Signal(int)  # tasks shown, after every reload
    action_finished = Signal(str)  # a line saying what an action did

    def __init__(self, app, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.model = QueueModel(self)
        self._selected_id: int | None = None
        self._loading = False
        self._reload_again = False
        self._log_busy = False
        self._running = False

        self.date_filter = QComboBox()
        self.date_filter.setMinimumWidth(130)
        self.gather_button = QPushButton("Gather now")
        self.gather_button.setToolTip("Build the to-do list of the next run from the landers in Ready.")
        self.run_button = QPushButton("Run queue now")
        self.run_button.setToolTip("Send the TEST lead of every pending integration now.")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the run after the posts on their way; the rest stays pending.")
        self.stop_button.hide()
        self._run_stop = None  # the running run's stop switch
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("%v of %m")
        self.progress.hide()
        self.next_runs = QLabel("")
        self.next_runs.setProperty("role", "hint")
        self.next_runs.setWordWrap(True)
        self.next_runs.setMinimumWidth(160)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Run date"))
        bar.addWidget(self.date_filter)
        bar.addWidget(self.gather_button)
        bar.addWidget(self.run_button)
        bar.addWidget(self.stop_button)
        bar.addWidget(self.progress)
        bar.addStretch(1)
        bar.addWidget(self.next_runs)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setItemDelegateForColumn(STATUS_COLUMN, ChipDelegate(STATUS_ROLE, TASK_COLOURS, parent=self.table))
        fit_columns(self.table, stretch=COLUMNS.index("Reason"), keep=(STATUS_COLUMN,))

        self.task_title = QLabel("Select a task to see its attempt log.")
        self.task_title.setWordWrap(True)
        self.run_task_button = QPushButton("Run this task")
        self.retry_button = QPushButton("Retry")
        self.skip_button = QPushButton("Skip…")
        self.tick_button = QPushButton("Tick off")
        self.tick_button.setToolTip("Mark a custom script or new-client item done.")
        actions = QHBoxLayout()
        actions.addWidget(self.task_title, 1)
        for button in (self.run_task_button, self.retry_button, self.skip_button, self.tick_button):
            actions.addWidget(button)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setPlaceholderText("The attempt log of the selected task: the request sent (secrets masked) "
                                         "and each answer.")
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(actions)
        lower_layout.addWidget(self.log_view, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("queue-splitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Queue"))
        layout.addWidget(hint("At the gather time the landers in Ready become the next run's to-do list; at the run "
                              "time each integration gets a clearly labelled TEST lead, and accepted ones e-mail "
                              "the client. New clients come first."))
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        # Events come in bursts during a run: coalesce reloads and log refreshes.
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(250)
        self._reload_timer.timeout.connect(self.reload)
        self._log_timer = QTimer(self)
        self._log_timer.setSingleShot(True)
        self._log_timer.setInterval(300)
        self._log_timer.timeout.connect(self._load_log)
        self._next_timer = QTimer(self)
        self._next_timer.setInterval(30_000)
        self._next_timer.timeout.connect(self._load_next_runs)
        self._next_timer.start()

        self.gather_button.clicked.connect(self.gather_now)
        self.run_button.clicked.connect(self.run_queue_now)
        self.stop_button.clicked.connect(self.stop_run)
        # Replaceable in tests: "nothing gathered, but N landers are Ready: gather first?"
        self.ask_gather_first = self._ask_gather_first
        self.run_task_button.clicked.connect(self.run_selected)
        self.retry_button.clicked.connect(self.retry_selected)
        self.skip_button.clicked.connect(self.skip_selected)
        self.tick_button.clicked.connect(self.tick_selected)
        self.date_filter.activated.connect(lambda _i: self.reload())
        self.table.selectionModel().currentRowChanged.connect(lambda current, _old: self._selected(current.row()))
        app.bridge.event.connect(self._on_event)
        self._update_buttons()

    # ---- loading
    def selected_date(self) -> str | None:
        """The run date shown, or None for all dates."""
        data = self.date_filter.currentData()
        return data or None

    def open_selected(self) -> None:
        """Return on the table: read the selected task's attempt log."""
        self.log_view.setFocus()

    def reload(self) -> None:
        """Reload the dates and tasks in a worker (a second call while loading reloads once more afterwards)."""
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        wanted = self.selected_date()
        first = self.date_filter.count() == 0

        def load():
            dates = queue.dates()
            date = wanted
            if first and dates:
                upcoming = queue.planned_date().isoformat()
                date = upcoming if upcoming in dates else dates[0]
            rows = queue.list_tasks(date, with_log=False)
            waiting = [r.id for r in rows if r.status == "pending" and r.reason.endswith("(retrying)")]
            retries = {r.id: retry_label(r.log) for r in queue.list_tasks(task_ids=waiting)} if waiting else {}
            return dates, date, rows, {k: v for k, v in retries.items() if v}

        run_task(load, self._loaded, self._load_failed)
        self._load_next_runs()

    def _loaded(self, result) -> None:
        dates, date, rows, retries = result
        self._loading = False
        self.date_filter.blockSignals(True)
        self.date_filter.clear()
        self.date_filter.addItem(ALL_DATES, "")
        for d in dates:
            self.date_filter.addItem(d, d)
        index = self.date_filter.findData(date or "")
        self.date_filter.setCurrentIndex(max(index, 0))
        self.date_filter.blockSignals(False)
        self.model.set_rows(rows)
        self.model.set_retries(retries)
        self._reselect()
        self.loaded.emit(len(rows))
        if self._reload_again:
            self._reload_again = False
            self._reload_timer.start()

    def _load_failed(self, exc: Exception) -> None:
        self._loading = False
        self.app.status_message(f"The queue could not be read: {exc}", 10000)

    def _reselect(self) -> None:
        if self._selected_id is None:
            self._update_buttons()
            return
        row = self.model.row_of(self._selected_id)
        if row >= 0:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._update_buttons()

    def _load_next_runs(self) -> None:
        scheduler = getattr(self.app, "scheduler", None)
        from ui.scheduling import next_runs_text
        from xsc_desktop import jobs

        def compute() -> str:
            if scheduler is not None:
                return next_runs_text(scheduler.describe(), scheduler.paused)
            from xsc_desktop.scheduled import default_jobs

            return next_runs_text(jobs.describe(default_jobs()), False)

        run_task(compute, self.next_runs.setText, lambda _exc: None)

    # ---- selection and the attempt log
    def selected_task(self):
        """The selected TaskRow, or None."""
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _selected(self, row: int) -> None:
        task = self.model.row_at(row)
        self._selected_id = task.id if task else None
        self._update_buttons()
        if task is None:
            self.task_title.setText("Select a task to see its attempt log.")
            self.log_view.clear()
            return
        self.task_title.setText(f"Task {task.id}: {queue.KIND_LABELS.get(task.kind, task.kind)} — {task.client} / "
                                f"{task.campaign} / {task.lander}" + (f"  ·  test ref {task.test_ref}"
                                                                      if task.test_ref else ""))
        self._load_log()

    def _load_log(self) -> None:
        task_id = self._selected_id
        if task_id is None:
            return
        if self._log_busy:
            self._log_timer.start()
            return
        self._log_busy = True

        def load():
            rows = queue.list_tasks(task_ids=[task_id])
            return task_id, (rows[0] if rows else None)

        def show(result) -> None:
            self._log_busy = False
            shown_id, row = result
            if shown_id != self._selected_id:
                return
            text = format_log(row.log) if row else "The task is gone."
            if row and row.kind != "integrate":
                text = (row.reason or "") + ("\n\n" + text if row.log else "")
            self.log_view.setPlainText(text)

        def failed(exc: Exception) -> None:
            self._log_busy = False
            self.log_view.setPlainText(f"The attempt log could not be read: {exc}")

        run_task(load, show, failed)

    def _update_buttons(self) -> None:
        task = self.selected_task()
        integrate = task is not None and task.kind == "integrate"
        status = task.status if task else ""
        self.run_task_button.setEnabled(integrate and status == "pending" and not self._running)
        self.retry_button.setEnabled(task is not None and status in ("failed", "skipped") and not self._running)
        self.skip_button.setEnabled(task is not None and status in ("pending", "failed"))
        self.tick_button.setEnabled(task is not None and not integrate and status in ("pending", "failed"))
        self.run_button.setEnabled(not self._running)

    # ---- live events
    def _on_event(self, topic: str, payload: dict) -> None:
        if topic == "task.changed":
            task_id = payload.get("task_id")
            if not self.model.update_task(task_id, status=payload.get("status"), attempts=payload.get("attempts"),
                                          reason=payload.get("reason")):
                self._reload_timer.start()
            elif str(payload.get("reason") or "").endswith("(retrying)") or task_id in self.model.retries:
                self._reload_timer.start()  # the retry's attempt and time are read from its log
            if task_id == self._selected_id:
                self._update_buttons()
                self._log_timer.start()
        elif topic == "queue.progress":
            self.progress.setMaximum(max(1, int(payload.get("total") or 1)))
            self.progress.setValue(int(payload.get("done") or 0))
            self.progress.show()
        elif topic == "queue.finished":
            self.progress.hide()
            self._reload_timer.start()
        elif topic in ("queue.gathered", "job.changed"):
            self._reload_timer.start()

    # ---- actions
    def _busy(self, running: bool) -> None:
        self._running = running
        self.stop_button.setVisible(running)
        self.stop_button.setEnabled(True)
        self.stop_button.setText("Stop")
        if not running:
            self._run_stop = None
        self._update_buttons()

    def stop_run(self) -> None:
        """Stop the running queue run at its next safe point; what is not sent stays pending."""
        if self._run_stop is not None:
            self._run_stop.set()
            self.stop_button.setEnabled(False)
            self.stop_button.setText("Stopping…")

    def _ask_gather_first(self, ready: int) -> bool:
        answer = QMessageBox.question(
            self, "Run queue now",
            f"Nothing is gathered for a run yet, but {ready} lander{'s are' if ready != 1 else ' is'} Ready. "
            "Gather the to-do list first, then run it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    def _callbacks(self, done_text, *, long: bool = False, status: bool = True):
        """The (done, failed) pair of an action: busy buttons while a long one runs, the outcome in the status bar
        (unless the scheduler control reports it already), action_finished, a reload."""
        if long:
            self._busy(True)

        def done(result) -> None:
            if long:
                self._busy(False)
            text = done_text(result)
            if status:
                self.app.status_message(text, 8000)
            self.action_finished.emit(text)
            self._reload_timer.start()

        def failed(exc: Exception) -> None:
            if long:
                self._busy(False)
            show_error(self, "Queue", exc)
            self.action_finished.emit(str(exc))

        return done, failed

    def _act(self, fn, done_text, *, long: bool = False) -> None:
        run_task(fn, *self._callbacks(done_text, long=long))

    def _control(self):
        control = self.app.scheduler_control
        if control is None:
            show_error(self, "Queue", "The scheduler did not start with the window; restart XSC Desktop.")
        return control

    def gather_now(self) -> None:
        """Gather the to-do list of the next run now (the scheduler's gather job, as the tray's Gather now)."""
        control = self._control()
        if control is not None:
            control.gather_now(*self._callbacks(lambda row: f"To-do list gathered: {row.detail}.", status=False))

    def _stop_event(self):
        scheduler = getattr(self.app, "scheduler", None)
        return scheduler.stop_event if scheduler is not None else None

    def run_queue_now(self) -> None:
        """Run every pending integration now (as the tray's Run queue now); with nothing gathered while landers
        are Ready, offer to gather them first."""
        control = self._control()
        if control is None:
            return

        def counts() -> tuple[int, int]:
            from xsc_desktop.models import Lander

            pending = sum(1 for t in queue.list_tasks(status="pending", with_log=False) if t.kind == "integrate")
            return pending, Lander.select().where(Lander.status == "ready").count()

        def decide(result: tuple[int, int]) -> None:
            pending, ready = result
            if pending == 0 and ready and self.ask_gather_first(ready):
                control.gather_now(lambda _row: self._start_run(control), could_not)
                return
            self._start_run(control)

        def could_not(exc: Exception) -> None:
            self._busy(False)
            show_error(self, "Queue", exc)

        self._busy(True)  # at once: the buttons say a run is starting while the counts are read
        run_task(counts, decide, could_not)

    def _start_run(self, control) -> None:
        self.progress.setValue(0)
        done, failed = self._callbacks(run_text, long=True, status=False)
        self._run_stop = control.run_queue_now(done, failed)

    def run_selected(self) -> None:
        """Run the selected integrate task now."""
        task = self.selected_task()
        if task is None:
            return
        stop = self._stop_event()
        self._act(lambda: queue.run(task_ids=[task.id], stop=stop), run_text, long=True)

    def retry_selected(self) -> None:
        """Put the selected failed or skipped task back on the list and run it (integrations)."""
        task = self.selected_task()
        if task is None:
            return
        stop = self._stop_event()

        def retry():
            queue.retry(task.id)
            if task.kind == "integrate":
                return queue.run(task_ids=[task.id], stop=stop)
            return None

        self._act(retry, lambda r: run_text(r) if r is not None else f"Task {task.id} is pending again.",
                  long=task.kind == "integrate")

    def skip_selected(self, reason: str | None = None) -> None:
        """Skip the selected task; asks for the reason unless given."""
        task = self.selected_task()
        if task is None:
            return
        if reason is None:
            reason, ok = QInputDialog.getText(self, "Skip task", f"Why is task {task.id} ({task.lander}) skipped?")
            if not ok:
                return
        if not reason.strip():
            show_error(self, "Skip task", "Say why the task is skipped; the reason is kept with it.")
            return
        self._act(lambda: queue.skip(task.id, reason), lambda _t: f"Task {task.id} skipped.")

    def tick_selected(self, note: str = "") -> None:
        """Tick off the selected custom-script or new-client item."""
        task = self.selected_task()
        if task is None:
            return
        self._act(lambda: queue.tick_off(task.id, note), lambda _t: f"Task {task.id} ticked off.")
