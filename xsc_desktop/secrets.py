"""Secrets at rest: API keys, tokens and the SMTP password are never kept in the database as plain text.

    secrets.put("integration:3", "api_key", "k-123")     # sealed and stored (an empty value forgets it)
    secrets.read("integration:3")                        # {"api_key": "k-123"}; SecretUnavailable when one cannot
    secrets.names("integration:3")                       # ["api_key"]: what is set, without reading any value
    secrets.status()                                     # where they are kept, how many, which are readable

Where a value goes, first match wins:
1. the team key: `XSC_SECRET_KEY` (the key itself), `XSC_SECRET_KEY_FILE` or the setting `secrets.key_file` (a
   key file every operator of a shared database holds); the value is encrypted with it (Fernet) in the database;
2. the system keyring (Secret Service, macOS Keychain, Windows Credential Locker) when a real one is usable; the
   database keeps only the entry's name. `XSC_SECRET_STORE=file` skips the keyring;
3. the key file `secret.key` in the data dir (created on first use, readable only by its owner); the value is
   encrypted with it in the database.

A stored value says how it was sealed (`xsc-secret:1:f:<key id>:<token>` or `xsc-secret:1:k:<entry>`), so a
value is read back whatever is configured now, as long as its key (or keyring entry) is here. A database file
copied to someone else therefore carries no usable secret: without the key or the keyring each secret is
reported in one sentence and everything that needs no secret keeps working.

Plain-text values from older versions are sealed by `migrate_plain()` after the database is opened (it needs the
key, which lives outside the database, so it cannot be a schema migration step). Each value is replaced by a
conditional UPDATE (only while it still holds the plain text), so two processes migrating at once neither lose a
secret nor seal one twice. A shared (non-SQLite) database never gets a secret without a team key: the other
operators could not read it.
"""

from __future__ import annotations

import logging
import os
import stat
import uuid
from dataclasses import dataclass, field
from typing import Any

from xsc_desktop.errors import UserError
from xsc_desktop.logs import register_secret
from xsc_desktop.secret_keys import (  # noqa: F401 - part of this module's interface
    TEAM_KEY_SETTING,
    Key,
    _config,
    _lock,
    configure,
    key_file_path,
    local_key_for_sealing,
    local_keys,
    new_key,
    team_keys,
    write_key_file,
    write_new_key_file,
)

log = logging.getLogger(__name__)

PREFIX = "xsc-secret:1:"
KEYRING_SERVICE = "xsc-desktop"
STORE_TEAM, STORE_KEYRING, STORE_KEY_FILE = "team key", "keyring", "key file"


class SecretUnavailable(UserError):
    """A stored secret that cannot be read here (key or keyring entry missing, keyring locked); one sentence."""


# ---- the keyring --------------------------------------------------------------------------------------------
_keyring_verdict: list[Any] = [None, False]  # [the backend judged last, whether it is a real keyring]


def _real_backend(backend: Any) -> bool:
    from keyring.backends import chainer

    if isinstance(backend, chainer.ChainerBackend):
        return any(_real_backend(b) for b in backend.backends)
    module = type(backend).__module__
    if module.startswith(("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")):
        return False  # no keyring, a keyring that forgets, or a plain/home-made file: none of them protects
    try:
        return float(backend.priority) > 0
    except Exception:  # a backend's priority raises when it cannot work here
        return False


def keyring_backend() -> Any | None:
    """The system keyring when a real one is usable here (and not switched off by XSC_SECRET_STORE=file)."""
    if os.environ.get("XSC_SECRET_STORE", "").strip().lower() == "file":
        return None
    try:
        import keyring
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception as exc:
        log.warning("The system keyring could not be opened (%s); secrets use the key file", type(exc).__name__)
        return None
    if _keyring_verdict[0] is not backend:
        _keyring_verdict[:] = [backend, _real_backend(backend)]
    return backend if _keyring_verdict[1] else None


def backend_name(backend: Any) -> str:
    """A keyring backend's readable name."""
    return getattr(backend, "name", "") or f"{type(backend).__module__}.{type(backend).__name__}"


# ---- sealing one value --------------------------------------------------------------------------------------
def label(scope: str, name: str) -> str:
    """A secret named in the operators' words: "smtp.password", "api_key of integration 3"."""
    kind, _, owner = scope.partition(":")
    return f"{name} of {kind} {owner}" if owner else name


