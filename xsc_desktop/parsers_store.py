"""Saved parsers: list, get, save as a new version, history, restore, duplicate, import and export.

Presets (parsers/presets) are read-only and listed beside the saved parsers; a preset's name cannot be
taken by a saved parser: duplicate the preset to edit it.

Secrets: a secret static field whose spec carries a literal value (a key that belongs to the parser
itself rather than to one integration) has that value moved to the secret store (xsc_desktop.secrets, scope
"parser:<name>", sealed) on save and import, so specs, version history and exports never hold it. Rendering
finds it again through `parser_secrets(name)`, merged under the integration's own secrets.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from parsers.presets import is_preset, load_presets, preset
from parsers.spec import ParserSpec, SpecError, errors
from xsc_desktop import activity, events, rowversion
from xsc_desktop import secrets as secret_store
from xsc_desktop.db import write_transaction
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.models import Integration, Parser, ParserVersion, database, utcnow

MAX_IMPORT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class ParserSummary:
    """One row of the parser list: a bundled preset (read-only) or a saved parser with its version."""

    name: str
    system: str
    is_preset: bool
    preset: str = ""
    version: int | None = None
    updated_at: datetime | None = None
    description: str = ""
    problems: int = 0
    row_version: int | None = None  # what an editor passes back to save_parser (not part of the JSON)

    def to_dict(self) -> dict[str, Any]:
        """The documented shape of `parsers list --json`."""
        return {"name": self.name, "system": self.system, "kind": "preset" if self.is_preset else "saved",
                "preset": self.preset, "version": self.version,
                "updated_at": self.updated_at.isoformat(timespec="seconds") if self.updated_at else None,
                "description": self.description, "problems": self.problems}


@dataclass(frozen=True)
class ParserVersionInfo:
    """One saved version of a parser: number, who saved it, the note, when, and the spec as it was."""

    version: int
    author: str
    note: str
    created_at: datetime
    spec: ParserSpec

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (the spec without secrets)."""
        return {"version": self.version, "author": self.author, "note": self.note,
                "created_at": self.created_at.isoformat(timespec="seconds"), "spec": self.spec.to_dict()}


def _scope(name: str) -> str:
    return f"parser:{name}"


# ---- reading ------------------------------------------------------------------------------------------------
def list_parsers() -> list[ParserSummary]:
    """Saved parsers (by name) then the presets (in their bundled order)."""
    saved = []
    for row in Parser.select().order_by(Parser.name):
        spec = _spec_of(row.spec, row.name)
        saved.append(ParserSummary(row.name, row.system, False, row.preset, row.version, row.updated_at,
                                   spec.description, len(errors(spec)), row.row_version))
    presets = [ParserSummary(name, spec.system, True, name, None, None, spec.description, len(errors(spec)))
               for name, spec in load_presets().items()]
    return saved + presets


def get_parser(name: str) -> ParserSpec:
    """The spec of a saved parser or preset called `name` (secret values left out), or UserError."""
    row = Parser.get_or_none(Parser.name == name)
    if row is not None:
        return _spec_of(row.spec, name)
    if is_preset(name):
        return preset(name)
    raise UserError(f"There is no parser called {name!r}; `xsc-desktop parsers list` shows them.")


def get_summary(name: str) -> ParserSummary:
    """The list row of one parser or preset, or UserError."""
    for summary in list_parsers():
        if summary.name == name:
            return summary
    raise UserError(f"There is no parser called {name!r}; `xsc-desktop parsers list` shows them.")


def parser_secrets(name: str) -> dict[str, str]:
    """The secret values kept for the parser itself (by secret name); never print them. SecretUnavailable (a
    UserError) says in one sentence when one cannot be read here."""
    return secret_store.read(_scope(name))


def parser_secret_names(name: str) -> list[str]:
    """The names of the secrets kept for the parser itself, without reading a value."""
    return secret_store.names(_scope(name))


def set_parser_secret(name: str, secret: str, value: str) -> None:
    """Keep (or, with an empty value, forget) a secret that belongs to the parser itself."""
    _require_saved(name)
    secret_store.put(_scope(name), secret, value)


