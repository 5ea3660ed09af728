"""Recogniser: fixed values (static lines, "must always be X"), and the split of fields from statics."""

from __future__ import annotations

import re

from parsers.fields import canonical_name, squash
from xsc_desktop.intake.recognise.records import _Doc, _Field, _Static
from xsc_desktop.intake.recognise.vocabulary import (
    _HEADER_NAME,
    _LEAD_HINT,
    _META_KEYS,
    _META_RE,
    _ROLE_INDEX,
    _TEST_NAME,
    _clean_value,
    _is_control_name,
    _is_identifier,
    _is_placeholder,
    _lead_meaning,
    _tokens,
)


def _read_static_lines(doc: _Doc) -> None:
    """`CaptorraId: 310775` style lines: a setting name and the literal value the doc fixes."""
    field_low = {k.lower(): k for k in doc.fields}
    for key, value, line_no in doc.kv:
        k = key.strip()
        named = re.fullmatch(r".+?\s*\(\s*([A-Za-z_][\w.-]*)\s*\)", k)
        noted = re.fullmatch(r"([A-Za-z_][\w.-]*)\s*\([^)]*\s[^)]*\)", k)
        header = re.fullmatch(r".+?\(\s*(?:in (?:the |a )?|as (?:the |a )?)?header:?\s+([A-Za-z][\w-]*)\s*\)", k, re.I)
        if header:
            k = header.group(1)  # "Partner key (header x-partner-key)" names the header that carries it
            v = _clean_value(value)
            if v and not _is_placeholder(v) and " " not in v and k not in doc.statics:
                doc.statics[k] = _Static(k, v, "header", "line")
            continue
        if named:
            k = named.group(1)  # "API key (apikey): abc" names the parameter in brackets
        elif noted:
            k = noted.group(1)  # "ApiKey (send in body): abc" — the bracket is a note
        if not _is_identifier(k) or squash(k) in _META_KEYS or _META_RE.match(k) or _TEST_NAME.match(k):
            if not (k.lower() in field_low and squash(k) not in ("url", "method", "format")):
                continue
        if any(s.lower() == k.lower() for s in doc.statics):
            continue
        v = _clean_value(value)
        v = re.sub(r"\s+\((?:[^)]*)\)$", "", v).strip()
        if not v or len(v) > 200 or "://" in v and not _is_control_name(k) or squash(v) in _ROLE_INDEX:
            continue
        single = re.fullmatch(r"\S+", v) is not None
        if not single or _is_placeholder(v) and not _is_control_name(k):
            continue
        if v.lower() in ("yes", "no", "y", "n", "required", "optional", "string", "text", "int", "integer",
                         "number", "date", "boolean", "bool"):
            continue  # a field definition line ("first_name: required"), not a value
        maps = canonical_name(k)
        existing = doc.fields.get(field_low.get(k.lower(), ""))
        if existing is not None:
            if line_no >= 0 and (existing.value == v or existing.static_hint or _is_control_name(k)) and (
                    not existing.example or existing.example == v or _is_placeholder(existing.example)):
                existing.value = existing.value or v
                existing.static_hint = True
            continue
        if maps is not None and maps not in ("source", "sub_id", "case_type") and not _is_control_name(k):
            continue
        location = "header" if _HEADER_NAME.match(k) and k.lower().startswith("x-") else "body"
        doc.statics[k] = _Static(k, v, location, "line")


_PROSE_STATIC = (
    # "send our affiliate id AFF-3093 as aff_id"
    re.compile(r"\b(?:send|pass|include|add|post)\b[^.\n]{0,60}?[\s:]([\"'`]?)([A-Za-z0-9][\w.-]*\d[\w.-]*|(?-i:[A-Z][A-Z0-9_-]{2,}))\1"
               r"\s+(?:as|in)\s+(?:the\s+)?[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?", re.I),
)


_PROSE_VALUE_AS = re.compile(
    # "Our API key is KSL-77f1e2 (send it as api_key)"
    r"\b(?:is|:)\s+[`'\"]?([A-Za-z0-9][\w.-]*\d[\w.-]*|(?-i:[A-Z][A-Z0-9_-]{2,}))[`'\"]?[\s,;(—–-]*"
    r"(?:send|pass|post|use)(?:\s+(?:it|this|that))?\s+(?:as|in)\s+(?:the\s+)?[`'\"]?([A-Za-z_][\w.-]*)", re.I)


