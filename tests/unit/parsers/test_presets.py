"""The bundled presets: every known system present, loadable, and fresh copies each time."""

from __future__ import annotations

import pytest

from parsers.presets import PRESET_NAMES, is_preset, load_presets, preset, preset_for_system
from parsers.spec import SYSTEMS


def test_every_system_has_a_preset_and_declares_it():
    presets = load_presets()
    assert list(presets) == list(PRESET_NAMES)
    assert {spec.system for spec in presets.values()} == set(SYSTEMS)
    for name, spec in presets.items():
        assert spec.name == name and spec.preset == name
        assert spec.description and spec.mappings


def test_preset_returns_a_fresh_copy():
    first = preset("captorra")
    first.mappings.clear()
    assert preset("captorra").mappings


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(KeyError, match="known presets: captorra"):
        preset("salesforce")
    assert is_preset("ice") and not is_preset("salesforce")


@pytest.mark.parametrize("system, fmt, expected", [
    ("captorra", "json", "captorra"), ("clio_grow", "form", "clio_grow"), ("generic", "form", "generic_form"),
    ("generic", "xml", "generic_xml"), ("generic", "query", "generic_query"), ("unknown", "json", "generic_json"),
])
def test_preset_for_a_detected_system(system, fmt, expected):
    assert preset_for_system(system, fmt).name == expected


def test_captorra_carries_the_public_field_names():
    targets = [m.target for m in preset("captorra").mappings]
    assert targets[:2] == ["First", "Last"]
    assert {"Primary", "Email", "State", "Zip", "Details"} <= set(targets)
    assert [s.name for s in preset("captorra").static] == ["CaptorraId", "Referrer"]
