"""Recogniser: fields listed in prose (bullets, "name (required) - …", `name = value` lists, spec lines)."""

from __future__ import annotations

import re

from parsers.fields import canonical_name, squash
from xsc_desktop.intake.recognise.records import _Doc, _Field
from xsc_desktop.intake.recognise.tables import (
    _add_field,
    _example_from_text,
    _parse_required,
    _required_from_text,
    _value_from_hint,
)
from xsc_desktop.intake.recognise.vocabulary import (
    _META_KEYS,
    _SETTING_ROWS,
    _STATIC_HINT,
    _TEST_NAME,
    _clean_value,
    _is_control_name,
    _is_identifier,
    _is_placeholder,
)

_LIST_ITEM = re.compile(
    r"^\s*(?:[-*•·]|\d+[.)])\s+(?:\*\*|`)?([A-Za-z_][\w.\-\[\]]*)(?:\*\*|`)?\s*(\*)?\s*"
    r"(?:\(([^)]*)\))?\s*(?:[:=–—-]\s*(.*))?$")


# An item without a bullet: "first_name (required) - First name. Example: Robert", "city - Example: Boston".
_PLAIN_ITEM = re.compile(
    r"^\s*()([A-Za-z_][\w.\-\[\]]*)\s*(\*)?\s*(?:\(([^)]*)\))?\s*(?:\s[-–—]\s+(.*)|(?<=\S)\s{2,}(\S.*)|(?<=\*)\s+(\S.*))?$")


# Words that head a section or a setting, never a field, even under a "Fields" heading.
_NOT_A_FIELD = _SETTING_ROWS | {squash(k) for k in (
    "response", "responses", "success", "failure", "error", "errors", "note", "notes", "example", "examples",
    "sample", "returns", "answer", "answers", "testing", "test", "headers", "body", "payload")}


# "[R] firstName - given name", "(O) email": a required/optional marker in front of the name.
_MARKED_ITEM = re.compile(r"^\s*[\[(](R|O|M|Y|N|Req|Opt|Required|Optional|Mandatory|\*)[\])]\s+"
                          r"([A-Za-z_][\w.\-\[\]]*)\s*(?:[:=–—-]\s*(.*))?$", re.I)


