"""The scheduler: one thread, one `schedule.Scheduler`, JobRun rows so no planned slot runs twice.

The app's jobs are listed in one place, `xsc_desktop.scheduled.default_jobs()`; a scheduler is given them:

    JobDef("reports", run_reports, daily_utc_setting="reports.time_utc", default_time="05:00")
    JobDef("deliver", deliver_new_leads, every_seconds_setting="delivery.interval_seconds", default_time=60)

    def run_reports(now: datetime) -> str:      # now: aware UTC datetime from the scheduler's clock
        ...; return "3 reports written"         # one detail line, kept in the JobRun row

Kinds of job:
- daily local (`daily_local_setting`, e.g. queue.gather_time "15:00"): once per local date of the operator's
  zone (`XSC_TIMEZONE`, else the system zone), slot "2026-11-28T15:00-05:00";
- daily UTC (`daily_utc_setting`, e.g. reports.time_utc "05:00"): once per UTC date, slot "2026-11-28T05:00+00:00";
- interval (`every_seconds_setting`): at most once per bucket of that many seconds, slot = the bucket start.
`default_time` is used when the setting is empty or unreadable ("HH:MM" for daily jobs, seconds for interval ones).

How a slot runs: the scheduler INSERTs JobRun(job, slot, state="running") first; the unique (job, slot) index
means a second process (or a clock that jumped back) cannot claim it again. A daily job also runs at most once
per date, so moving its time after it ran does not run it twice that day. Then `fn(now)` runs; its detail line,
or the error, goes into the row (done / failed) and a "job.changed" event is published. An exception in a job
is logged and recorded, and the thread goes on.

Sleep, clock jumps and restarts: whether a slot is due is decided from the injected clock and the JobRun rows
on every check, never from a timer's memory: `schedule` only decides how often each job is checked (and is
re-anchored when the wall clock jumps). A daily slot found more than MISSED_AFTER late that came due while the
scheduler was not watching (the app was closed, the machine asleep, the scheduler paused, or the wall clock
jumped over it) is "missed" and handled by the `jobs.catch_up` setting: "run" runs it now, "skip" records it
as skipped, "ask" publishes "job.missed" {job, slot} once and keeps the answer given to
`answer_missed(job, slot, run)` for the scheduler's own thread to act on (without a window, see
`Scheduler(headless=True)`, "ask" skips it with a notification). A slot that came due while another job held
the scheduler (one job at a time) is only late: it runs when that job ends, whatever catch-up says.
A JobRun left "running" by a killed process is found on start (its job lock is free) and marked
"interrupted"; today's interrupted daily slot is then run again (its own work is idempotent: queue tasks and
outbox e-mails carry their own states). A job's own `recover` step (report runs, ...) runs on start too.

Pause: the `jobs.paused` setting (pause()/resume()); while paused nothing starts, slots wait.
Stopping: `stop()` sets a threading.Event and joins the thread; a running job sees `jobs.stop_requested()`
(or the event from `jobs.current_stop_event()`) and returns at its next safe point.

Tests drive time with `ManualClock` and `Scheduler.tick(now)`: no thread, no sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import time as dtime
from typing import Any

from peewee import IntegrityError

from xsc_desktop import events, locks, reconnect, settings
from xsc_desktop.clock import ManualClock as ManualClock  # tests drive the scheduler with it
from xsc_desktop.clock import SystemClock, in_zone, local_date, local_instant, operator_zone, parse_hhmm, utcnow
from xsc_desktop.clock import aware_utc as _aware
from xsc_desktop.events import Topic
from xsc_desktop.models import JobRun, database

log = logging.getLogger(__name__)

JobFn = Callable[[datetime], str]

MISSED_AFTER = timedelta(minutes=10)  # a daily slot found later than this is "missed" (catch-up rules apply)
CHECK_SECONDS = 15  # how often a daily job is checked
INTERVAL_KEEP = timedelta(days=3)  # interval JobRun rows older than this are pruned (they pile up fast)


@dataclass(frozen=True)
class JobDef:
    """A job: its name, function, when it runs (exactly one of the three *_setting fields), and optionally the
    recovery of its own runs a killed process left half-done (returns how many it recovered)."""

    name: str
    fn: JobFn
    daily_local_setting: str | None = None
    daily_utc_setting: str | None = None
    every_seconds_setting: str | None = None
    default_time: str | int | None = None
    label: str = ""
    recover: Callable[[], int] | None = None
    # Run by every process in each slot (an interval job whose work the processes share by claiming it, as delivery
    # and the outbox do), instead of by one process of the team per slot.
    each_process: bool = False

    def __post_init__(self) -> None:
        given = [s for s in (self.daily_local_setting, self.daily_utc_setting, self.every_seconds_setting)
                 if s is not None]
        if len(given) != 1:
            raise ValueError(f"job {self.name!r} needs exactly one of daily_local_setting, daily_utc_setting, "
                             "every_seconds_setting")
        if not self.label:
            object.__setattr__(self, "label", self.name.replace("_", " ").capitalize())

    @property
    def kind(self) -> str:
        """"daily_local", "daily_utc" or "interval"."""
        if self.every_seconds_setting is not None:
            return "interval"
        return "daily_utc" if self.daily_utc_setting is not None else "daily_local"


Jobs = dict[str, JobDef]


# ---- time ----------------------------------------------------------------------------------------------------
def _hhmm(text: Any, fallback: str | int | None) -> dtime:
    """The job's time from its setting, else its default, else midnight (a job must never fail to plan)."""
    for candidate in (text, fallback):
        parsed = parse_hhmm(candidate)
        if parsed is not None:
            return parsed
    return dtime(0, 0)


