"""What the scheduler runs: every job of the app, in one plain list.

A new scheduled job is one `JobDef` here (its function lives in the module that owns the work); nothing registers
itself on import. The modules are imported when `default_jobs()` is called, which the window does on a worker.
"""

from __future__ import annotations

from datetime import datetime

from xsc_desktop.jobs import JobDef


def default_jobs() -> dict[str, JobDef]:
    """The app's jobs by name: queue gather and run, the outbox, lead delivery and feeds, spreadsheet reports."""
    from xsc_desktop import delivery, leads, mail, queue, sheets

    def gather(now: datetime) -> str:
        return queue.gather(now).summary()

    def run_queue(now: datetime) -> str:
        return queue.run(now).summary()

    def outbox(now: datetime) -> str:
        return mail.send_pending(now).line()

    def deliver(now: datetime) -> str:
        return delivery.deliver_once(now).summary()

    table = [
        JobDef("gather", gather, daily_local_setting="queue.gather_time", default_time="15:00",
               label="Gather the to-do list"),
        JobDef("run_queue", run_queue, daily_local_setting="queue.run_time", default_time="08:00",
               label="Run the queue"),
        JobDef("outbox", outbox, every_seconds_setting="mail.interval_seconds", default_time=60, label="Send e-mail",
               each_process=True),
        JobDef("deliver", deliver, every_seconds_setting="delivery.interval_seconds", default_time=60,
               label="Deliver new leads", each_process=True),
        JobDef("feeds", leads.feeds_job, every_seconds_setting="delivery.interval_seconds", default_time=60,
               label="Pull lead feeds"),
        JobDef("reports", sheets.reports_job, daily_utc_setting="reports.time_utc", default_time="05:00",
               label="Spreadsheet reports", recover=sheets.recover_interrupted_runs),
        # No setting of its own: the interval is default_time (seconds).
        JobDef("reports_other_times", sheets.other_times_job, every_seconds_setting="reports.other_times_seconds",
               default_time=sheets.OTHER_TIMES_CHECK_SECONDS, label="Reports at other times"),
    ]
    return {job.name: job for job in table}