# "3. Phone (phone_number) - required": a label, then the posted name in brackets.
_LABELLED_ITEM = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+([A-Za-z][\w'/ ]{0,40}?)\s*\(`?([A-Za-z_][\w.\-\[\]]*)`?\)"
                            r"\s*(?:[:=–—-]\s*(.*))?$")


_TYPE_WORDS = {"string", "str", "text", "int", "integer", "number", "numeric", "decimal", "float", "bool", "boolean",
               "date", "datetime", "time", "array", "object", "list", "enum", "varchar", "char"}


def _labelled(line: str) -> re.Match | None:
    """A "Label (posted_name)" list item, unless the bracket holds a type or a required flag ("phone (string)")."""
    m = _LABELLED_ITEM.match(line)
    if m and m.group(2).lower() not in _TYPE_WORDS and _parse_required(m.group(2), "") is None:
        return m
    return None


_BLANK_RUN = re.compile(r"[ \t]{5,}")


def _list_item(line: str, plain_ok: bool, bare_ok: bool = False) -> tuple[str, str | None, str, str] | None:
    """(name, star, paren, rest) of a list item; unbulleted items only where `plain_ok`.

    `bare_ok` (under a "Fields" heading) also takes "First*   Lead first name" and a lone "Email".
    """
    # Runs of blanks are cut to four before matching: the item patterns try every split of a blank run
    # between their optional parts, which is cubic in its length.
    line = _BLANK_RUN.sub("    ", line[:4000])
    m = _MARKED_ITEM.match(line)
    if m:
        return m.group(2), None, m.group(1), m.group(3) or ""
    m = _labelled(line)
    if m:
        return m.group(2), None, "", m.group(3) or ""
    m = _LIST_ITEM.match(line)
    if m:
        return m.group(1), m.group(2), m.group(3) or "", m.group(4) or ""
    if bare_ok:
        m = _PLAIN_ITEM.match(line)
        if m and squash(m.group(2)) not in _NOT_A_FIELD and not m.group(4) or (
                m and m.group(4) and _parse_required(m.group(4), "") is not None):
            return m.group(2), m.group(3), m.group(4) or "", m.group(5) or m.group(6) or m.group(7) or ""
    if plain_ok:
        m = _PLAIN_ITEM.match(line)
        # Without a bullet, "Responses (lp_response=JSON)" is a heading: a bracket alone must say required/optional.
        # "phone (required, digits only)" is a field even though "Phone: 555…" alone is the doc's own contact.
        flagged = bool(m and m.group(4) and _parse_required(m.group(4), "") is not None)
        if m and (squash(m.group(2)) not in _META_KEYS or flagged) and (m.group(5) is not None or flagged):
            return m.group(2), m.group(3), m.group(4) or "", m.group(5) or ""
    return None


def _read_prose_field_list(doc: _Doc) -> None:
    """'Send these fields: first_name, last_name, phone and email.' — a field list written as a sentence."""
    for m in re.finditer(r"\b(?:send|include|post|pass|submit)\s+(?:these|the following|the|all)?\s*"
                         r"(?:fields?|parameters?|values?)\s*(?::|-)\s*((?:[^.\n]|\.\w|\n(?!\s*\n))+)", doc.text, re.I):
        tokens = [t.strip(" \t\n`'\"*") for t in re.split(r",|\band\b|;", m.group(1))]
        names = [t for t in tokens if t]
        # Only a list of posted names ("first_name, last_name"), not a sentence ("name, phone and e-mail").
        if len(names) >= 3 and all(_is_identifier(t) for t in names) and sum(
                1 for t in names if "_" in t or re.search(r"[a-z][A-Z]", t) or canonical_name(t)) >= 0.6 * len(names):
            for name in names:
                _add_field(doc, _Field(name=name, source="list"))


def _read_prose_needs(doc: _Doc) -> None:
    """'We need First, Last, Primary (phone) and Email on every lead; Details is optional; Zip and State if you have
    them.' — field names a doc spells out in sentences, kept only when they look like posted names."""

    def names(chunk: str) -> list[str]:
        chunk = re.sub(r"\([^)]*\)", " ", chunk)
        out = [t.strip(" \t\n`'\"*") for t in re.split(r",|\band\b|;", chunk)]
        return [t for t in out if t and _is_identifier(t) and (canonical_name(t) or "_" in t or
                                                               re.search(r"[a-z][A-Z]", t) or t in doc.fields)]

    for m in re.finditer(r"\b(?:we need|we require|you must send|please always send)\s+([^.;\n]+?)"
                         r"(?:\s+(?:on|for|with) (?:every|each|all) leads?)?\s*(?=[.;\n]|$)", doc.text, re.I):
        found = names(m.group(1))
        if len(found) >= 2 and len(found) >= len(re.split(r",|\band\b", m.group(1))) - 1:
            for name in found:
                _add_field(doc, _Field(name=name, required=True, source="prose"))
    if len(doc.fields) < 2:
        return
    for m in re.finditer(r"(?:^|(?<=[.;]\s)|\n)\s*([^.;\n]{1,80}?)\s+(?:is optional|are optional|if you have (?:it|them))\b",
                         doc.text, re.I):
        for name in names(m.group(1)):
            _add_field(doc, _Field(name=name, required=False, source="prose"))


def _read_field_lists(doc: _Doc) -> None:
    """Bulleted field lists: `- first_name (required): the lead's first name`.

    Items count under a "Fields:" heading, when marked required/optional or with `*`, or in a run of three
    or more items that mostly look like posted names (a numbered list in an e-mail).
    """
    in_fields = False
    section_required: bool | None = None
    listed = _field_like_list_lines(doc.lines)
    for _i, line in enumerate(doc.lines):
        line = re.sub(r"([*_])\(([^()]*)\)\1", r"(\2)", line)  # markdown "*(required)*"
        low = line.strip().lower()
        if re.match(r"^(#+\s*)?(fields?|parameters?|field list|request fields|body fields|post fields|"
                    r"required fields|optional fields|data fields|lead fields)\b.*:?$", low) and not re.search(
                        r"\||\t|\s{3,}", low):  # a table's header row is no heading
            in_fields = True
            section_required = True if low.lstrip("# ").startswith("required") else (
                False if low.lstrip("# ").startswith("optional") else None)
            continue
        if re.fullmatch(r"[-=~_*]{3,}", low):
            continue  # the underline of a plain-text heading
        indented_item = bool(re.match(r"^[ \t]+[A-Za-z_][\w.\-\[\]]*\*?(?:\s{2,}\S.*)?$", line))
        bare = in_fields and (not line.startswith((" ", "\t")) or indented_item) and not any(
            a <= _i < b for a, b in doc.table_spans)
        item = _list_item(line, in_fields or _i in listed, bare_ok=bare)  # a text table's rows are read with it
        if not item:
            if low and not line.startswith((" ", "\t")) and in_fields and not re.fullmatch(r"[-=~_*]{3,}", low):
                in_fields = bool(re.match(r"^(#+\s*)?(required|optional)", low))
                if in_fields:
                    section_required = low.lstrip("# ").startswith("required")
            continue
        name, star, paren, rest = item
        flag = re.match(r"^(R|O|M|Y|N|Req|Opt|Yes|No|Required|Optional)(?:\s{2,}|$)(.*)$", rest)
        if flag and not paren:
            paren, rest = flag.group(1), flag.group(2)  # "first_name   R   text": a flag column without a header
        labelled = _labelled(line)
        label = labelled.group(1).strip() if labelled else ""
        if not in_fields and not paren and not star and _i not in listed:
            continue
        if squash(name) in _META_KEYS and not in_fields and (_i not in listed or canonical_name(name) is None):
            continue
        req = _parse_required(paren, "") if paren else None
        if req is None:
            req = _required_from_text(paren + " " + rest)
        if req is None and star:
            req = True
        if req is None and in_fields:
            req = section_required
        f = _Field(name=name, required=req, description=rest.strip(), source="list", label=label)
        if paren and req is None:
            f.type = paren
        f.example = _example_from_text(rest)
        f.static_hint = bool(_STATIC_HINT.search(rest))
        fixed = _value_from_hint(rest) if re.match(r"\s*(?:always|fixed|constant)\b", rest, re.I) else ""
        if fixed:
            f.value, f.static_hint, f.description = fixed, True, ""  # "lead_source - always "XSC Social""
        # `name: value` with a literal value in a bullet is a fixed value, not a description.
        if rest and _is_control_name(name) and re.fullmatch(r"\S+", rest.strip()):
            f.value = _clean_value(rest)
            f.description = ""
        _add_field(doc, f)


_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_][\w.\-\[\]]*)\s*=\s*(\S+(?:\s\S+)*?)\s*(?:\s\(?(fixed|static|constant|"
                         r"required|optional|mandatory)\)?)?\s*$", re.I)


_FIELD_SPEC_KEYS = {"required", "optional", "example", "type", "description", "default", "format", "label",
                    "mandatory", "sample", "notes", "note", "maxlength", "max_length", "enum", "values"}


_FIELD_SPEC_LINE = re.compile(r"^\s*[-*]?\s*[`'\"]?([A-Za-z_][\w.\-\[\]]*)[`'\"]?\s*:\s*\{([^{}]*)\}\s*,?\s*$")


def _read_field_spec_lines(doc: _Doc) -> None:
    """YAML or JS-style field specs, one per line: `first_name: {required: true, example: Sam}`."""
    for line in doc.lines:
        m = _FIELD_SPEC_LINE.match(line)
        if not m:
            continue
        spec = {}
        for part in m.group(2).split(","):
            key, sep, value = part.partition(":")
            if sep:
                spec[key.strip().strip("'\"").lower()] = value.strip().strip("'\"")
        if not spec or not set(spec) <= _FIELD_SPEC_KEYS:
            continue
        req = _parse_required(spec.get("required", spec.get("mandatory", "")), "") if (
            "required" in spec or "mandatory" in spec) else (None if "optional" not in spec else
                                                             not _parse_required(spec["optional"], ""))
        _add_field(doc, _Field(name=m.group(1), required=req, type=spec.get("type", ""),
                               example=spec.get("example", spec.get("sample", "")),
                               description=spec.get("description", spec.get("notes", "")), source="list"))


def _read_assignment_lists(doc: _Doc) -> None:
    """Runs of `name=<what goes here>   required` lines: a field per placeholder, a fixed value otherwise."""
    run: list[re.Match] = []
    for line in doc.lines + [""]:
        m = _ASSIGNMENT.match(line) if "&" not in line and "://" not in line else None
        if m:
            run.append(m)
            continue
        if len(run) >= 3 and sum(1 for r in run if _is_placeholder(r.group(2))) >= 2:
            for r in run:
                name, value, note = r.group(1), _clean_value(r.group(2)), (r.group(3) or "").lower()
                if _TEST_NAME.match(name):
                    continue
                if _is_placeholder(value):
                    _add_field(doc, _Field(name=name, required=True if note in ("required", "mandatory") else (
                        False if note == "optional" else None), description=value.strip("<>[]{}"), source="list"))
                elif note in ("fixed", "static", "constant") or _is_control_name(name):
                    _add_field(doc, _Field(name=name, value=value, static_hint=True, source="list"))
                else:
                    _add_field(doc, _Field(name=name, example=value, required=note in ("required", "mandatory"),
                                           source="list"))
        run = []


def _field_like_list_lines(lines: list[str]) -> set[int]:
    """Line numbers of list items in runs of 3+ whose names mostly look like posted field names."""
    runs: list[list[tuple[int, str]]] = [[]]
    for i, line in enumerate(lines):
        item = _list_item(line, True)
        if item:
            runs[-1].append((i, item[0]))
        elif line.strip():
            runs.append([])
    found: set[int] = set()
    for run in runs:
        if len(run) < 3:
            continue
        fieldish = sum(1 for _, name in run if "_" in name or re.search(r"[a-z][A-Z]", name) or canonical_name(name))
        if fieldish >= 0.6 * len(run):
            found.update(i for i, _ in run)
    return found
