"""Logging to a rotating file in the data dir, with a last line of defence that masks known secret values."""

from __future__ import annotations

import logging
import os
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

from xsc_desktop.paths import log_dir

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
LOG_FILE_NAME = "xsc-desktop.log"


def register_secret(value: str | None) -> None:
    """Remember a secret so that no log line ever shows it (values under 4 characters are too common to mask)."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)


def mask(text: str) -> str:
    """The text with every registered secret replaced by ••••."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "••••")
    return text


class SecretMaskingFilter(logging.Filter):
    """Rewrites each record's message with registered secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            record.msg = mask(record.getMessage())
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = mask(record.exc_text)
        return True


class _LogFileHandler(RotatingFileHandler):
    """The rotating log file, created readable by its owner only, that never prints a traceback of its own: when
    the disk is full (or the folder went away) the line is lost and counted, and the app goes on quietly."""

    lost = 0

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)  # the handler keeps it

    def flush(self) -> None:
        try:
            super().flush()
        except OSError:
            type(self).lost += 1

    def close(self) -> None:
        try:
            super().close()
        except OSError:  # the buffered line could not be written at the end either
            type(self).lost += 1
            self.stream = None

    def handleError(self, record: logging.LogRecord) -> None:
        # logging's default prints "--- Logging error ---" and a traceback on stderr: on a full disk that would
        # bury the one sentence the operator needs.
        type(self).lost += 1


def setup_logging(data_dir: Path, *, level: int = logging.INFO) -> Path:
    """Send the app's log to a rotating file in the data dir (5 × 2 MB); returns the file's path."""
    path = log_dir(data_dir) / LOG_FILE_NAME
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_xsc", False):
            root.removeHandler(handler)
            handler.close()
    try:
        handler = _LogFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    except OSError:
        return path  # no log file (a full disk, a read-only folder): the commands still work and say so themselves
    handler._xsc = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    handler.addFilter(SecretMaskingFilter())
    root.addHandler(handler)
    root.setLevel(level)
    return path
