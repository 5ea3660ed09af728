"""Recogniser: descriptions and required flags said in sentences ("first name and phone are required")."""

from __future__ import annotations

import re

from parsers.fields import canonical_name, squash
from xsc_desktop.intake.recognise.field_lists import _FIELD_SPEC_LINE, _list_item
from xsc_desktop.intake.recognise.records import _Doc
from xsc_desktop.intake.recognise.tables import _example_from_text
from xsc_desktop.intake.recognise.vocabulary import _lead_meaning


def _read_prose_descriptions(doc: _Doc) -> None:
    """A line that says what a listed field holds: "_When_did_it_happen is the date of the incident"."""
    for line in doc.lines:
        m = re.match(r"^\s*[`'\"]?([A-Za-z_][\w.\-\[\]]*)[`'\"]?\s+(?:is|holds|contains|carries|means)\s+(.{3,160})$",
                     line)
        for sentence in re.split(r"(?<=\.)\s+", line) if not m else []:
            # "inj: type of injury. acc_date: date of the accident, MM/DD/YYYY." — several on one line
            said = re.match(r"^[`'\"]?([A-Za-z_][\w.\-\[\]]*)[`'\"]?\s*:\s+(.{3,160}?)\.?$", sentence)
            f = doc.fields.get(said.group(1)) if said else None
            if f is not None and not f.description and not re.search(r"\d{3}|@|://", said.group(2)):
                f.description = said.group(2).strip()
        if not m:
            continue
        f = doc.fields.get(m.group(1))
        if f is not None and not f.description:
            f.description = m.group(2).strip()
            if not f.example:
                f.example = _example_from_text(f.description)


def _required_in_sentences(doc: _Doc) -> set[str]:
    """Fields a sentence saying "required" (and not "optional") spells out by their posted names."""
    required: set[str] = set()
    table_lines = set()
    for a, b in doc.table_spans:
        table_lines.update(range(a, b))
    exact = {k.rsplit(".", 1)[-1]: k for k in doc.fields}
    for i, line in enumerate(doc.lines):
        if i in table_lines or " | " in line or line.lstrip().startswith(("|", "{", "<", "curl")) or '":' in line:
            continue  # table rows and code are read elsewhere
        item = _list_item(line, True)
        if item and item[0] in doc.fields or _FIELD_SPEC_LINE.match(line):
            continue  # "ip_address (required) - IP address": the word belongs to the field it defines
        for sentence in re.split(r"(?<=[.!?;])\s+", line):
            low = sentence.lower()
            if not re.search(r"\b(required|mandatory)\b", low) or re.search(
                    r"\b(not required|not mandatory|optional|if required|when required|unless)\b", low):
                continue
            for short, full in exact.items():
                if re.search(rf"(?<![\w.-]){re.escape(short)}(?![\w-])", sentence):
                    required.add(full)
    return required


