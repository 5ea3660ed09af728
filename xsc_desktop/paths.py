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
        if not path.exists():
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o700)  # leads and client data: the owner's only
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
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (0600), as every file the app keeps in its data dir."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "wb") as fh:
        fh.write(data)


def make_private(path: Path) -> None:
    """Take group and others' access away from one of our files (created before the app did so)."""
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            path.chmod(mode & 0o700)
    except OSError:
        pass  # not ours to change (another user's file): it is used as it is


_current: list[Path] = []  # the data dir this process opened (Context.open_database names it)


def use_data_dir(path: Path) -> None:
    """Name the data dir files made by the core (posting summaries, ...) go into."""
    _current[:] = [Path(path)]


def current_data_dir() -> Path:
    """The data dir this process works in: the one opened, else the SQLite file's folder, else the default."""
    if _current:
        return _current[0]
    from xsc_desktop.models import database

    name = str(getattr(database.obj, "database", "") or "") if database.obj is not None else ""
    if name and name != ":memory:" and "/" in name.replace("\\", "/"):
        return Path(name).parent
    return resolve_data_dir(None)
