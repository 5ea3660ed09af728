"""Where XSC Desktop keeps its state: --data-dir, then XSC_DATA_DIR, then the user's data dir."""

from __future__ import annotations

import os
from pathlib import Path

from xsc_desktop import APP_ID
from xsc_desktop.errors import UserError


def default_data_dir() -> Path:
    """The per-user data directory the app uses when nothing else is named."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_ID, appauthor=False))


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data dir named on the command line, else by XSC_DATA_DIR, else the default; created if missing."""
    raw = explicit or os.environ.get("XSC_DATA_DIR")
    path = Path(raw).expanduser() if raw else default_data_dir()
    path = path.resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise UserError(
            f"The data folder {path} cannot be written ({exc.strerror or exc}); "
            "choose another with --data-dir or XSC_DATA_DIR, or fix its permissions."
        ) from exc
    return path


def log_dir(data_dir: Path) -> Path:
    """The folder holding the rotating log files."""
    path = data_dir / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path