_PROSE_NAMED = (
    # "`partner_code` is fixed: always XSC01", "source must always be XSC"
    re.compile(r"(?<![\w.-])[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?\s+(?:is|are|must be|should be)\s+(?:fixed|static|constant|always)"
               r"[^.\n]{0,20}?(?:\b(?:always|value|to)\s+|:\s*(?:always\s+)?)[`'\"]?([\w.-]+)[`'\"]?", re.I),
    # "Source is always XSC", "campaign_id must always be 4471", "Operation is fixed to CreateLead"
    re.compile(r"(?<![\w.-])[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?\s+(?:is|are|must|should)\s+(?:always\s+(?:be\s+)?|be\s+always\s+|"
               r"fixed\s+(?:to|at|as)\s+|set\s+to\s+)[`'\"]?([\w.@-]*[\w@])[`'\"]?(?=[\s,;).]|$)", 0),
    # "Always send VendorId = 455", "Include aff_id=A79 with each lead"
    re.compile(r"\b(?i:set|pass|send|include|add|use)\s+[`'\"]?([A-Za-z_][\w.-]*)[`'\"]?\s*=\s*"
               r"[`'\"]?([\w.@:/-]+)[`'\"]?(?=[\s,;)]|\.?$|\.\s)(?![^.\n]*\btest)", 0),
    # "Set source_id to 41", "Set Referrer to 1a2b-..." (a name that is not a plain lower-case word)
    re.compile(r"\b(?i:set|pass|send|use)\s+[`'\"]?([A-Za-z]+_[\w.-]*|_[\w.-]+|[a-z]+[A-Z][\w.-]*|"
               r"[A-Z][A-Za-z0-9]*|[a-z]+)[`'\"]?\s+(?i:to|as)\s+"
               r"[`'\"]?([\w.@:/-]+)[`'\"]?(?=[\s,;]|\.?$|\.\s)(?![^.\n]*\btest)", 0),
)


def _read_prose_statics(doc: _Doc, test: dict | None) -> None:
    """Fixed values stated in sentences rather than in tables."""
    found: list[tuple[str, str]] = []
    for pattern in _PROSE_STATIC:
        found += [(m.group(3), m.group(2)) for m in pattern.finditer(doc.text)]
    assigned: set[str] = set()
    for k, pattern in enumerate(_PROSE_NAMED):
        for m in pattern.finditer(doc.text):
            found.append((m.group(1), m.group(2)))
            if k == 2:
                assigned.add(m.group(1))  # "send source=XSC": written as a parameter, so it is one
    # Names with spaces ("*Lead Source* must always be `XSC`") are read only where the doc lists such a field.
    plain = doc.text.replace("*", "")
    found += [(m.group(2), m.group(1)) for m in _PROSE_VALUE_AS.finditer(plain)]  # "**Token:** `abc` — send as token"
    for name in doc.fields:
        if _is_identifier(name):
            continue
        m = re.search(rf"(?<![\w]){re.escape(name)}[`'\"”]?\s+(?:is|must|should)\s+(?:always\s+(?:be\s+)?|"
                      rf"be\s+always\s+|fixed\s+(?:to|at|as)\s+|set\s+to\s+)[`'\"“]?([\w.@-]*[\w@])", plain)
        if m:
            found.append((name, m.group(1)))
    # "Keep CaptorraId and Referrer as given", "keep inbox_lead_token and from_source exactly as shown".
    short = {k.rsplit(".", 1)[-1].lower(): k for k in doc.fields}
    short.update({k.lower(): k for k in doc.fields})
    kept = [m.group(1) for m in re.finditer(r"\b(?:keep|leave|send|pass)\s+([^.\n]{1,120}?)\s+(?:exactly\s+)?(?:as\s+"
                                           r"(?:shown|given|is|provided|written|listed)|unchanged|verbatim)\b", doc.text, re.I)]
    # "Key, Operation, ReturnJSON and LeadProvider never change."
    kept += [m.group(1) for m in re.finditer(r"(?:^|(?<=[.!?:]\s)|\n)\s*([^.\n]{1,120}?)\s+(?:never change|do not change|"
                                             r"don't change|are fixed|is fixed|stay the same|are constant|are static|are yours|is yours)\b",
                                             doc.text, re.I)]
    for chunk in kept:
        for token in re.split(r",|\band\b|&", chunk):
            f = doc.fields.get(short.get(token.strip(" `'\"*").lower(), ""))
            if f is not None and not _is_placeholder(f.value or f.example):
                f.value = f.value or f.example
                f.static_hint = True
    for name, value in found:
        value = value.rstrip(".")
        name = name.rstrip(".")  # "send it as inbox_lead_token." ends a sentence
        if value.lower() == "test":
            continue  # "put TEST in Last Name" marks a test lead; it fixes no value
        if re.fullmatch(r"[a-z]+", name) and not _is_control_name(name) and name not in doc.fields and (
                name not in assigned):
            continue  # "send leads to ..." — a plain word is a setting only when it names one
        if _TEST_NAME.match(name) or (test and name.lower() == test["name"].lower()):
            continue
        if squash(name) in _META_KEYS or value.lower() in ("true", "false", "required", "optional", "the", "a"):
            continue
        if squash(name) in ("json", "xml", "form", "csv", "text", "query", "get", "post", "html"):
            continue  # "send leads to our API as JSON" names a format, not a setting
        existing = doc.fields.get(name)
        if existing is not None:
            if not existing.value:
                existing.value = value
            existing.static_hint = True
        elif name not in doc.statics:
            doc.statics[name] = _Static(name, value, "body", "prose")


