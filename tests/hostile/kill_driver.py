"""A process that forks one worker per command and says what each worker is doing, so a test can SIGKILL the
worker at a chosen point of its work (found by counting the lines it prints, never by sleeping).

    python -m tests.hostile.kill_driver DATA_DIR [BATCH_ROWS]

Reads commands on stdin, one a line: `deliver`, `queue`, `mail`, `report DAYS` (the due reports as of DAYS days
from now). For each it forks a worker that prints `pid N`, then a line per database write (`sql INSERT`, `sql
UPDATE`, ...) and per report batch (`progress DONE TOTAL`), and `end` when its work is done; the driver then
prints `exit CODE` (negative: the signal that ended the worker). The app is imported once here, so a worker
starts in milliseconds: twenty kills cost twenty forks, not twenty interpreter starts. Each worker opens the
database itself, as a newly started app would, and runs the app's own entry points (recovery included).
"""

from __future__ import annotations

# What a worker would import lazily is imported once here, before forking.
import email.headerregistry
import email.policy  # noqa: F401
import logging
import os
import sys
import threading
from datetime import timedelta

import requests  # noqa: F401
import xlsxwriter  # noqa: F401
from cryptography import fernet  # noqa: F401

from parsers import expressions, outcome, presets, render, spec  # noqa: F401
from xsc_desktop import (  # noqa: F401
    confirmation,
    delivery,
    leads,
    mail,
    parsers_store,
    posting,
    queue,
    sheet_writer,
    sheets,
    summary,
)
from xsc_desktop.context import Context
from xsc_desktop.models import utcnow

_say_lock = threading.Lock()


def say(line: str) -> None:
    with _say_lock:
        os.write(1, (line + "\n").encode())  # one write per line, unbuffered: what was printed has happened


class _Writes(logging.Handler):
    """Prints a line for every write statement peewee sends (a point to be killed at)."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.msg
        sql = message[0] if isinstance(message, tuple) else str(message)
        verb = sql.lstrip().split(" ", 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE"):
            say(f"sql {verb}")


def work(data_dir: str, command: list[str]) -> None:
    say(f"pid {os.getpid()}")
    ctx = Context.create(data_dir)
    ctx.open_database()
    peewee_log = logging.getLogger("peewee")
    peewee_log.handlers[:] = [_Writes()]
    peewee_log.setLevel(logging.DEBUG)
    peewee_log.propagate = False
    kind = command[0]
    if kind == "deliver":
        delivery.deliver_once()
    elif kind == "queue":
        queue.run(include_future=True)
    elif kind == "mail":
        mail.send_pending(wait=True)
    elif kind == "report":
        now = utcnow() + timedelta(days=int(command[1]))
        sheets.run_due_reports(now, progress=lambda done, total: say(f"progress {done} {total}"))
    else:
        raise SystemExit(f"unknown command {kind}")
    say("end")


def main(data_dir: str, batch: str = "") -> int:
    if batch:
        sheet_writer.BATCH_ROWS = int(batch)  # more batches, more points to be killed at
    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                work(data_dir, command)
            except BaseException as exc:  # shown to the test, which fails on it
                say(f"error {type(exc).__name__}: {exc}")
                code = 1
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        say(f"exit {os.waitstatus_to_exitcode(status)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
