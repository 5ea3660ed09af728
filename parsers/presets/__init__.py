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
    "salesforce_w2l", "hubspot_forms", "boberdoo", "five9_web2campaign", "leadconduit", "leadbyte", "lawmatics",
    "smartadvocate",
    "generic_json", "generic_form", "generic_xml", "generic_query",
)
# Other names a posting doc (or an operator) uses for a system that has a preset: Lead Docket is sold as
# Filevine's intake product; Web-to-Lead is Salesforce's.
SYSTEM_ALIASES = {
    "filevine": "lead_docket", "filevine_intake": "lead_docket", "leaddocket": "lead_docket",
    "salesforce": "salesforce_w2l", "web_to_lead": "salesforce_w2l", "hubspot": "hubspot_forms",
    "five9": "five9_web2campaign", "web2campaign": "five9_web2campaign", "activeprospect": "leadconduit",
    "smart_advocate": "smartadvocate", "salesforce_web_to_lead": "salesforce_w2l", "hubspot_form": "hubspot_forms",
    "five9_w2c": "five9_web2campaign", "lead_conduit": "leadconduit", "lead_byte": "leadbyte",
    "law_matics": "lawmatics",
}
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
    system = SYSTEM_ALIASES.get(system, system)
    if system in _raw_presets() and not system.startswith("generic"):
        return preset(system)
    return preset(GENERIC_BY_FORMAT.get(body_format, "generic_json"))


# How a posting doc shows it is written for one of the market systems with a preset, for system detection:
# `hosts` — a regex searched in an endpoint's host and path (lower case); `mentions` — a regex searched in the
# doc's text (case-insensitive); `names` — parameter or field names only that system uses (case-insensitive,
# exact). One sign is a hint; a host, or a mention plus a name, is a strong one.
SYSTEM_SIGNS: dict[str, dict[str, Any]] = {
    "salesforce_w2l": {
        "hosts": r"webto\.salesforce\.com|salesforce\.com/servlet/servlet\.webtolead|servlet\.webtolead",
        "mentions": r"\bweb[- ]?to[- ]?lead\b|\bsalesforce\b",
        "names": ["oid", "retURL", "debugEmail", "lead_source", "00N"],  # "00N": custom-field ids start so
    },
    "hubspot_forms": {
        "hosts": r"api\.hsforms\.com|forms\.hubspot\.com|/submissions/v3/integration/",
        "mentions": r"\bhub ?spot\b",
        "names": ["portalId", "formGuid", "hutk", "objectTypeId", "legalConsentOptions"],
    },
    "boberdoo": {
        "hosts": r"/new_api/api\.php|boberdoo",
        "mentions": r"\bboberdoo\b|\bpingPostLead\b",
        "names": ["API_Action", "TYPE", "SRC", "Test_Lead", "Mode", "Lead_ID", "Return_Best_Price"],
    },
    "five9_web2campaign": {
        "hosts": r"api\.five9\.com/web2campaign|/web2campaign/",
        "mentions": r"\bfive9\b|\bweb2campaign\b",
        "names": ["F9domain", "F9list", "F9key", "F9retResults", "F9retURL", "F9CallASAP", "F9updateCRM", "number1"],
    },
    "leadconduit": {
        "hosts": r"app\.leadconduit\.com|leadconduit\.com/flows/",
        "mentions": r"\blead ?conduit\b|\bactive ?prospect\b",
        "names": ["phone_1", "postal_code", "address_1", "leadid_token"],
    },
    "leadbyte": {
        "hosts": r"leadbyte\.(?:co\.uk|com)",
        "mentions": r"\blead ?byte\b",
        "names": ["campid", "sid", "returnjson", "towncity", "phone1", "X_KEY"],
    },
    "lawmatics": {
        "hosts": r"api\.lawmatics\.com|lawmatics\.com",
        "mentions": r"\blawmatics\b",
        "names": [],
    },
    "smartadvocate": {
        "hosts": r"smartadvocate",
        "mentions": r"\bsmart ?advocate\b",
        "names": ["first name", "last name", "CaseType", "Referral Lawfirm", "paid advertisement", "Intake Date"],
    },
    "lead_docket": {  # Filevine's intake product is Lead Docket: the same preset
        "hosts": r"leaddocket\.com",
        "mentions": r"\bfilevine intake\b|\blead ?docket\b",
        "names": [],
    },
}
