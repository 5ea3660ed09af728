"""Recogniser: which lead field each posted field carries (`maps_to`) and its type."""

from __future__ import annotations

import re
from dataclasses import replace

from parsers.fields import FIELDS_BY_NAME, SYNONYMS, canonical_name, squash
from xsc_desktop.intake.recognise.records import _Field
from xsc_desktop.intake.recognise.vocabulary import (
    _PLACEHOLDER_RE,
    _distinctive_meaning,
    _has_control_parent,
    _is_control_name,
    _tokens,
)

# Short forms the synonym list leaves out, by squashed name.
_ALIASES = {"addr": "address", "addr1": "address", "streetaddr": "address", "postal": "zip", "zipcd": "zip",
            "attorneyretained": "has_attorney", "retainedattorney": "has_attorney", "haslawyer": "has_attorney",
            "hasrepresentation": "has_attorney", "lawyer": "has_attorney", "represented": "has_attorney", "publishersubid": "sub_id",
            "consentlanguage": "tcpa_text", "consenttext": "tcpa_text",
            "tcpadisclosure": "tcpa_text", "consentgiven": "tcpa_consent", "optedin": "tcpa_consent",
            "cellphonenumber": "phone", "mobilenumber": "phone", "cellnumber": "phone", "phoneno": "phone",
            "emailaddr": "email", "ipaddr": "ip_address", "dateofloss": "incident_date", "lossdate": "incident_date"}


_VAGUE_WORDS = {"name", "type", "id", "date", "case", "ref", "reference", "source", "url", "st", "ua", "s1", "mail",
                "note", "created", "received", "submitted", "browser", "website", "vendor", "fault", "consent",
                "datetime", "timestamp", "primary", "secondary", "cell", "tel", "region", "province", "street",
                "town", "attorney", "injury", "tort", "optin", "disclosure", "represented", "comment", "message"}


_SAFE_WORDS = {"email": "email", "e-mail": "email", "zip": "zip", "zipcode": "zip", "postal": "zip",
               "city": "city", "county": "county", "dob": "date_of_birth", "birth": "date_of_birth",
               "trustedform": "trustedform_cert_url", "jornaya": "jornaya_leadid", "tcpa": "tcpa_consent"}


_PHRASES = sorted(
    ((syn, f.name) for f in FIELDS_BY_NAME.values() for syn in (f.label.lower(), *f.synonyms) if " " in syn),
    key=lambda p: -len(p[0]))


_STATES = set("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH "
              "OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC".split())


def _maps_to(f: _Field) -> str | None:
    """The canonical lead field of a posted field; a name with "date" in it only ever maps to a date."""
    if re.match(r"^q\d+_[A-Za-z]", f.name):  # Jotform names each question "q8_caseType"
        f = replace(f, name=f.name.split("_", 1)[1])
    hit = _name_meaning(f)
    toks = _tokens(f.name.rsplit(".", 1)[-1])
    if hit and ("date" in toks or "dt" in toks) and FIELDS_BY_NAME[hit].kind not in ("date", "datetime"):
        # "_Date_Injured": the date of the injury, not the yes/no "injured".
        for text in (f.label, f.description):
            alt = _text_meaning(text or "")
            if alt and FIELDS_BY_NAME[alt].kind in ("date", "datetime"):
                return alt
        if set(toks) & {"injured", "injury", "accident", "incident", "loss", "crash", "hurt"}:
            return "incident_date"
        return None
    return hit