def _unavailable(scope: str, name: str, why: str, todo: str) -> SecretUnavailable:
    return SecretUnavailable(f"The secret {label(scope, name)} cannot be read here: {why}; {todo}.")


def _database_id() -> str:
    """This database's own id (kept in its meta table), naming its keyring entries apart from other databases'."""
    from xsc_desktop.models import Meta

    Meta.insert(key="secrets.database_id", value=uuid.uuid4().hex).on_conflict_ignore().execute()
    return Meta.get(Meta.key == "secrets.database_id").value


def _sealing_store(create: bool = True) -> tuple[str, Any]:
    """(store, key or keyring backend) new secrets are sealed with; UserError when none may be used. Without
    `create` a key file not made yet is not made (holder None)."""
    team = team_keys()
    if team:
        return STORE_TEAM, team[0]
    if _config.shared:
        raise UserError("This database is shared, so secrets are saved only with a team key every operator holds; "
                        "set XSC_SECRET_KEY or the setting secrets.key_file (`xsc-desktop secrets new-key` makes one).")
    backend = keyring_backend()
    if backend is not None:
        return STORE_KEYRING, backend
    if not create:
        keys = local_keys()
        return STORE_KEY_FILE, keys[0] if keys else None
    return STORE_KEY_FILE, local_key_for_sealing()


def seal(scope: str, name: str, value: str, where: tuple[str, Any] | None = None) -> str:
    """The stored form of a secret value (writing the keyring entry when the keyring keeps it). `where` is
    _sealing_store()'s answer when the caller seals many values at once."""
    register_secret(value)
    store, holder = where or _sealing_store()
    if store == STORE_KEYRING:
        entry = f"{_database_id()}/{scope}/{name}"
        try:
            holder.set_password(KEYRING_SERVICE, entry, value)
        except Exception as exc:  # locked, refused, gone: keep it safe in the key file instead
            log.warning("The system keyring did not take the secret %s (%s); it was encrypted with the key file "
                        "instead", label(scope, name), type(exc).__name__)
            store, holder = STORE_KEY_FILE, local_key_for_sealing()
        else:
            # The entry's name stays; the stored text changes with each value, so no process reads an old one
            # remembered under it.
            return f"{PREFIX}k:{entry}#{uuid.uuid4().hex[:12]}"
    token = holder.fernet().encrypt(value.encode("utf-8")).decode("ascii")
    return f"{PREFIX}f:{holder.id}:{token}"


def is_sealed(stored: str | None) -> bool:
    """Whether a stored value is sealed (not plain text from an older version)."""
    return bool(stored) and str(stored).startswith(PREFIX)


def kind_of(stored: str) -> tuple[str, str]:
    """("f", key id) or ("k", keyring entry name) of a sealed value; ("plain", "") for plain text."""
    if not is_sealed(stored):
        return "plain", ""
    body = stored[len(PREFIX):]
    kind, _, rest = body.partition(":")
    return (kind, rest.partition(":")[0]) if kind == "f" else (kind, rest.rpartition("#")[0] or rest)


_revealed: dict[str, str] = {}


def reveal(scope: str, name: str, stored: str) -> str:
    """The plain value of a stored secret; SecretUnavailable saying why not in one sentence."""
    if not is_sealed(stored):
        register_secret(stored)
        return stored  # plain text from an older version, until migrate_plain() seals it
    kind, ref = kind_of(stored)
    if kind == "f":
        value = _decrypt(scope, name, ref, stored)  # a few microseconds: read afresh, so a key taken away counts
    elif kind == "k":
        value = _revealed.get(stored) or _from_keyring(scope, name, ref)
        with _lock:  # a keyring answer can take a round trip to another process: remembered for this process
            if len(_revealed) > 1000:
                _revealed.clear()
            _revealed[stored] = value
    else:
        raise _unavailable(scope, name, "it was saved by a newer XSC Desktop", "update the app")
    register_secret(value)
    return value


def _find_key(kid: str) -> tuple[Key | None, list[Key], list[str]]:
    """The key with this id (this copy's key file first: it needs no query), else None with every key this copy
    holds and the sentences about keys that could not be loaded."""
    keys: list[Key] = []
    problems: list[str] = []
    for load in (local_keys, team_keys):
        try:
            loaded = load()
        except UserError as exc:
            problems.append(str(exc).rstrip("."))
            continue
        for key in loaded:
            if key.id == kid:
                return key, keys, problems
        keys.extend(loaded)
    return None, keys, problems