def _setting(key: str) -> Any:
    try:
        return settings.get(key)
    except Exception:  # an unknown key (a job registered before its setting exists) falls back to the default
        return None


# ---- slots -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Slot:
    """One planned run of a job: its key in JobRun.slot, its instant, and the date it belongs to."""

    job: str
    key: str
    at: datetime
    day: str  # ISO date prefix for "once per date" (daily jobs), "" for interval jobs


def planned_slot(job: JobDef, now: datetime, tz: tzinfo | None, day_offset: int = 0) -> Slot:
    """The job's slot of the current day (or bucket), `day_offset` days (buckets) later."""
    now = _aware(now)
    if job.kind == "interval":
        every = interval_seconds(job)
        start = int(now.timestamp()) // every * every + day_offset * every
        at = datetime.fromtimestamp(start, UTC)
        return Slot(job.name, at.isoformat(timespec="seconds"), at, "")
    if job.kind == "daily_utc":
        at_time = _hhmm(_setting(job.daily_utc_setting), job.default_time)
        day = now.date() + timedelta(days=day_offset)
        at = datetime.combine(day, at_time, tzinfo=UTC)
    else:
        at_time = _hhmm(_setting(job.daily_local_setting), job.default_time)
        day = local_date(now, tz) + timedelta(days=day_offset)
        at = local_instant(day, at_time, tz)
    key = f"{day.isoformat()}T{at_time:%H:%M}{at.isoformat()[-6:]}"
    return Slot(job.name, key, at.astimezone(UTC), day.isoformat())


def interval_seconds(job: JobDef) -> int:
    """The job's interval from its setting (at least 1 s), else its default, else 60."""
    for candidate in (_setting(job.every_seconds_setting or ""), job.default_time, 60):
        try:
            value = int(candidate)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if value > 0:
            return value
    return 60


def _taken(slot: Slot) -> bool:
    """Whether the slot (or, for a daily job, any slot of its date) already has a JobRun row."""
    query = JobRun.select(JobRun.id).where(JobRun.job == slot.job)
    if slot.day:
        query = query.where(JobRun.slot.startswith(slot.day + "T"))
    else:
        query = query.where(JobRun.slot == slot.key)
    return query.exists()