def _name_meaning(f: _Field) -> str | None:
    name = re.sub(r"\[([A-Za-z_]\w*)\]", r".\1", f.name)  # "inbox_lead[from_first]" reads as a dotted path
    if _has_control_parent(name):
        return None
    parts = name.split(".")
    if len(parts) > 1 and squash(parts[-1]) in _VAGUE_WORDS:
        # "Incident.Date", "matter.type": a vague last word takes its meaning from the object it sits in.
        hit = SYNONYMS.get(squash(parts[-2] + parts[-1]))
        if hit:
            return hit
    hit = canonical_name(name)
    if hit:
        return hit
    if f.label:
        hit = canonical_name(f.label.strip(" ?:*"))
        if hit:
            return hit
    hit = _distinctive_meaning(name)
    if hit:
        return hit
    last = name.rsplit(".", 1)[-1]
    toks = _tokens(last)
    hit = _ALIASES.get("".join(toks))
    if hit:
        return hit
    while len(toks) > 1 and toks[-1] in ("flag", "yn", "ind", "indicator", "value", "answer", "text", "field",
                                         "str", "txt", "bool", "dt", "num", "nbr", "no", "name", "abbr", "abbrev",
                                         "abbreviation", "mmddyyyy", "yyyymmdd", "mdy", "ymd", "iso", "utc"):
        if toks[-1] in ("dt",):
            toks[-1] = "date"
            break
        toks = toks[:-1]
    hit = SYNONYMS.get("".join(toks))
    if hit:
        return hit
    if len(toks) == 2:
        hit = SYNONYMS.get(toks[1] + toks[0])  # "phone_home" is a "home phone"
        if hit:
            return hit
    if len(toks) == 2 and toks[1] == "type" and toks[0] in ("case", "incident", "injury", "accident", "claim", "matter",
                                                            "tort", "lead", "practice", "loss", "lawsuit", "legal"):
        return "case_type"
    if toks and toks[-1] in ("id", "key", "code", "guid", "token", "uuid", "type") and len(toks) > 1:
        joined = " ".join(toks)
        if joined in SYNONYMS or squash(joined) in SYNONYMS:
            return SYNONYMS[squash(joined)]
        return None if toks[-1] != "type" else None
    # Drop leading qualifiers: "claimant_first_name" → "first name", "ContactEmail" → "email",
    # "was_injured" → "injured"; a lone vague word ("name", "type", "date", "id") is not enough.
    for k in range(1, len(toks)):
        tail = toks[k:]
        hit = SYNONYMS.get("".join(tail))
        if hit and (len(tail) > 1 or tail[0] not in _VAGUE_WORDS):
            return hit
        if hit and k == 1 and len(toks[0]) <= 2 and re.fullmatch(r"s\d|sub\d?", tail[0]):
            return hit  # "lp_s1", "c_sub2": a platform prefix before a sub id
    # Then the label and the description: for opaque names ("Q1", "field_12", "ph") they are the only hint.
    if not _is_control_name(name):
        for text in (f.label, f.description):
            hit = _text_meaning(text or "")
            if hit:
                return hit
    desc = (f.description or "").lower()
    if desc and not _is_control_name(name):
        for word in re.findall(r"[a-z-]+", desc)[:6]:
            if word in _SAFE_WORDS:
                return _SAFE_WORDS[word]
    ex = (f.example or "").strip()
    if ex and not _is_control_name(name):
        return _example_meaning(ex)
    return None


def _example_meaning(ex: str) -> str | None:
    """What an example value alone says a field is: an e-mail, an IP address, a TrustedForm URL, a phone."""
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", ex, re.I):
        return "email"
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", ex):
        return "ip_address"
    if "trustedform.com" in ex:
        return "trustedform_cert_url"
    if re.fullmatch(r"\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}", ex):
        return "phone"
    return None


# Words of a label or description that add nothing to its meaning ("The client's first name", "Your sub ID").
_FILLER = re.compile(r"\b(?:the|a|an|your|our|their|his|her|its|this|lead'?s|client'?s|consumer'?s|customer'?s|"
                     r"claimant'?s|person'?s|caller'?s|prospect'?s|visitor'?s|user'?s|applicant'?s|"
                     r"short|brief|briefly|full|detailed|optional|required|mandatory)\b", re.I)