def history(name: str) -> list[ParserVersionInfo]:
    """Every saved version of a parser, newest first; presets have none."""
    row = _require_saved(name)
    return [ParserVersionInfo(v.version, v.author, v.note, v.created_at, _spec_of(v.spec, name))
            for v in ParserVersion.select().where(ParserVersion.parser == row).order_by(ParserVersion.version.desc())]


def diff_versions(name: str, old: int, new: int) -> str:
    """A unified diff of two versions' JSON (what changed between them), "" when equal."""
    versions = {v.version: v for v in history(name)}
    for number in (old, new):
        if number not in versions:
            raise UserError(f"Parser {name} has no version {number}; its versions are "
                            f"{', '.join(str(v) for v in sorted(versions))}.")
    a = versions[old].spec.to_json().splitlines(keepends=True)
    b = versions[new].spec.to_json().splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"{name} v{old}", f"{name} v{new}"))


# ---- writing ------------------------------------------------------------------------------------------------
def row_version(name: str) -> int | None:
    """The row version of a saved parser (None for a preset or an unknown name): an editor keeps it while open."""
    return Parser.select(Parser.row_version).where(Parser.name == name).scalar()


def save_parser(spec: ParserSpec, *, author: str | None = None, note: str = "",
                expected_version: int | None = None) -> ParserSummary:
    """Save `spec` as a new version of the parser of its name (created at version 1 when new).

    `expected_version` is the row version the editor started from: a parser someone else saved since is not
    overwritten (rowversion.ChangedElsewhere); unchanged specs are never refused.

    Saving an unchanged spec adds no version. Literal secret values go to the secret store. Specs with
    validation problems are saved too (the editor shows them; the queue refuses to post with errors).
    """
    name = (spec.name or "").strip()
    if not name:
        raise UserError("A parser needs a name before it can be saved.")
    if is_preset(name):
        raise UserError(f"{name} is a read-only preset; duplicate it to edit a copy under another name.")
    spec.name = name
    clean, secrets = _split_secrets(spec)
    data = clean.to_dict()
    author = author or activity.current_actor()
    with write_transaction():
        row = Parser.get_or_none(Parser.name == name)
        unchanged = row is not None and row.spec == data
        if row is not None and not unchanged:
            rowversion.check(row, expected_version, "parser")
        for secret, value in secrets.items():
            secret_store.put(_scope(name), secret, value)
        if unchanged:
            return get_summary(name)
        if row is None:
            row = Parser.create(name=name, preset=clean.preset, system=clean.system, spec=data, version=1,
                                updated_at=utcnow(), **rowversion.stamp(author))
            action = "created"
        else:
            row.version += 1
            row.spec, row.preset, row.system, row.updated_at = data, clean.preset, clean.system, utcnow()
            rowversion.save(row, "parser", expected_version, actor=author)
            action = "saved"
        ParserVersion.create(parser=row, version=row.version, spec=data, author=author, note=note)
    activity.record("parser", row.id, action, note=f"version {row.version}" + (f": {note}" if note else ""),
                    actor=author)
    events.publish(Topic.PARSER_CHANGED, name=name, version=row.version)
    return get_summary(name)


def restore_version(name: str, version: int, *, author: str | None = None) -> ParserSummary:
    """Make an old version current again, as a new version (history is never rewritten)."""
    for info in history(name):
        if info.version == version:
            return save_parser(info.spec, author=author, note=f"restored version {version}")
    raise UserError(f"Parser {name} has no version {version}; `xsc-desktop parsers show {name}` lists its versions.")


def duplicate(name: str, new_name: str | None = None, *, author: str | None = None) -> ParserSummary:
    """Copy a preset or saved parser under a new name (default "<name> copy", numbered when taken) and save it."""
    from parsers.spec import preset_label

    spec = get_parser(name)
    source_is_preset = is_preset(name) and Parser.get_or_none(Parser.name == name) is None
    target = (new_name or "").strip() or _free_name(f"{preset_label(name) if source_is_preset else name} copy")
    if Parser.get_or_none(Parser.name == target) is not None or is_preset(target):
        raise UserError(f"A parser called {target} already exists; choose another name.")
    spec.name = target
    if source_is_preset:
        spec.preset = name
    kept = {} if source_is_preset else parser_secrets(name)  # read first: a secret unreadable here changes nothing
    shown = f"the {preset_label(name)} preset" if source_is_preset else name
    summary = save_parser(spec, author=author, note=f"duplicated from {shown}")
    for secret, value in kept.items():
        set_parser_secret(target, secret, value)
    return summary