def _split_fields_and_statics(doc: _Doc, test: dict | None, fmt: str) -> tuple[list[_Field], list[_Static]]:
    fields: list[_Field] = []
    statics = dict(doc.statics)
    for f in sorted(doc.fields.values(), key=lambda x: x.order):
        if test and f.name == test["name"]:
            continue
        fixed = f.value or (f.example if not _is_placeholder(f.example) else "")
        maps = _lead_meaning(f.name)
        lead_text = bool(_LEAD_HINT.search(f.description))
        is_static = False
        if f.static_hint and not lead_text and (maps is None or f.value or _is_control_name(f.name)):
            is_static = True
        elif f.value and maps is None:
            is_static = True
        elif _is_control_name(f.name) and maps is None and not lead_text:
            is_static = bool(fixed) or f.source in ("table", "list")
        if is_static:
            value = f.value or fixed
            if f.name not in statics:
                statics[f.name] = _Static(f.name, value, "body", f.source)
            continue
        fields.append(f)
    names = {f.name.lower() for f in fields}
    out_static = []
    for s in statics.values():
        if s.name.lower() in names:
            continue
        if test and s.name.lower() == test["name"].lower():
            continue
        if fmt == "query" and s.location == "body":
            s.location = "query"
        out_static.append(s)
    return fields, out_static


def _fill_placeholders(doc: _Doc, statics: list[_Static]) -> None:
    """`?apikey=YOUR_KEY` with `API key: 9f8e...` elsewhere in the doc: use the real value."""
    for s in statics:
        scheme = re.fullmatch(r"(Bearer|Basic|Token)\s+(\S+)", s.value)
        if scheme and _is_placeholder(scheme.group(2)):
            for key, value, _ in doc.kv:
                v = _clean_value(value)
                if squash(key).endswith(("token", "apikey", "accesstoken", "key")) and not _is_placeholder(v) and " " not in v:
                    s.value = f"{scheme.group(1)} {v}"  # "-H 'Authorization: Bearer $TOKEN'" + "Your API token: abc"
                    break
            continue
        if not _is_placeholder(s.value):
            continue
        words = r"[\s_-]?".join(re.escape(t) for t in _tokens(s.name))
        told = re.search(rf"\b{words}\s+(?:is|=|:)\s+[`'\"]?([A-Za-z0-9][\w.~+/=-]*[A-Za-z0-9])", doc.text, re.I) if words else None
        if told and not _is_placeholder(told.group(1)):
            s.value = told.group(1)  # "your campaign ID is 4471" for campaign_id
            continue
        said = re.search(rf"\breplace\s+[`'\"]?{re.escape(s.value)}[`'\"]?\s+with\s*:?\s*[`'\"]?([A-Za-z0-9][^\s`'\"]*)",
                         doc.text, re.I)
        if said and not _is_placeholder(said.group(1)):
            s.value = said.group(1).rstrip(".,;")
            continue
        want = squash(s.name)
        for key, value, _ in doc.kv:
            v = _clean_value(value)
            if _is_placeholder(v) or " " in v:
                continue
            k = squash(key)
            if k == want or (k.endswith(want) or want.endswith(k)) and len(k) >= 3:
                s.value = v
                break
