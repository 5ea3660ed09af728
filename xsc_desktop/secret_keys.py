"""The keys secrets are encrypted with: the team key (XSC_SECRET_KEY, XSC_SECRET_KEY_FILE or the setting
secrets.key_file) and this copy's own key file in the data dir (made on first use, readable only by its owner).

A key file holds one key per line (lines starting with # are comments), the first one the key new secrets are
sealed with; a key is known by its id (the first 12 hex digits of its SHA-256), which each sealed value carries.
Files are written through a temporary file and a hard link (or a rename), so a reader never sees half a key and
two processes making the key file at once end up with the same key.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xsc_desktop.errors import UserError

log = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"
TEAM_KEY_SETTING = "secrets.key_file"
KEY_FILE_HEADER = ("# XSC Desktop secret key. Keep it private and back it up: without it the secrets saved with it "
                   "cannot be read.\n")


# ---- configuration ------------------------------------------------------------------------------------------
@dataclass
class _Config:
    data_dir: Path | None = None
    database_url: str = ""
    shared: bool = False  # a database other operators use too (not a SQLite file): only the team key may seal


_config = _Config()
_lock = threading.Lock()


def configure(data_dir: Path | None, database_url: str = "") -> None:
    """Name the data dir (home of the key file) and the database (shared or not); Context.open_database calls it."""
    _config.data_dir = Path(data_dir) if data_dir else None
    _config.database_url = database_url
    _config.shared = bool(database_url) and not database_url.startswith("sqlite:")


def key_file_path() -> Path | None:
    """This copy's own key file (in the data dir), or None when no data dir is known."""
    data_dir = _config.data_dir
    if data_dir is None:
        from xsc_desktop.db import sqlite_path
        from xsc_desktop.models import database

        name = getattr(database.obj, "database", "")
        path = sqlite_path(f"sqlite:///{name}") if name else None
        data_dir = path.parent if path else None
    return data_dir / KEY_FILE_NAME if data_dir else None


# ---- keys ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Key:
    """A Fernet key, its short id (kept beside each value it sealed) and where it came from."""

    id: str
    raw: bytes
    source: str

    def fernet(self) -> Any:
        from cryptography.fernet import Fernet

        return Fernet(self.raw)


def key_id(raw: bytes) -> str:
    """The short id of a key: the first 12 hex digits of its SHA-256 (it tells keys apart, it reveals nothing)."""
    return hashlib.sha256(raw.strip()).hexdigest()[:12]


def new_key() -> bytes:
    """A fresh random key."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key()


def _parse_key(text: str) -> bytes | None:
    """The key in a line of text, or None when it is not one (never echoed: it may be a secret)."""
    import base64
    import binascii

    raw = text.strip().encode("ascii", "replace")
    try:
        decoded = base64.urlsafe_b64decode(raw)
    except (binascii.Error, ValueError):
        return None
    return raw if len(decoded) == 32 else None


def _keys_in(text: str, where: str) -> list[bytes]:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    keys = [_parse_key(line) for line in lines]
    if not keys or any(k is None for k in keys):
        raise UserError(f"{where} does not hold an XSC Desktop key; restore the right file from a backup, "
                        "or move it away to start a new key (the secrets saved with the old one must then be "
                        "entered again).")
    return [k for k in keys if k is not None]


def _read_key_file(path: Path, what: str) -> list[bytes]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise UserError(f"The {what} {path} does not exist; put the file back or change the setting.") from None
    except OSError as exc:
        raise UserError(f"The {what} {path} cannot be read ({exc.strerror or exc}); check its permissions.") from None
    return _keys_in(text, f"The {what} {path}")


def team_keys() -> list[Key]:
    """The team key(s), first the one new secrets are sealed with; [] when none is configured.

    A configured but unusable team key raises UserError (never falls back: the team could not read the secret).
    """
    raw_env = os.environ.get("XSC_SECRET_KEY", "").strip()
    if raw_env:
        key = _parse_key(raw_env)
        if key is None:
            raise UserError("XSC_SECRET_KEY does not hold an XSC Desktop key (44 letters, digits, - and _ as "
                            "`xsc-desktop secrets new-key` writes them); fix it or unset it.")
        return [Key(key_id(key), key, "XSC_SECRET_KEY")]
    path_text = os.environ.get("XSC_SECRET_KEY_FILE", "").strip()
    source = "XSC_SECRET_KEY_FILE"
    if not path_text:
        path_text, source = _team_key_setting(), f"the setting {TEAM_KEY_SETTING}"
    if not path_text:
        return []
    path = Path(path_text).expanduser()
    return [Key(key_id(k), k, f"the team key file {path} (named by {source})")
            for k in _read_key_file(path, f"team key file named by {source},")]


def _team_key_setting() -> str:
    from xsc_desktop.models import Setting, database

    if database.obj is None:
        return ""
    try:
        row = Setting.get_or_none(Setting.key == TEAM_KEY_SETTING)
    except Exception:  # a database without the settings table yet
        return ""
    return str(row.value or "").strip() if row else ""


_local_cache: dict[str, Any] = {}


def local_keys() -> list[Key]:
    """The keys in this copy's key file, first the one new secrets are sealed with; [] when there is none.

    A key file others can read is made private again (and said so in the log); a damaged one raises UserError.
    """
    path = key_file_path()
    if path is None:
        return []
    try:
        info = path.stat()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise UserError(f"The key file {path} cannot be read ({exc.strerror or exc}); check its permissions.") from None
    if os.name != "nt" and info.st_mode & 0o077:
        try:
            os.chmod(path, 0o600)
            log.warning("The key file %s could be read by other users; it is readable only by its owner now", path)
        except OSError:
            log.warning("The key file %s can be read by other users; make it private (chmod 600)", path)
    stamp = (str(path), info.st_mtime_ns, info.st_size, info.st_ino)
    with _lock:
        if _local_cache.get("stamp") == stamp:
            return list(_local_cache["keys"])
    keys = [Key(key_id(k), k, f"the key file {path}") for k in _read_key_file(path, "key file")]
    with _lock:
        _local_cache.update(stamp=stamp, keys=keys)
    return list(keys)


def write_key_file(path: Path, keys: list[bytes], *, replace: bool) -> None:
    """Write a private key file through a temporary file: a reader never sees half a key. Without `replace` an
    existing file wins (two processes creating it at once end up with the same key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(KEY_FILE_HEADER + "".join(k.decode("ascii") + "\n" for k in keys))
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails when the file exists: the first writer's key is the key
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links
                if not path.exists():
                    os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
        with _lock:
            _local_cache.clear()


def local_key_for_sealing() -> Key:
    path = key_file_path()
    if path is None:
        raise UserError("There is no data folder to keep the key file in; start the app with --data-dir.")
    keys = local_keys()
    if not keys:
        write_key_file(path, [new_key()], replace=False)
        log.info("Created the key file %s for the secrets of this data folder", path)
        keys = local_keys()
    return keys[0]


def write_new_key_file(path: Path) -> Key:
    """Write a new key file at `path` (for a team key), readable only by its owner; refuses an existing file."""
    path = Path(path).expanduser()
    if path.exists():
        raise UserError(f"{path} exists already; choose a new file name (an existing key is never overwritten).")
    raw = new_key()
    write_key_file(path, [raw], replace=False)
    return Key(key_id(raw), raw, f"the key file {path}")
