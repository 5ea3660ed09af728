"""Riding out a database server that goes away (a restart, a network cut) without crashing anything.

    result = reconnect.retrying(lambda: do_the_work(), stop=stop_event)   # waits while unreachable, then again
    reconnect.wait_for_database(stop_event)                                # block until it answers (or stop)

Work that needs the database calls it through `retrying`: when a statement fails because the server cannot be
reached, this thread's dead connection is dropped, the state "unreachable" is published
(`events.set_connection`, topic "database.connection", which the window shows as a banner and in its status bar),
the server is asked again with growing waits (0.2 s doubling to at most MAX_WAIT, with jitter), and once it answers
the state "connected" is published and the work runs again from its start. A unit of work is one transaction (or
claims its rows), so a connection cut half way leaves nothing half-written: the server rolled the transaction back.

Only connection loss is waited out (`storage.connection_lost`); a refused statement, a wrong password at start-up
or SQLite's locked file raise as before.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from xsc_desktop import events, storage
from xsc_desktop.models import database

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_WAIT = 0.2  # seconds before the first new try
MAX_WAIT = 15.0  # the longest wait between tries


class Stopped(Exception):
    """The wait for the database ended because the work was asked to stop."""


def lost(exc: BaseException) -> bool:
    """Whether `exc` means the database server is unreachable right now (see `storage.connection_lost`)."""
    return database.obj is not None and storage.connection_lost(exc, database.obj)


def _where() -> str:
    known = events.connection().where
    if known:
        return known
    obj = database.obj
    if obj is None:
        return ""
    if storage.is_postgresql(obj):
        params = getattr(obj, "connect_params", {}) or {}
        host, port = params.get("host", "localhost"), params.get("port", 5432)
        return f"{params.get('user', '')}@{host}:{port}/{obj.database}".lstrip("@")
    return str(getattr(obj, "database", ""))


def _drop_connection() -> None:
    """Forget this thread's connection (dead or half-dead), so the next statement opens a fresh one."""
    obj = database.obj
    if obj is None:
        return
    try:
        obj._state.reset() if obj.in_transaction() else obj.close()
    except Exception:
        obj._state.reset()


def _probe() -> BaseException | None:
    """Open a fresh connection and ask the server one trivial question; None when it answered."""
    _drop_connection()
    try:
        database.execute_sql("SELECT 1").fetchone()
        return None
    except Exception as exc:  # unreachable (or another trouble, also waited out here)
        _drop_connection()
        return exc


def sentence(exc: BaseException | None) -> str:
    """One sentence for the operator while the server cannot be reached."""
    shown = _where() or "the database server"
    text = str(exc or "").strip().splitlines()[0] if exc is not None and str(exc).strip() else ""
    reason = f" ({text[:160]})" if text else ""
    return (f"The database server {shown} cannot be reached{reason}; work that needs it waits and goes on by itself "
            "when it answers again.")


def wait_for_database(stop: threading.Event | None = None, error: BaseException | None = None) -> bool:
    """Block until the database answers again, publishing "unreachable" with each failed try and "connected" once
    it answers; False when `stop` was set first (the caller ends its work; nothing was written meanwhile)."""
    wait, attempts = FIRST_WAIT, 0
    while True:
        attempts += 1
        problem = _probe()
        if problem is None:
            if attempts > 1 or not events.connection().connected:
                log.info("The database server answers again")
            events.set_connection(events.CONNECTED, where=_where())
            return True
        error = problem
        delay = min(MAX_WAIT, wait) * random.uniform(0.75, 1.0)  # a little spread, so processes do not knock in step
        if attempts == 1:
            log.warning("The database server cannot be reached; retrying: %s", str(error).splitlines()[0] if
                        str(error) else type(error).__name__)
        events.set_connection(events.UNREACHABLE, where=_where(), detail=sentence(error), retry_in=round(delay, 2),
                              attempts=attempts)
        if stop is not None:
            if stop.wait(delay):
                return False
        else:
            time.sleep(delay)
        wait = min(MAX_WAIT, wait * 2)


def retrying(work: Callable[[], T], *, stop: threading.Event | None = None, what: str = "") -> T:
    """`work()`, run again from its start after the database server went away and came back (waited out with
    `wait_for_database`). Raises `Stopped` when `stop` is set during a wait; other errors as they are."""
    while True:
        try:
            return work()
        except Exception as exc:
            if not lost(exc):
                raise
            log.warning("%s was interrupted: the database server went away; it runs again once the server answers",
                        what or "Work")
            if not wait_for_database(stop, exc):
                raise Stopped("stopped while waiting for the database server") from exc


def tell_changes(say: Callable[[str], None]) -> Callable[[], None]:
    """Call `say(sentence)` once when the server becomes unreachable and once when it answers again (a headless
    command prints these, so a service manager's journal shows the outage); returns the unsubscribe function."""
    last = [events.connection().state]

    def hear(_topic: str, payload: dict) -> None:
        state = payload.get("state")
        if state == last[0]:
            return
        last[0] = state
        if state == events.UNREACHABLE:
            say(str(payload.get("detail") or sentence(None)))
        else:
            say(f"The database server {payload.get('where') or ''} answers again; the work goes on.".replace("  ", " "))

    return events.subscribe(events.CONNECTION, hear)
