"""Recogniser: the endpoint's own query parameters and the request headers a doc asks for."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from parsers.fields import canonical_name, squash
from xsc_desktop.intake.recognise.meaning import _text_meaning
from xsc_desktop.intake.recognise.records import _Doc, _Field, _Static
from xsc_desktop.intake.recognise.tables import _add_field
from xsc_desktop.intake.recognise.vocabulary import (
    _HEADER_NAME,
    _URL_RE,
    _clean_value,
    _is_control_name,
    _is_placeholder,
    _norm,
    _urlsplit,
)


def _read_url_query(doc: _Doc, endpoint_raw: str, fmt: str) -> None:
    """Parameters written into the endpoint URL (`?apikey=...`) or into sample GET URLs."""
    if not endpoint_raw:
        return
    base = _norm(endpoint_raw)
    seen: set[str] = set()
    candidates = [endpoint_raw] + [m.group(0) for m in _URL_RE.finditer(doc.text)]
    # A template URL ("...&fname=[first]&lname=[last]") runs on past the brackets the URL pattern stops at.
    candidates += [m.group(0) for m in re.finditer(r"https?://[^\s\"'<>`]+\?(?:[^\s\"'<>`\[]|\[[^\]\n]{0,40}\])+",
                                                   doc.text)]
    candidates += [s.url for s in doc.samples if s.url]
    # A copy the URL pattern cut at a bracket ("…&CID=") gives way to the template it was cut from.
    candidates = [c if not (longer := [o for o in candidates if len(o) > len(c) and o.startswith(c)]) else longer[0]
                  for c in candidates]
    for raw in candidates:
        raw = raw.rstrip(".,;:)")
        if _norm(raw) != base or "?" not in raw or raw in seen:
            continue
        seen.add(raw)
        for name, value in parse_qsl(_urlsplit(raw).query, keep_blank_values=True):
            if name in doc.statics:
                continue
            existing = doc.fields.get(name)
            if existing is not None:
                if not existing.example and not _is_placeholder(value):
                    existing.example = value
                continue
            lead_like = canonical_name(name) is not None and not _is_control_name(name)
            # "CID=[caller phone]": a bracketed slot that names a lead field is filled from the lead.
            slot = re.fullmatch(r"[\[{<]{1,2}([^\]}>]{1,40})[\]}>]{1,2}", value)
            lead_like = lead_like or bool(slot and _text_meaning(slot.group(1).replace("_", " ")))
            if (not lead_like and value and fmt != "query") or (
                    _is_control_name(name) and not lead_like):
                doc.statics[name] = _Static(name, value, "query", "url")
            elif fmt == "query" or lead_like:
                _add_field(doc, _Field(name=name, example="" if _is_placeholder(value) else value, source="query",
                                       description=slot.group(1) if slot else ""))
            else:
                doc.statics[name] = _Static(name, value, "query", "url")


def _read_headers(doc: _Doc, request: dict | None) -> None:
    """Header credentials from curl samples, request descriptions and `X-Api-Key: ...` lines."""
    for s in doc.samples:
        for hk, hv in s.headers.items():
            if squash(hk) in ("contenttype", "accept", "contentlength", "host", "useragent", "connection"):
                continue
            doc.statics.setdefault(hk, _Static(hk, hv, "header", "sample"))
    text_low = doc.text.lower()
    # "Send the header X-Api-Key: abc" — a header written inside a sentence.
    for m in re.finditer(r"(?<![\w-])(X-[A-Za-z0-9-]+|Authorization)\s*(?::|(?<=[A-Za-z0-9])\s*=(?=\s))[*_]*\s*(Token\s+token=\"[^\"\s]{1,200}\"|(?:Bearer|Basic|Token)\s+[A-Za-z0-9][^\s\"'`]*|"
                         r"[A-Za-z0-9][^\s\"'`]*)",
                         doc.text, re.I):
        raw = m.group(2)
        name, value = m.group(1), raw if raw.endswith('"') and "=" in raw else _clean_value(raw).rstrip(".,;")
        if value.lower() in ("bearer", "basic", "token"):
            continue  # "Authorization: Bearer (token sent separately)": the token comes from elsewhere
        if value and not _is_placeholder(value) and not any(k.lower() == name.lower() for k in doc.statics):
            doc.statics[name] = _Static(name, value, "header", "line")
    for key, value, _line in doc.kv:
        k = key.strip()
        if not _HEADER_NAME.match(k.replace(" ", "-")) or squash(k) in ("token", "apikey") and not (
                f"{k.lower()} header" in text_low or "header" in (doc.lines[_line].lower() if _line >= 0 else "")
                or re.search(rf"\bheader\w*\b[^.\n]{{0,40}}\b{re.escape(k.lower())}\b", text_low)):
            continue
        if k in doc.statics or k.lower() in (s.lower() for s in doc.statics):
            continue
        v = _clean_value(value)
        if not v or squash(v) in ("header", "none"):
            continue
        if k.lower() == "authorization" and not re.match(r"(bearer|basic|token|apikey)\b", v, re.I) and " " in v:
            continue
        doc.statics[k] = _Static(k, v, "header", "line")
    # "Your token is vl_81c3 - send it as a Bearer token in the Authorization header."
    if not any(s.lower() == "authorization" for s in doc.statics) and re.search(r"\bbearer\b", doc.text, re.I):
        m = re.search(r"\b(?:access |api |auth |bearer )?(?:token|key)\s+(?:is|:|=)\s*[`'\"]?([A-Za-z0-9][\w.~+/=-]{5,})",
                      doc.text, re.I)
        if m and not _is_placeholder(m.group(1)):
            doc.statics["Authorization"] = _Static("Authorization", "Bearer " + m.group(1).rstrip("."), "header", "prose")
    # A header named in prose ("the key goes in the X-Api-Key header") with its value on a labelled line.
    for m in re.finditer(r"\b((?:x-[\w-]+)|authorization)\b\s+header", doc.text, re.I):
        name = m.group(1)
        if any(s.lower() == name.lower() for s in doc.statics):
            continue
        for key, value, _ in doc.kv:
            if squash(key) in ("apikey", "key", "token", "accesstoken", "apitoken", "authtoken") and not _is_placeholder(value):
                val = _clean_value(value)
                if name.lower() == "authorization" and not val.lower().startswith(("bearer", "basic")):
                    val = "Bearer " + val
                doc.statics[name] = _Static(name, val, "header", "prose")
                break