def claim(job: str, slot_key: str, *, state: str = "running", detail: str = "",
          at: datetime | None = None) -> JobRun | None:
    """Insert the JobRun row of a slot (started at `at`, the scheduler clock's now); None when it exists already
    (another process or an earlier run has it)."""
    started = _aware(at).replace(tzinfo=None) if at is not None else utcnow()
    try:
        # Its own transaction (a savepoint inside a caller's): on PostgreSQL a refused insert must not spoil an
        # outer transaction, and the unique (job, slot) index decides between processes on any machine.
        with database.atomic():
            return JobRun.create(job=job, slot=slot_key, state=state, detail=detail, started_at=started,
                                 finished_at=None if state == "running" else started)
    except IntegrityError:
        return None


def stop_requested() -> bool:
    """Whether the scheduler running the current job was asked to stop (jobs check this at safe points)."""
    event = current_stop_event()
    return event is not None and event.is_set()


_current = threading.local()


def close_thread_connection() -> None:
    """Close this thread's database connection (peewee keeps one per thread): threads of our own that end call it,
    so a long-running app does not leave one open SQLite handle per finished worker."""
    if database.obj is not None and not database.is_closed():
        database.close()


def current_stop_event() -> threading.Event | None:
    """The stop event of the scheduler whose job runs on this thread (pass it to worker threads), or None."""
    return getattr(_current, "stop_event", None)


# ---- the scheduler ---------------------------------------------------------------------------------------------
@dataclass
class JobInfo:
    """A job as `jobs list` shows it: next run, last run and its outcome."""

    name: str
    label: str
    kind: str
    next_run: datetime | None
    last_slot: str = ""
    last_state: str = ""
    last_detail: str = ""
    last_finished: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """The documented JSON shape of `jobs list --json`."""
        return {"name": self.name, "label": self.label, "kind": self.kind,
                "next_run": self.next_run.isoformat() if self.next_run else None,
                "last_slot": self.last_slot, "last_state": self.last_state, "last_detail": self.last_detail,
                "last_finished": self.last_finished.isoformat() if self.last_finished else None}