def _apply_required_prose(doc: _Doc) -> None:
    """'The following fields are required: A, B and C' and 'All fields are required'."""
    text = doc.text
    names_low = {k.rsplit(".", 1)[-1].lower(): k for k in doc.fields}
    names_low.update({k.lower(): k for k in doc.fields})
    patterns = [
        r"(?:following|these)\s+(?:fields?|parameters?|values?)\s+(?:are|is)\s+(?:required|mandatory)\s*[:\-–]?\s*([^\n]+)",
        r"(?:required|mandatory)\s+(?:fields?|parameters?|values?)\s*(?:are|is|:|-|–)\s*([^\n]+)",
        r"(?:^|\n)[^\S\n]{0,40}([\w`'\",./ -]{3,200}?)[^\S\n]{1,40}(?:(?:are|is)[^\S\n]{1,40}(?:required|mandatory)\b|"
        r"(?:must|need to|have to)[^\S\n]{1,40}be[^\S\n]{1,40}(?:present|sent|provided|included|filled|given|supplied)\b)",
        r"(?:must|need to|should)\s+(?:include|send|contain|provide|have)\s*[:\-]?\s*([^\n.]+)",
        r"(?:^|\n)[ \t]*(?:[-*•][ \t]*)?(?:\*\*)?(?:required|mandatory)(?:\*\*)?[ \t]*[:\-–][ \t]*([^\n]+)",
        # "... as shown. Required: from_first, from_last and from_phone (the API answers 422 ...)."
        r"(?<=[.!?])[ \t]+(?:required|mandatory)(?: fields?)?[ \t]*:[ \t]*([^\n]+)",
        # "... are fixed. lead.first_name, lead.last_name and lead.phone are required." mid-line
        r"(?<=[.!?])[ \t]{1,40}([\w`'\",./ -]{3,200}?)[ \t]{1,40}(?:are|is)[ \t]{1,40}(?:required|mandatory)\b",
    ]
    names_first = {2, 6}  # patterns whose names come before the words that make them required
    # "First name, last name and phone are required": the doc names the fields in words.
    by_words = {squash(k.rsplit(".", 1)[-1]): k for k in doc.fields}
    meanings: dict[str, list[str]] = {}
    for k in doc.fields:
        meaning = _lead_meaning(k)
        if meaning:
            meanings.setdefault(meaning, []).append(k)
    required: set[str] = set()
    for k, pattern in enumerate(patterns):
        for m in re.finditer(pattern, text, re.I):
            chunk = re.sub(r"\([^)]*\)?", " ", m.group(1))
            # The sentence that says it: the names follow "required:" but precede "... are required".
            sentences = re.split(r"[.!?](?:\s|$)", chunk)
            chunk = sentences[-1] if k in names_first else sentences[0]
            for token in re.split(r",|;|\band\b|\bor\b|/|\s\+\s|\n", chunk):
                t = token.strip().strip("`'\".*:() ")
                t = re.sub(r"^(?:the|a|an|both|either|fields?)\s+", "", t, flags=re.I).strip()
                if t.lower() in names_low:
                    required.add(names_low[t.lower()])
                elif squash(t) in by_words and " " in t:
                    required.add(by_words[squash(t)])
                elif " " in t and len(t.split()) <= 3 and len(meanings.get(canonical_name(t) or "", [])) == 1:
                    required.add(meanings[canonical_name(t) or ""][0])
                elif t and len(t.split()) <= 3:
                    # "First (the lead's first name)": the name is the first word of a short item
                    first = t.split(" ")[0].lower()
                    if first in names_low:
                        required.add(names_low[first])
    optional: set[str] = set()
    for m in re.finditer(r"(?:optional[ \t]{1,8}(?:fields?|parameters?)[ \t]{0,8}(?:are|:|-|–)[ \t]{0,8}|(?:^|\n)[ \t]{0,40})"
                         r"([^\n]{0,200}?)[ \t]{0,40}(?:\bare\s+optional\b|$)", text, re.I):
        if "optional" not in m.group(0).lower():
            continue
        for token in re.split(r",|;|\band\b|\bor\b|/", m.group(1)):
            t = token.strip().strip("`'\".*:() ")
            if t.lower() in names_low:
                optional.add(names_low[t.lower()])
    # Any sentence that says "required" (and not "optional") makes the field names it spells out required:
    # "The First and Last fields are required, as is Primary."
    required |= _required_in_sentences(doc)
    all_required = re.search(r"\ball (?:of the |the )?(?:fields?|parameters?) (?:are|is) (?:required|mandatory)\b", text, re.I)
    star_rule = re.search(r"(?:marked|flagged|with) (?:an? )?(?:\*|asterisk)[^.\n]*(?:are|is) (?:required|mandatory)"
                          r"|\*\s*(?:=|denotes|means|indicates)\s*(?:a )?(?:required|mandatory)", text, re.I)
    for name, f in doc.fields.items():
        if name in required and f.required is not True:
            f.required = True
        elif name in optional and f.required is None:
            f.required = False
        elif all_required and f.required is None:
            f.required = True
    if star_rule:
        for line in doc.lines:
            for m in re.finditer(r"([A-Za-z_][\w.\-]*)\s*\*", line):
                key = m.group(1).lower()
                if key in names_low and doc.fields[names_low[key]].required is None:
                    doc.fields[names_low[key]].required = True
