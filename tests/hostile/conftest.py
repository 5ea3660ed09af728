"""Helpers of the hostile suite: each probe checks the exit code, one sentence on stderr and no traceback."""

from __future__ import annotations

import subprocess


def assert_one_sentence(proc: subprocess.CompletedProcess, *, code: int = 1, contains: str = "") -> str:
    """The process ended with `code` and said exactly one line on stderr (no traceback, no logging noise)."""
    err = proc.stderr.strip()
    assert proc.returncode == code, (proc.returncode, proc.stdout[-2000:], err[-2000:])
    assert "Traceback" not in err and "Logging error" not in err, err[-3000:]
    assert "unexpected error" not in err, err
    assert len(err.splitlines()) == 1, err[-3000:]
    assert err.startswith("xsc-desktop: "), err
    if contains:
        assert contains in err, err
    return err
