"""Logging to a rotating file in the data dir, with a last line of defence that masks known secret values."""

from __future__ import annotations

import logging
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


def setup_logging(data_dir: Path, *, level: int = logging.INFO) -> Path:
    """Send the app's log to a rotating file in the data dir (5 × 2 MB); returns the file's path."""
    path = log_dir(data_dir) / LOG_FILE_NAME
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_xsc", False):
            root.removeHandler(handler)
            handler.close()
    handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler._xsc = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    handler.addFilter(SecretMaskingFilter())
    root.addHandler(handler)
    root.setLevel(level)
    return path