def delete_parser(name: str) -> None:
    """Remove a saved parser with its history and secrets; refused while integrations use it."""
    row = _require_saved(name)
    used = Integration.select().where(Integration.parser == row).count()
    if used:
        raise UserError(f"Parser {name} is used by {used} integration(s); wire them to another parser first.")
    with database.atomic():
        secret_store.forget(_scope(name))
        row.delete_instance(recursive=True)
    activity.record("parser", row.id, "deleted", note=name)
    events.publish(Topic.PARSER_CHANGED, name=name, version=None)


# ---- files --------------------------------------------------------------------------------------------------
def read_parser_file(path: str | Path) -> ParserSpec:
    """Read a parser JSON file into a spec; one UserError saying what is wrong when it cannot be read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise UserError(f"{path.name} is {size // 1024} KB, too big for a parser file; check it is the right file.")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"There is no file {path}; check the path.") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not a parser file.") from None
    except OSError as exc:
        raise UserError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{path.name} is not a text file in UTF-8; export the parser again as JSON.") from None
    try:
        return ParserSpec.from_json(text)
    except SpecError as exc:
        raise UserError(f"{path.name} is not a parser file: {exc}; nothing was imported.") from None


def import_parser(path: str | Path, *, author: str | None = None, name: str | None = None) -> ParserSummary:
    """Import a parser JSON file as a new parser, or as a new version of the parser of that name.

    A malformed file raises one UserError and saves nothing. `name` renames it on the way in.
    """
    spec = read_parser_file(path)
    if name:
        spec.name = name.strip()
    if is_preset(spec.name):
        raise UserError(f"{Path(path).name} holds the preset {spec.name}, which cannot be replaced; "
                        "import it under another name (--name).")
    return save_parser(spec, author=author, note=f"imported from {Path(path).name}")


def export_parser(name: str, *, with_secrets: bool = False) -> str:
    """The parser as JSON text; secret values are left out unless `with_secrets`."""
    spec = get_parser(name)
    if with_secrets:
        secrets = parser_secrets(name)
        for item in spec.static:
            if item.secret and not item.value and item.name in secrets:
                item.value = secrets[item.name]
        return spec.to_json(with_secrets=True) + "\n"
    return spec.to_json(with_secrets=False) + "\n"


# ---- helpers ------------------------------------------------------------------------------------------------
def _require_saved(name: str) -> Parser:
    row = Parser.get_or_none(Parser.name == name)
    if row is None:
        if is_preset(name):
            raise UserError(f"{name} is a read-only preset with no saved versions; duplicate it to edit.")
        raise UserError(f"There is no saved parser called {name!r}; `xsc-desktop parsers list` shows them.")
    return row


def _spec_of(data: Any, name: str) -> ParserSpec:
    try:
        return ParserSpec.from_dict(data)
    except SpecError as exc:  # only a hand-edited database gets here
        raise UserError(f"The saved parser {name} cannot be read ({exc}); restore an earlier version.") from None


def _split_secrets(spec: ParserSpec) -> tuple[ParserSpec, dict[str, str]]:
    """A copy of the spec with literal secret static values blanked, and those values by name."""
    clean = ParserSpec.from_dict(spec.to_dict())
    secrets: dict[str, str] = {}
    for item in clean.static:
        if item.secret and item.value and "{" not in item.value:
            secrets[item.name] = item.value
            item.value = ""
    return clean, secrets


def _free_name(base: str) -> str:
    taken = {name for (name,) in Parser.select(Parser.name).tuples()}
    if base not in taken and not is_preset(base):
        return base
    n = 2
    while f"{base} {n}" in taken:
        n += 1
    return f"{base} {n}"


def spec_from_text(text: str) -> ParserSpec:
    """A spec from JSON text (the editor's paste box), or UserError in one sentence."""
    try:
        return ParserSpec.from_json(text)
    except SpecError as exc:
        raise UserError(f"That is not a parser: {exc}.") from None

