"""Recogniser: the test switch (a parameter that marks a lead as a test)."""

from __future__ import annotations

import re

from parsers.fields import squash
from xsc_desktop.intake.recognise.records import _Doc
from xsc_desktop.intake.recognise.vocabulary import _TEST_NAME, _clean_value


def _find_test(doc: _Doc) -> dict | None:
    candidates: list[tuple[int, str, str]] = []
    text = doc.text
    for m in re.finditer(r"\b([A-Za-z_]*test[A-Za-z_]*|sandbox|dry_?run)[\"'`]?\s*(?:=|:)\s*[\"'`]?([A-Za-z0-9]+)", text, re.I):
        name, value = m.group(1), m.group(2)
        if not _TEST_NAME.match(name) or name.lower() in ("testing",):
            continue
        line = text[text.rfind("\n", 0, m.start()) + 1: text.find("\n", m.end()) if text.find("\n", m.end()) >= 0 else len(text)]
        if re.search(r"https?://", line) and "?" not in line and "&" not in line:
            continue
        if name.lower() in ("test", "testmode", "test_mode") and re.match(r"(?i)\s*test\s*(mode)?\s*:", line) and (
                not re.fullmatch(r"(?i)1|0|true|false|yes|no|y|n|on|off", value)):
            continue  # "Test: send a lead named Test" is prose, not a switch
        score = 3 if re.search(r"\btest", line[: m.start() - text.rfind("\n", 0, m.start())], re.I) else 2
        candidates.append((score, name, value))
    for m in re.finditer(r"\b(?:set|send|pass|add|include|use|with)\s+(?:the\s+)?(?:(?:custom\s+)?(?:field|parameter|param|flag|value|key)\s+)?"
                         r"[\"'`]?([A-Za-z_]*test\w*|dry_?run|sandbox\w*)[\"'`]?\s+"
                         r"(?:to|=|as|of|equal to|with (?:a |the )?value(?: of)?)\s+[\"'`]?([A-Za-z0-9]+)", text, re.I):
        if _TEST_NAME.match(m.group(1)):
            candidates.append((3, m.group(1), m.group(2)))
    for key, value, _ in doc.kv:
        if _TEST_NAME.match(key.replace(" ", "_")) and squash(key) not in ("test", "testing", "testmode") and re.fullmatch(
                r"[\"'`]?\w+[\"'`]?", value.strip()):
            candidates.append((2, key.strip(), _clean_value(value)))
    for name, f in doc.fields.items():
        if _TEST_NAME.match(name.rsplit(".", 1)[-1]):
            value = f.value or f.example
            if not value or value.lower() in ("0", "false", "no", "n"):
                value = _test_value_from_text(f.description) or _LIVE_TO_TEST.get(value.lower(), "1")
            candidates.append((1, name, value))
    for name, s in doc.statics.items():
        if _TEST_NAME.match(name):
            candidates.append((1, name, s.value if s.value not in ("", "0", "false") else "1"))
    if not candidates:
        for m in re.finditer(r"\b(?:test|sandbox)\s*(?:url|endpoint)\b[^\n]*?(https?://\S+)", text, re.I):
            doc.warnings.append(f"The doc gives a separate test URL ({m.group(1).rstrip('.,;')}); use it for the test post.")
            break
        return None
    candidates.sort(key=lambda c: -c[0])
    _, name, value = candidates[0]
    # A "0" is the live value; the doc's test value is the other one.
    if value.lower() in _LIVE_TO_TEST:
        value = _LIVE_TO_TEST[value.lower()]
    for key in list(doc.fields):
        if key.lower() == name.lower() or key.rsplit(".", 1)[-1].lower() == name.lower():
            name = key
            doc.fields.pop(key)
    for key in list(doc.statics):
        if key.lower() == name.lower():
            doc.statics.pop(key)
    return {"name": name, "value": value}


_LIVE_TO_TEST = {"0": "1", "false": "true", "no": "yes", "off": "on", "n": "Y"}


def _test_value_from_text(text: str) -> str:
    m = re.search(r"(?:set|use|send)\s+(?:it\s+)?(?:to\s+)?[\"'`]?(1|true|yes|y)\b", text or "", re.I)
    return m.group(1) if m else ""
