"""Faults of the machine rather than of the app, each turned into the one sentence an operator can act on.

    error = faults.user_error(exc)     # a UserError for a database error or a full / read-only disk, else None

The CLI, the window and the scheduler's jobs all ask here before calling an error "unexpected".
"""

from __future__ import annotations

import errno
import sys

from xsc_desktop.errors import UserError

_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def user_error(exc: BaseException) -> UserError | None:
    """The plain sentence for `exc` when it is a fault of the database, the disk or the input's size; else None."""
    if isinstance(exc, UserError):
        return exc
    if "xsc_desktop.db" in sys.modules or "sqlite3" in sys.modules:
        from xsc_desktop import db

        mapped = db.plain_error(exc)
        if mapped is not None:
            return mapped
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
        where = f" ({exc.filename})" if exc.filename else ""
        return UserError(f"The disk is full{where}; free some space and try again (what was written before stays).")
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        return UserError(f"The disk holding {exc.filename or 'the data folder'} is read-only; use another "
                         "--data-dir or make it writable.")
    if isinstance(exc, MemoryError):
        return UserError("The input is too large to hold in memory; split it into smaller parts and try again.")
    return None
