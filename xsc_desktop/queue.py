"""The integration queue: gather() builds the to-do list (15:00), run() proves each integration (08:00).

    result = queue.gather(now)     # ready landers → integrate tasks (lander queued) or needs_info with the list;
                                   # custom-script tasks for flagged landers; a new-client item per new client
    result = queue.run(now)        # each pending integrate task: TEST lead → parser → post → classify →
                                   # accepted: task done, lander integrated, confirmation in the outbox
                                   # rejected/error: task failed with the reason and the attempt record
    queue.retry(task_id) / queue.skip(task_id, reason) / queue.tick_off(task_id, note)
    queue.list_tasks(planned_for=None) → [TaskRow]

Tasks are unique per (lander, kind, planned_for), so gathering twice creates nothing new. `planned_for` is the
local date of the run the task belongs to (the next queue.run_time after the gather).

Safety of a run:
- One run at a time per process (`workqueue.working`): a second `run()` returns at once saying so. On SQLite that
  is one per database; on a shared PostgreSQL the daemons' runs share the tasks (each claimed by one of them).
- A task is marked running (attempts + 1) before its post and settled in one transaction after; a run that
  finds tasks left running takes them over as interrupted (the lock proves their process is gone), so killing
  the app mid-run loses no task.
- The confirmation is queued in the same transaction that marks the task done, with dedupe key
  "confirmation:task:<id>", and sent from the outbox (which sends a row once); a rerun never sends it twice.
- Retryable errors (503, timeouts, ...) are retried after the parser's backoff while the window (until
  queue.run_deadline, at least RUN_WINDOW_MIN after the start) allows; no thread waits holding a host's slot.
- At most queue.per_host_limit posts run at once per host, MAX_WORKERS in all.
- Stop (the scheduler quitting) is honoured between attempts: running posts finish, the rest stay pending.

Events: "task.changed" {task_id, lander_id, kind, status, attempts, reason, done, total} for every change,
"queue.progress" {done, total}, "queue.finished" {done, failed, skipped, total}, "queue.gathered" {...};
tray messages through events.notify.

Where the code is: `queue_tasks` (kinds, gather, listing, the person's actions, events) and `queue_run` (the
run); this module names their public functions.
"""

from __future__ import annotations

from xsc_desktop.queue_run import (
    RunResult,
    build_test_lead,
    recover_interrupted,
    run,
    running,
    test_reference,
    wait_until_idle,
)
from xsc_desktop.queue_tasks import (
    EXCERPT,
    KIND_LABELS,
    KINDS,
    MAX_WORKERS,
    RUN_WINDOW_MIN,
    STATUSES,
    GatherResult,
    TaskRow,
    dates,
    gather,
    get_task,
    list_tasks,
    planned_date,
    retry,
    skip,
    tick_off,
    window_end,
)

__all__ = [
    "EXCERPT",
    "GatherResult",
    "KINDS",
    "KIND_LABELS",
    "MAX_WORKERS",
    "RUN_WINDOW_MIN",
    "STATUSES",
    "TaskRow",
    "dates",
    "gather",
    "get_task",
    "list_tasks",
    "planned_date",
    "retry",
    "skip",
    "tick_off",
    "window_end",
    "RunResult",
    "build_test_lead",
    "recover_interrupted",
    "run",
    "running",
    "test_reference",
    "wait_until_idle",
]