class Scheduler:
    """Runs its jobs on one background thread (or by hand through `tick`), recording every slot.

    `jobs` are the jobs by name, or a function returning them (`scheduled.default_jobs`), called on first use so
    the modules behind the jobs load where the scheduler first needs them (on its own thread, or a worker);
    `clock` needs now() (aware UTC) and monotonic(); `tz` is the operator's zone (None: the system zone);
    `headless` changes catch-up "ask" into skip-with-notification since nobody can answer.
    """

    def __init__(self, *, jobs: Jobs | Callable[[], Jobs], clock: Any = None, tz: tzinfo | None = None,
                 headless: bool = False, poll_seconds: float = 1.0) -> None:
        import schedule

        self.clock = clock or SystemClock()
        self.tz = tz if tz is not None else operator_zone()
        self._jobs: Jobs | None = None if callable(jobs) else jobs
        self._load_jobs: Callable[[], Jobs] | None = jobs if callable(jobs) else None
        self.headless = headless
        self.poll_seconds = poll_seconds
        self.stop_event = threading.Event()
        self._schedule = schedule.Scheduler()  # our own instance: the module-level default is never used
        self._thread: threading.Thread | None = None
        self._run_lock = threading.Lock()  # one job at a time on this scheduler (manual runs included)
        self._running: str | None = None
        self._asked: set[tuple[str, str]] = set()
        # The operator's answers to "job.missed" questions, written by a GUI worker, acted on by the scheduler's
        # own thread at its next check (so the job runs where stop() can wait for it, and a busy moment only
        # delays the answer instead of losing it).
        self._answers: dict[tuple[str, str], bool] = {}
        self._answers_lock = threading.Lock()
        # Since when this scheduler has been watching without a gap (start, wake from sleep, clock jump, resume):
        # a slot due before it came due unwatched and is "missed"; one due after it was only delayed by a job.
        self._awake_since: datetime | None = None
        self._was_paused = False
        self._last_wall: float | None = None
        self._last_mono: float | None = None

    @property
    def jobs(self) -> Jobs:
        """The jobs this scheduler runs (loaded on first use when it was given a function)."""
        if self._jobs is None and self._load_jobs is not None:
            self._jobs = self._load_jobs()
        return self._jobs if self._jobs is not None else {}

    @property
    def running_job(self) -> str | None:
        """The name of the job running now, or None."""
        return self._running

    # ---- the thread
    def start(self) -> None:
        """Load the jobs, recover interrupted runs, and start the thread (once)."""
        if self._thread is not None:
            return
        self.recover_interrupted()
        self._anchor_schedule()
        self.stop_event.clear()
        self._thread = threading.Thread(target=self._loop, name="xsc-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> bool:
        """Ask the thread to stop and wait for it (a running job stops at its next safe point); True when it ended."""
        self.stop_event.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def is_alive(self) -> bool:
        """Whether the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _anchor_schedule(self) -> None:
        # `schedule` only paces the checks; each check asks the clock and the database whether a slot is due.
        self._schedule.clear()
        for job in self.jobs.values():
            every = min(interval_seconds(job), CHECK_SECONDS) if job.kind == "interval" else CHECK_SECONDS
            self._schedule.every(max(1, every)).seconds.do(self._check_from_thread, job.name)

    def _loop(self) -> None:
        _current.stop_event = self.stop_event
        try:
            self._guarded(lambda: self.tick(self.clock.now(), first=True))
            while not self.stop_event.is_set():
                if self._clock_jumped():
                    log.info("The wall clock jumped (or the machine slept); re-anchoring the scheduler")
                    self._anchor_schedule()
                self._guarded(lambda: self._apply_answers(self.clock.now()))
                self._guarded(self._schedule.run_pending)
                idle = self._schedule.idle_seconds
                wait = self.poll_seconds if idle is None else max(0.05, min(self.poll_seconds, idle))
                self.stop_event.wait(wait)
        finally:
            _current.stop_event = None
            close_thread_connection()

    def _guarded(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception as exc:  # the loop outlives any failure (a database briefly locked, ...)
            if reconnect.lost(exc):  # the server went away: wait for it here instead of failing every check
                reconnect.wait_for_database(self.stop_event, exc)
                return
            log.exception("Scheduler check failed")

    def _clock_jumped(self) -> bool:
        wall, mono = self.clock.now().timestamp(), self.clock.monotonic()
        last_wall, last_mono = self._last_wall, self._last_mono
        self._last_wall, self._last_mono = wall, mono
        if last_wall is None or last_mono is None:
            return False
        # Time passing moves both clocks (a long job included); a jump, or a suspend the monotonic clock did not
        # count, moves only the wall: slots that came due meanwhile were not watched.
        jumped = abs((wall - last_wall) - (mono - last_mono)) > 30
        if jumped:
            self._awake_since = _aware(self.clock.now())
        return jumped

    def _check_from_thread(self, name: str) -> None:
        job = self.jobs.get(name)
        if job is not None:
            self.check(job, self.clock.now())

    # ---- deciding and running
    def tick(self, now: datetime | None = None, *, first: bool = False) -> list[JobRun]:
        """Check every job once at `now` (the clock's time by default); returns the JobRun rows it ran or recorded.

        `first=True` is the start-up check (missed slots are reported as caught up). Tests call this directly.
        """
        now = _aware(now or self.clock.now())
        if self._awake_since is None or first:
            self._awake_since = now
            self._clock_jumped()  # the first look only records both clocks
        else:
            self._clock_jumped()
        done: list[JobRun] = [row for row in self._apply_answers(now) if row is not None]
        for job in list(self.jobs.values()):
            if self.stop_event.is_set():
                break
            row = self.check(job, now)
            if row is not None:
                done.append(row)
        if first:
            self._prune(now)
        return done

    def check(self, job: JobDef, now: datetime) -> JobRun | None:
        """Run the job's current slot when it is due and free; returns its JobRun row, or None."""
        now = _aware(now)
        if self.paused:
            self._was_paused = True
            return None
        if self._was_paused:
            # Slots that came due while paused were not run on purpose: long-missed ones follow catch-up.
            self._was_paused = False
            self._awake_since = now
        slot = planned_slot(job, now, self.tz)
        if job.each_process:
            from xsc_desktop.workqueue import OWNER

            slot = Slot(slot.job, f"{slot.key}@{OWNER}", slot.at, slot.day)
        if job.kind == "interval":
            last = (JobRun.select(JobRun.started_at).where(JobRun.job == job.name)
                    .order_by(JobRun.started_at.desc()).first())
            if last is not None and _aware(last.started_at) > now:
                return None  # the clock went back: wait until time passes the last run
            if _taken(slot):
                return None
            return self._run(job, slot.key, now)
        if now < slot.at or _taken(slot):
            return None
        if now - slot.at > MISSED_AFTER and self._unwatched(slot.at):
            return self._missed(job, slot, now)
        return self._run(job, slot.key, now)

    def _unwatched(self, at: datetime) -> bool:
        """Whether a slot due at `at` came due while this scheduler was not watching (not started yet, asleep,
        paused, or before a clock jump); a slot due while a long job held the scheduler is only late, not missed."""
        return self._awake_since is None or at < self._awake_since

    def _missed(self, job: JobDef, slot: Slot, now: datetime) -> JobRun | None:
        choice = str(_setting("jobs.catch_up") or "run")
        key = (job.name, slot.key)
        with self._answers_lock:
            answered = key in self._answers
        if choice == "ask" and answered:
            return self._apply_answer(key, now)
        if choice == "ask" and self.headless:
            events.notify("Missed run skipped", f"{job.label} was due at {_show(slot.at, self.tz)}; catch-up is "
                          "set to ask and no window is open, so it was skipped.", "warning")
            choice = "skip"
        if choice == "run":
            return self._run(job, slot.key, now, note="caught up")
        if choice == "skip":
            row = claim(job.name, slot.key, state="skipped", detail="missed while the app was closed or asleep",
                        at=now)
            if row is not None:
                events.publish(Topic.JOB_CHANGED, job=job.name, slot=slot.key, state="skipped")
            return row
        if key not in self._asked:
            self._asked.add(key)
            events.publish(Topic.JOB_MISSED, job=job.name, label=job.label, slot=slot.key,
                           planned_at=slot.at.isoformat())
        return None

    def answer_missed(self, job: str, slot: str, run: bool) -> None:
        """Keep the operator's answer to a "job.missed" question (run the slot, or record it skipped).

        Returns at once from any thread: the scheduler's thread acts on the answer at its next check (within
        `poll_seconds`), and when another job holds the scheduler then, at the check after it ends. Without a
        thread, `tick()` acts on it.
        """
        with self._answers_lock:
            self._answers[(job, slot)] = bool(run)

    def _apply_answers(self, now: datetime) -> list[JobRun | None]:
        with self._answers_lock:
            keys = list(self._answers)
        return [self._apply_answer(key, _aware(now)) for key in keys if not self.stop_event.is_set()]

    def _apply_answer(self, key: tuple[str, str], now: datetime) -> JobRun | None:
        name, slot_key = key
        with self._answers_lock:
            run = self._answers.get(key)
        definition = self.jobs.get(name)
        if run is None:
            return None
        if definition is None or JobRun.select(JobRun.id).where((JobRun.job == name)
                                                                 & (JobRun.slot == slot_key)).exists():
            self._forget_answer(key)  # a job no longer registered, or a slot settled meanwhile
            return None
        if run:
            row = self._run(definition, slot_key, now, note="caught up")
            if row is not None:
                self._forget_answer(key)
            return row  # None: another job holds the scheduler; the answer waits for the next check
        row = claim(name, slot_key, state="skipped", detail="missed; the operator chose to skip it", at=now)
        self._forget_answer(key)
        if row is not None:
            events.publish(Topic.JOB_CHANGED, job=name, slot=slot_key, state="skipped")
        return row

    def _forget_answer(self, key: tuple[str, str]) -> None:
        with self._answers_lock:
            self._answers.pop(key, None)

    def run_now(self, name: str, *, wait: float = 30.0) -> JobRun | None:
        """Run a job by hand now (Gather now, Run queue now), recorded as slot "manual:<time>".

        Call it from a worker thread: it waits up to `wait` seconds for a running job to end; None when still busy.
        """
        job = self.jobs.get(name)
        if job is None:
            raise KeyError(name)
        now = _aware(self.clock.now())
        return self._run(job, "manual:" + now.isoformat(timespec="microseconds"), now, wait=wait)

    def _run(self, job: JobDef, slot_key: str, now: datetime, note: str = "", wait: float = 0.0) -> JobRun | None:
        if self.stop_event.is_set():
            return None  # quitting: nothing new starts (a manual run that waited for the lock included)
        if not self._acquire_run_lock(wait):
            return None  # a job runs already (the next check comes back to this slot), or stop was asked meanwhile
        try:
            if self.stop_event.is_set():
                return None
            from xsc_desktop.workqueue import OWNER

            with locks.hold(f"job-{job.name}" + (f":{OWNER}" if job.each_process else "")) as free:
                if not free:
                    return None  # another process runs this job right now
                row = claim(job.name, slot_key, at=now)
                if row is None:
                    return None
                self._running = job.name
                events.publish(Topic.JOB_CHANGED, job=job.name, slot=slot_key, state="running")
                previous = getattr(_current, "stop_event", None)
                _current.stop_event = self.stop_event
                try:
                    # A database server that goes away mid-job is waited out and the job runs again from its start
                    # (each job claims its rows, so what was committed is not done twice).
                    detail = reconnect.retrying(lambda: job.fn(now), stop=self.stop_event, what=f"Job {job.name}")
                    row.state, row.detail = "done", ((note + ": ") if note else "") + str(detail or "")
                except Exception as exc:
                    from xsc_desktop.faults import user_error

                    known = user_error(exc)
                    if known is not None:
                        log.warning("Job %s (%s) failed: %s", job.name, slot_key, known)
                    else:
                        log.exception("Job %s (%s) failed", job.name, slot_key)
                    row.state = "failed"
                    row.detail = (str(known) if known is not None else f"{type(exc).__name__}: {exc}")[:500]
                finally:
                    _current.stop_event = previous
                    self._running = None
                row.finished_at = max(_aware(self.clock.now()), now).replace(tzinfo=None)
                try:
                    reconnect.retrying(row.save, stop=self.stop_event)
                except reconnect.Stopped:
                    return None  # quitting while the server is away: the next start settles the slot left running
                events.publish(Topic.JOB_CHANGED, job=job.name, slot=slot_key, state=row.state, detail=row.detail)
                return row
        finally:
            self._run_lock.release()

    def _acquire_run_lock(self, wait: float) -> bool:
        """The one-job-at-a-time lock, waiting up to `wait` seconds in short slices so a stop ends the wait at once
        (a manual run waiting on a worker thread must not hold up quitting)."""
        if wait <= 0:
            return self._run_lock.acquire(blocking=False)
        deadline = time.monotonic() + wait
        while not self.stop_event.is_set():
            if self._run_lock.acquire(timeout=min(0.1, max(0.0, deadline - time.monotonic()))):
                return True
            if time.monotonic() >= deadline:
                return False
        return False

    # ---- pause, next runs, housekeeping
    @property
    def paused(self) -> bool:
        """Whether the operator paused the scheduler (setting jobs.paused)."""
        return bool(_setting("jobs.paused"))

    def pause(self) -> None:
        """Stop starting jobs until resume() (a running job finishes)."""
        settings.set("jobs.paused", True)
        events.publish(Topic.JOB_CHANGED, paused=True)

    def resume(self) -> None:
        """Start jobs again; slots that came due while paused run now (or by the catch-up rule when long missed)."""
        self._was_paused = True  # the next check restarts the watch (see check())
        settings.set("jobs.paused", False)
        events.publish(Topic.JOB_CHANGED, paused=False)

    def next_runs(self, now: datetime | None = None) -> dict[str, datetime]:
        """When each job runs next (aware UTC)."""
        now = _aware(now or self.clock.now())
        return {name: next_run(job, now, self.tz) for name, job in self.jobs.items()}

    def describe(self, now: datetime | None = None) -> list[JobInfo]:
        """Every job with its next run and its last run."""
        return describe(self.jobs, _aware(now or self.clock.now()), self.tz)

    def recover_interrupted(self) -> int:
        """Mark JobRun rows left "running" by a killed process as "interrupted" and free today's slots for a rerun."""
        changed = 0
        for row in JobRun.select().where(JobRun.state == "running"):
            with locks.hold(f"job-{row.job}") as free:
                if not free:
                    continue  # a live process runs it
                row.state, row.finished_at = "interrupted", utcnow()
                row.detail = (row.detail + " " if row.detail else "") + "(interrupted: the app stopped mid-run)"
                # Rename the slot so the same slot can be claimed again and run to its end.
                row.slot = f"interrupted:{row.slot}:{row.id}"
                row.save()
                changed += 1
        for job in list(self.jobs.values()):
            if job.recover is None:
                continue
            try:
                changed += int(job.recover() or 0)
            except Exception:  # one broken recovery must not keep the scheduler from starting
                log.exception("Recovering interrupted %s runs failed", job.name)
        return changed

    def _prune(self, now: datetime) -> None:
        interval_jobs = [j.name for j in self.jobs.values() if j.kind == "interval"]
        if interval_jobs:
            cutoff = (now - INTERVAL_KEEP).replace(tzinfo=None)
            JobRun.delete().where(JobRun.job.in_(interval_jobs) & (JobRun.started_at < cutoff)
                                  & (JobRun.state == "done")).execute()


def next_run(job: JobDef, now: datetime, tz: tzinfo | None) -> datetime:
    """The next instant the job will run (now when it is due or waiting for a catch-up answer)."""
    now = _aware(now)
    slot = planned_slot(job, now, tz)
    if job.kind == "interval":
        last = (JobRun.select(JobRun.started_at).where(JobRun.job == job.name)
                .order_by(JobRun.started_at.desc()).first())
        if last is None:
            return now
        return max(now, _aware(last.started_at) + timedelta(seconds=interval_seconds(job)))
    if _taken(slot):
        return planned_slot(job, now, tz, day_offset=1).at
    if now - slot.at > MISSED_AFTER and _setting("jobs.catch_up") == "skip":
        return planned_slot(job, now, tz, day_offset=1).at  # today's missed slot will be skipped
    return max(slot.at, now)


def describe(jobs: Jobs, now: datetime | None = None, tz: tzinfo | None = None) -> list[JobInfo]:
    """Every job with its next and last run."""
    now = _aware(now or datetime.now(UTC))
    tz = tz if tz is not None else operator_zone()
    out = []
    for name, job in sorted(jobs.items()):
        last = (JobRun.select().where((JobRun.job == name) & ~JobRun.slot.startswith("interrupted:"))
                .order_by(JobRun.started_at.desc(), JobRun.id.desc()).first())
        out.append(JobInfo(name=name, label=job.label, kind=job.kind, next_run=next_run(job, now, tz),
                           last_slot=last.slot if last else "", last_state=last.state if last else "",
                           last_detail=last.detail if last else "",
                           last_finished=last.finished_at if last else None))
    return out


def _show(moment: datetime, tz: tzinfo | None) -> str:
    local = in_zone(moment, tz)
    return local.strftime("%H:%M")


def show_time(moment: datetime | None, tz: tzinfo | None = None, now: datetime | None = None) -> str:
    """A next-run time as a person reads it: "now", "15:00", "tomorrow 08:00", "Mon 05:00" (operator's zone)."""
    if moment is None:
        return "—"
    tz = tz if tz is not None else operator_zone()
    now = _aware(now or datetime.now(UTC))
    if moment <= now + timedelta(seconds=59):
        return "now"
    local = in_zone(moment, tz)
    days = (local.date() - local_date(now, tz)).days
    if days <= 0:
        return local.strftime("%H:%M")
    if days == 1:
        return local.strftime("tomorrow %H:%M")
    return local.strftime("%a %H:%M")

