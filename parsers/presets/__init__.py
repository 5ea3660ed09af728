"""The bundled parser presets: one JSON spec per known intake system and generic format.

    load_presets()      → {name: ParserSpec} for every preset, fresh copies
    preset("captorra")  → ParserSpec (a fresh copy the caller may change), KeyError when unknown
    preset_for_system("clio_grow") → the preset of a detected intake system (generic_json for "generic")

Presets are read-only templates: the parser store duplicates one to edit it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from parsers.spec import ParserSpec

PRESET_DIR = Path(__file__).resolve().parent
PRESET_NAMES: tuple[str, ...] = (
    "captorra", "lead_docket", "law_ruler", "litify", "clio_grow", "leadspedia", "ice", "intakedesk",
    "generic_json", "generic_form", "generic_xml", "generic_query",
)
# The preset a detected intake system starts from, per body format for custom ("generic") systems.
GENERIC_BY_FORMAT = {"json": "generic_json", "form": "generic_form", "xml": "generic_xml", "query": "generic_query"}


@lru_cache(maxsize=1)
def _raw_presets() -> dict[str, dict[str, Any]]:
    raw: dict[str, dict[str, Any]] = {}
    for name in PRESET_NAMES:
        raw[name] = json.loads((PRESET_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return raw


def load_presets() -> dict[str, ParserSpec]:
    """Every bundled preset by name, in the order operators see them; fresh copies each call."""
    return {name: ParserSpec.from_dict(data) for name, data in _raw_presets().items()}


def preset(name: str) -> ParserSpec:
    """A fresh copy of the preset called `name`; KeyError naming the known presets when unknown."""
    data = _raw_presets().get(name)
    if data is None:
        raise KeyError(f"no preset called '{name}'; known presets: {', '.join(PRESET_NAMES)}")
    return ParserSpec.from_dict(data)


def is_preset(name: str) -> bool:
    """True when `name` is a bundled preset's name."""
    return name in _raw_presets()


def preset_for_system(system: str, body_format: str = "json") -> ParserSpec:
    """The preset to start from for a detected intake system (posting-doc intake); custom systems get the
    generic preset of their body format."""
    if system in _raw_presets() and not system.startswith("generic"):
        return preset(system)
    return preset(GENERIC_BY_FORMAT.get(body_format, "generic_json"))