def _decrypt(scope: str, name: str, kid: str, stored: str) -> str:
    from cryptography.fernet import InvalidToken

    key, keys, problems = _find_key(kid)
    if key is not None:
        try:
            return key.fernet().decrypt(stored.rsplit(":", 1)[1].encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError, UnicodeDecodeError):
            raise _unavailable(scope, name, f"its stored value is damaged (it does not match {key.source})",
                               "enter it again") from None
    if problems:
        raise _unavailable(scope, name, problems[0][0].lower() + problems[0][1:], "then try again")
    path = key_file_path()
    have = ", ".join(f"{k.source} (key {k.id})" for k in keys) or (
        f"no team key and no key file at {path}" if path else "no team key and no key file")
    raise _unavailable(scope, name, f"it was encrypted with key {kid}, and this copy has {have}",
                       "set XSC_SECRET_KEY (or the setting secrets.key_file) to the team key, or enter it again")


def _from_keyring(scope: str, name: str, entry: str) -> str:
    backend = keyring_backend()
    if backend is None:
        raise _unavailable(scope, name, "it is kept in a system keyring and none is usable on this computer",
                           "open the app in the desktop session that saved it, or enter it again")
    from keyring.errors import KeyringLocked

    try:
        value = backend.get_password(KEYRING_SERVICE, entry)
    except KeyringLocked:
        raise _unavailable(scope, name, "the system keyring is locked",
                           "unlock it (log in to the desktop session) and try again") from None
    except Exception as exc:
        raise _unavailable(scope, name, f"the system keyring refused it ({type(exc).__name__})",
                           "check the keyring and try again") from None
    if value is None:
        raise _unavailable(scope, name, "it is kept in the keyring of the computer that saved it, and this "
                           "computer's keyring does not have it", "enter it again")
    return value


def _discard(stored: str) -> None:
    """Remove the keyring entry behind a stored value (nothing to do for encrypted ones)."""
    kind, ref = kind_of(stored)
    if kind != "k":
        return
    backend = keyring_backend()
    if backend is None:
        return
    try:
        backend.delete_password(KEYRING_SERVICE, ref)
    except Exception:  # already gone, or the keyring is away: nothing left to protect here
        pass


# ---- the Secret table ---------------------------------------------------------------------------------------
def put(scope: str, name: str, value: str | None) -> None:
    """Keep a secret (an empty value forgets it). UserError when no store may take it (then nothing changed)."""
    from xsc_desktop.models import Secret, database, utcnow

    if not value:
        forget(scope, name)
        return
    value = str(value)
    stored = seal(scope, name, value)
    with database.atomic():
        old = Secret.get_or_none((Secret.scope == scope) & (Secret.name == name))
        Secret.insert(scope=scope, name=name, value=stored, updated_at=utcnow()).on_conflict(
            conflict_target=[Secret.scope, Secret.name], update={Secret.value: stored, Secret.updated_at: utcnow()}
        ).execute()
    if old is not None and kind_of(old.value) != kind_of(stored):  # not the keyring entry just written
        _discard(old.value)


def forget(scope: str, name: str | None = None) -> int:
    """Forget one secret of a scope, or all of them; returns how many were forgotten."""
    from xsc_desktop.models import Secret

    where = Secret.scope == scope
    if name is not None:
        where &= Secret.name == name
    old = [row.value for row in Secret.select(Secret.value).where(where)]
    Secret.delete().where(where).execute()
    for stored in old:
        if kind_of(stored)[0] == "k" and not Secret.select().where(Secret.value == stored).exists():
            _discard(stored)
    return len(old)


def names(scope: str) -> list[str]:
    """The names of the secrets set in a scope, without reading any value (for masks and missing-info)."""
    from xsc_desktop.models import Secret

    return [row.name for row in Secret.select(Secret.name, Secret.value).where(Secret.scope == scope).order_by(Secret.name)
            if row.value]


def read(scope: str) -> dict[str, str]:
    """Every secret of a scope by name; SecretUnavailable (one sentence) when one of them cannot be read."""
    from xsc_desktop.models import Secret

    return {row.name: reveal(scope, row.name, row.value)
            for row in Secret.select(Secret.name, Secret.value).where(Secret.scope == scope)}


def read_one(scope: str, name: str) -> str | None:
    """One secret, None when it is not set; SecretUnavailable when it is set but cannot be read."""
    from xsc_desktop.models import Secret

    row = Secret.get_or_none((Secret.scope == scope) & (Secret.name == name))
    return None if row is None else reveal(scope, name, row.value)