# How intake forms ask for a lead field when the posted name says nothing ("Q3: Is an attorney representing
# you?"), checked after the label or description's own words.
_QUESTION_WORDS = (
    (re.compile(r"\b(?:describe|description|what happened|tell us|explain|summary|narrative)\b"), "description"),
    (re.compile(r"\b(?:attorney|lawyer|legal representation|represent(?:ed|ing|s)?)\b"), "has_attorney"),
    (re.compile(r"\bat[- ]fault\b|\bfault\b"), "at_fault"),
    (re.compile(r"\btrusted ?form\b"), "trustedform_cert_url"),
    (re.compile(r"\b(?:jornaya|lead ?id token|universal lead ?id)\b"), "jornaya_leadid"),
    (re.compile(r"\btcpa\b|\bconsent\w*\b|\bagree\w*\b.*\bcontact\w*|\bopt(?:ed)?[- ]?in\b"), "tcpa_consent"),
    (re.compile(r"\b(?:date|when)\b.*\b(?:accident|incident|injur\w*|loss|crash|collision|bite|fall|happen\w*|"
                r"occur\w*)\b"),
     "incident_date"),
    (re.compile(r"\b(?:type|kind|category)\s+of\s+(?:case|claim|injury|accident|matter|incident|lawsuit)\b|"
                r"\bpractice area\b"), "case_type"),
    (re.compile(r"\b(?:were|was|are|is|did)\s+(?:you|anyone|someone|they)\s+(?:\w+\s+)?(?:injured|hurt)\b"),
     "injured"),
)


def _text_meaning(text: str) -> str | None:
    """The lead field a label or description names: "Date of accident", "Type of claim", "Phone, digits only"."""
    t = re.sub(r"\((?:required|optional|req\.?|opt\.?)\)|\*", " ", text.lower())
    t = re.sub(r"[’`]", "'", t)
    t = _FILLER.sub(" ", t)
    t = re.sub(r"\s+", " ", t).strip(" ?:.,;-")
    if not t or _PLACEHOLDER_RE.match(t):
        return None
    words = re.findall(r"[a-z0-9][a-z0-9'-]*", t)
    if not words:
        return None

    def known(phrase: str) -> str | None:
        hit = SYNONYMS.get(squash(phrase))
        if hit and (" " in phrase.strip() or phrase.strip() not in _VAGUE_WORDS):
            return hit
        return None

    # The whole label, then "type of case" read as "case type", then its first words ("Phone, digits only").
    head = re.split(r"[,;:(/?]|\s[-–]\s|\.\s", t, maxsplit=1)[0].strip()
    for candidate in (head, t):
        hit = known(candidate)
        if hit:
            return hit
        of = re.fullmatch(r"([a-z ]+?) of ([a-z ]+)", candidate)
        if of:
            hit = known(f"{of.group(2)} {of.group(1)}")
            if hit:
                return hit
    for n in (3, 2, 1):
        if len(words) >= n:
            hit = known(" ".join(words[:n]))
            if hit:
                return hit
    for pattern, target in _QUESTION_WORDS:
        if pattern.search(t):
            return target
    # A lead field's multi-word name anywhere in the text; the earliest one is what the text is about.
    found = [(m.start(), -len(phrase), target) for phrase, target in _PHRASES
             for m in [re.search(rf"\b{re.escape(phrase)}\b", t)] if m]
    if found:
        return min(found)[2]
    return None


def _second_phone(fields: list[_Field], meanings: list[str | None]) -> None:
    """Two phone fields ("CellPhone" and "HomePhone"): the required or first one is the phone, the other the second."""
    phones = [i for i, m in enumerate(meanings) if m == "phone"]
    if len(phones) != 2 or "phone_alt" in meanings:
        return
    first, other = phones
    if fields[other].required and not fields[first].required:
        first, other = other, first
    meanings[other] = "phone_alt"


def _norm_type(declared: str, example: str, maps_to: str | None) -> str:
    d = (declared or "").lower()
    if re.search(r"bool|yes/no|y/n|true/false|checkbox", d):
        return "boolean"
    if re.search(r"date ?time|timestamp|datetime", d):
        return "datetime"
    if re.search(r"\bdate\b|mm/dd|yyyy", d):
        return "date"
    if re.search(r"int|number|numeric|decimal|float|digits|double|long", d):
        return "number"
    if re.search(r"email", d):
        return "email"
    if re.search(r"phone|tel", d):
        return "phone"
    if re.search(r"enum|list|select|picklist|dropdown|radio|option", d):
        return "choice"
    if maps_to:
        kind = FIELDS_BY_NAME[maps_to].kind
        return {"text": "string", "yesno": "boolean"}.get(kind, kind)
    return "string"
