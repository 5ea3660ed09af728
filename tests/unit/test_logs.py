"""The log never shows a secret: values stored as secrets are masked in messages and tracebacks."""

from __future__ import annotations

import logging

from xsc_desktop import settings
from xsc_desktop.logs import LOG_FILE_NAME


def test_a_stored_secret_is_masked_in_log_lines_and_tracebacks(ctx):
    settings.set("smtp.password", "pa55-word-for-smtp")
    log = logging.getLogger("xsc_desktop.test")
    log.warning("Login failed with %s", settings.get("smtp.password"))
    try:
        raise RuntimeError("server said: bad password pa55-word-for-smtp")
    except RuntimeError:
        log.exception("Sending failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = (ctx.data_dir / "logs" / LOG_FILE_NAME).read_text()
    assert "Login failed with ••••" in text and "bad password ••••" in text
    assert "pa55-word-for-smtp" not in text