# ---- migrating plain text -----------------------------------------------------------------------------------
@dataclass
class Migration:
    """What migrate_plain() did."""

    sealed: int = 0
    left: int = 0  # still plain text (no store could take them now)
    problem: str = ""


def migrate_plain() -> Migration:
    """Seal every secret still kept as plain text (written by an older version). Safe to run in several processes at
    once: a value is replaced only while it still holds the plain text. A store that cannot be used now leaves the
    plain values as they are (they stay usable) and says why."""
    from xsc_desktop.models import Secret, utcnow

    report = Migration()
    rows = list(Secret.select(Secret.id, Secret.scope, Secret.name, Secret.value)
                .where(~Secret.value.startswith(PREFIX) & (Secret.value != "")))
    if not rows:
        return report
    from xsc_desktop import db

    sealed: list[tuple[Any, str]] = []
    try:
        where = _sealing_store()
        for row in rows:
            sealed.append((row, seal(row.scope, row.name, row.value, where)))
    except UserError as exc:
        report.left = len(rows) - len(sealed)
        report.problem = str(exc)
    with db.erasing_overwritten():
        for row, stored in sealed:
            changed = (Secret.update(value=stored, updated_at=utcnow())
                       .where((Secret.id == row.id) & (Secret.value == row.value)).execute())
            report.sealed += changed  # 0: another process sealed it first (a keyring entry is the same one)
    if report.sealed:
        from xsc_desktop import activity

        store = describe_sealing_store()
        activity.record("secrets", None, "sealed", note=f"{report.sealed} secret(s) from plain text into {store}")
        log.info("Sealed %s secret(s) kept as plain text by an older version into %s", report.sealed, store)
    if report.left:
        log.warning("%s secret(s) are still kept as plain text: %s", report.left, report.problem)
    elif not report.problem:
        _seal_backups()
    return report


def _seal_backups() -> None:
    """Seal the plain-text secrets in the backups made before schema migrations (copies of an older database):
    a restored backup still reads them with the same key, and the files no longer carry them readable."""
    from xsc_desktop import db
    from xsc_desktop.models import Secret

    table = Secret._meta.table_name
    for path in db.backup_files(_config.database_url):
        other = db.open_file(path)
        try:
            rows = other.execute_sql(f'SELECT id, scope, name, value FROM "{table}" WHERE value <> \'\' AND '
                                     "substr(value, 1, ?) <> ?", (len(PREFIX), PREFIX)).fetchall()
            where = _sealing_store() if rows else None
            sealed = [(seal(scope, name, value, where), row_id, value) for row_id, scope, name, value in rows]
            if sealed:
                with db.erasing_overwritten(other):
                    for stored, row_id, value in sealed:
                        other.execute_sql(f'UPDATE "{table}" SET value = ? WHERE id = ? AND value = ?',
                                          (stored, row_id, value))
                log.info("Sealed %s plain-text secret(s) in the backup %s", len(sealed), path.name)
        except Exception as exc:  # a damaged or foreign file: left as it is, said in the log
            log.warning("The backup %s could not be checked for plain-text secrets (%s)", path.name,
                        type(exc).__name__)
        finally:
            other.close()


def describe_sealing_store() -> str:
    """Where new secrets go, in words; UserError when nowhere may take them."""
    store, holder = _sealing_store(create=False)
    if store == STORE_KEYRING:
        return f"the system keyring ({backend_name(holder)})"
    if holder is None:
        return f"the key file {key_file_path()} (made when the first secret is saved)"
    return f"{holder.source}, key {holder.id}"


