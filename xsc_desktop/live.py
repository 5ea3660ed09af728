"""The live board: changes other operators and daemons make reach this window within a moment.

On PostgreSQL every write to the tables the window shows sends a notice on the channel CHANNEL in the same
transaction (a statement trigger installed by `storage.install_change_notices`; PostgreSQL delivers it at commit,
once per table and transaction). `ChangeListener` holds a connection of its own that LISTENs, and republishes what
others changed as the usual core events ("lander.changed", "task.changed", …, with `remote=True`), which the
window's EventBridge carries to the GUI thread. Its own changes are skipped: this process announced them already.

The listener is also the window's eye on the server: when its connection breaks it publishes the state
"unreachable" (`events.set_connection`) and tries again with growing waits; once back it publishes "connected"
and every topic once, so pages catch up on what changed meanwhile. SQLite has no listener: one operator's window
hears its own changes as before.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Any

from xsc_desktop import events, storage

log = logging.getLogger(__name__)

CHANNEL = "xsc_changes"

# What a change to each table means to the window (the topics its pages already listen to).
TABLE_TOPICS: dict[str, tuple[str, ...]] = {
    "lander": ("lander.changed",),
    "client": ("lander.changed",),
    "campaign": ("lander.changed",),
    "integration": ("lander.changed",),
    "task": ("task.changed",),
    "lead": ("lead.imported",),
    "delivery": ("delivery.changed",),
    "email": ("email.changed",),
    "parser": ("parser.changed",),
    "posting_doc": ("posting_doc.changed",),
    "report_template": ("report.templates_changed",),
    "report_schedule": ("report.finished",),
    "report_run": ("report.finished",),
    "job_run": ("job.changed",),
}
TABLES = tuple(TABLE_TOPICS)

FIRST_WAIT, MAX_WAIT = 0.2, 10.0  # seconds between tries while the server cannot be reached
WAIT_SECONDS = 0.5  # how long one wait for a notice lasts (the stop flag is looked at in between)
BATCH_SECONDS = 0.03  # notices arriving this soon after the first are published with it, once per topic


def topics_for(tables: set[str]) -> list[str]:
    """The topics to publish for changed tables, each once."""
    return list(dict.fromkeys(topic for table in sorted(tables) for topic in TABLE_TOPICS.get(table, ())))


class ChangeListener:
    """A thread with its own PostgreSQL connection that LISTENs for other connections' changes."""

    def __init__(self, url: str, *, publish: Callable[..., None] = events.publish) -> None:
        self.url = url
        self._publish = publish
        self._stop = threading.Event()
        self.listening = threading.Event()  # set while LISTEN is in place (tests and the status bar wait on it)
        self._thread: threading.Thread | None = None
        self._origin = storage.postgres_params(url).get("application_name", "")

    def start(self) -> ChangeListener:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="xsc-live-board", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # --- the thread

    def _run(self) -> None:
        wait, attempts, away = FIRST_WAIT, 0, False
        while not self._stop.is_set():
            try:
                connection = self._connect()
            except Exception as exc:  # the server is away (or not there yet): say so, try again later
                attempts += 1
                away = True
                delay = min(MAX_WAIT, wait) * random.uniform(0.75, 1.0)
                self._unreachable(exc, attempts, delay)
                wait = min(MAX_WAIT, wait * 2)
                if self._stop.wait(delay):
                    return
                continue
            wait, attempts = FIRST_WAIT, 0
            events.set_connection(events.CONNECTED, where=storage.where(self.url))
            if away:  # what changed while away is not known: every page looks again
                self._announce(set(TABLES))
                away = False
            try:
                self._listen(connection)
            except Exception as exc:
                if self._stop.is_set():
                    break
                log.warning("The live board's connection to the database server broke: %s",
                            str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                away = True
                attempts = 1
                self._unreachable(exc, attempts, FIRST_WAIT)
                self._stop.wait(FIRST_WAIT)
            finally:
                self.listening.clear()
                try:
                    connection.close()
                except Exception:
                    pass

    def _connect(self) -> Any:
        import psycopg

        params = storage.postgres_params(self.url)
        # A cut network (no reset from the server) is noticed within seconds, not hours.
        params.update(keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=2)
        return psycopg.connect(autocommit=True, **params)

    def _listen(self, connection: Any) -> None:
        connection.execute(f"LISTEN {CHANNEL}")
        self.listening.set()
        while not self._stop.is_set():
            changed: set[str] = set()
            heard = False
            for notice in connection.notifies(timeout=WAIT_SECONDS, stop_after=1):
                heard = True
                self._note(notice.payload, changed)
            if heard:  # the rest of a burst (a daemon delivering) goes out with it, once per topic
                for notice in connection.notifies(timeout=BATCH_SECONDS):
                    self._note(notice.payload, changed)
            if changed:
                self._announce(changed)
            if connection.closed or connection.broken:
                raise ConnectionError("the connection to the database server was closed")

    def _note(self, payload: str, changed: set[str]) -> None:
        table, _, origin = payload.partition(" ")
        if origin != self._origin:
            changed.add(table)

    def _announce(self, tables: set[str]) -> None:
        for topic in topics_for(tables):
            self._publish(topic, remote=True, tables=sorted(tables))

    def _unreachable(self, exc: BaseException, attempts: int, delay: float) -> None:
        from xsc_desktop.reconnect import sentence

        events.set_connection(events.UNREACHABLE, where=storage.where(self.url), detail=sentence(exc),
                              retry_in=round(delay, 2), attempts=attempts)


_listener: ChangeListener | None = None


def start(url: str) -> ChangeListener | None:
    """Start listening for other operators' changes when `url` is a PostgreSQL database (None on SQLite)."""
    global _listener
    if storage.engine_of(url) != storage.POSTGRESQL:
        return None
    stop()
    _listener = ChangeListener(url).start()
    return _listener


def stop() -> None:
    """Stop the listener, if one runs (at quit)."""
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None