# ---- status and rekey ---------------------------------------------------------------------------------------
@dataclass
class Status:
    """Where secrets are kept, how many there are and whether each can be read here (no values)."""

    store: str = ""  # team key, keyring, key file, or "" when none may be used (problem says why)
    where: str = ""
    problem: str = ""
    team_key: str = ""
    keyring: str = ""
    key_file: str = ""
    key_file_state: str = ""
    count: int = 0
    by_store: dict[str, int] = field(default_factory=dict)
    readable: int = 0
    unreadable: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The documented shape of `secrets status --json`."""
        return {"store": self.store, "where": self.where, "problem": self.problem, "team_key": self.team_key,
                "keyring": self.keyring, "key_file": self.key_file, "key_file_state": self.key_file_state,
                "count": self.count, "by_store": self.by_store, "readable": self.readable,
                "unreadable": self.unreadable}


def status() -> Status:
    """The picture `xsc-desktop secrets status` prints."""
    from xsc_desktop.models import Secret

    out = Status()
    try:
        out.store = _sealing_store(create=False)[0]
        out.where = describe_sealing_store()
    except UserError as exc:
        out.problem = str(exc)
    try:
        team = team_keys()
        out.team_key = f"{team[0].source}, key {team[0].id}" if team else ""
    except UserError as exc:
        out.team_key = f"unusable: {exc}"
    backend = keyring_backend()
    out.keyring = backend_name(backend) if backend is not None else ""
    path = key_file_path()
    out.key_file = str(path or "")
    try:
        keys = local_keys()
        if keys:
            mode = stat.S_IMODE(path.stat().st_mode) if path else 0
            out.key_file_state = f"present, key {keys[0].id}, mode {mode:o}"
        else:
            out.key_file_state = "not created yet"
    except UserError as exc:
        out.key_file_state = f"unusable: {exc}"
    team_ids = {k.id for k in _quiet(team_keys)}
    local_ids = {k.id for k in _quiet(local_keys)}
    by_store: dict[str, int] = {}
    for row in Secret.select(Secret.scope, Secret.name, Secret.value).where(Secret.value != ""):
        kind, ref = kind_of(row.value)
        where = {"plain": "plain text", "k": STORE_KEYRING}.get(kind) or (
            STORE_TEAM if ref in team_ids else STORE_KEY_FILE if ref in local_ids else "another key")
        by_store[where] = by_store.get(where, 0) + 1
        out.count += 1
        try:
            reveal(row.scope, row.name, row.value)
            out.readable += 1
        except SecretUnavailable as exc:
            out.unreadable.append({"secret": label(row.scope, row.name), "reason": str(exc)})
    out.by_store = dict(sorted(by_store.items()))
    return out


def _quiet(load) -> list[Key]:
    try:
        return load()
    except UserError:
        return []


@dataclass
class Rekey:
    """What rekey() did."""

    resealed: int = 0
    unreadable: list[str] = field(default_factory=list)
    where: str = ""


def rekey() -> Rekey:
    """Seal every readable secret again where new secrets go now (a fresh key when that is this copy's key file).

    Moves secrets to the team key once it is set, or out of the keyring. A secret that cannot be read is left as it
    is (and named). The old key stays in the key file until no secret needs it any more.
    """
    from xsc_desktop.models import Secret, database, utcnow

    report = Rekey()
    store, holder = _sealing_store()
    if store == STORE_KEY_FILE:
        path = key_file_path()
        assert path is not None
        write_key_file(path, [new_key()] + [k.raw for k in local_keys()], replace=True)
        store, holder = _sealing_store()  # the fresh key
    report.where = describe_sealing_store()
    for row in list(Secret.select().where(Secret.value != "")):
        try:
            value = reveal(row.scope, row.name, row.value)
        except SecretUnavailable as exc:
            report.unreadable.append(str(exc))
            continue
        kind, ref = kind_of(row.value)
        if (store == STORE_TEAM and kind == "f" and ref == holder.id) or (store == STORE_KEYRING and kind == "k"):
            continue  # already where new secrets go
        stored = seal(row.scope, row.name, value, (store, holder))
        with database.atomic():
            changed = (Secret.update(value=stored, updated_at=utcnow())
                       .where((Secret.id == row.id) & (Secret.value == row.value)).execute())
        if changed:
            report.resealed += 1
            if kind_of(row.value)[0] == "k" and kind_of(stored)[0] != "k":
                _discard(row.value)
    if store == STORE_KEY_FILE:
        _drop_unused_local_keys()
    from xsc_desktop import activity

    activity.record("secrets", None, "rekeyed", note=f"{report.resealed} secret(s) sealed again into {report.where}")
    return report


def _drop_unused_local_keys() -> None:
    from xsc_desktop.models import Secret

    path = key_file_path()
    keys = local_keys()
    if path is None or len(keys) < 2:
        return
    used = {kind_of(v)[1] for (v,) in Secret.select(Secret.value).tuples() if kind_of(v)[0] == "f"}
    kept = [keys[0].raw] + [k.raw for k in keys[1:] if k.id in used]
    if len(kept) < len(keys):
        write_key_file(path, kept, replace=True)
