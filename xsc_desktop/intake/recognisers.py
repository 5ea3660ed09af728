"""Recognisers for notations real posting docs use, one concern each. Each reads the text (line by line,
bounded patterns) and adds candidate fields to the draft with the span that says them.

- `labelled_ids`: `Custom1016 = Date of Accident`, Salesforce `00N5e00000Qk1aB = Case Type`, `data12: Injury`;
- `name_value_arrays`: a JSON sample built as `"fields": [{"name": "email", "value": "…"}]` posts the names;
- `api_name_column`: a table with a label column and an "API Name / ID" column posts the API names.
"""

from __future__ import annotations

import re

from parsers.fields import squash
from xsc_desktop.intake.blocks import MAX_LINE, sentences
from xsc_desktop.intake.draft import Draft, FieldDraft, Finding, StaticDraft
from xsc_desktop.intake.safety import Context, _meaning, required_from_row

_LABELLED_ID = re.compile(r"^\s*(?:[-*•]\s*)?[`'\"]?((?:custom|data|field|q)\d{1,6}|00N[A-Za-z0-9]{12,15})[`'\"]?"
                          r"\s{0,4}(?:=|:|–|-)\s{0,4}([A-Za-z][^=\n]{1,80}?)\s*$", re.I)
_NAME_VALUE = re.compile(r"[\"']name[\"']\s{0,3}:\s{0,3}[\"']([^\"'\n]{1,80})[\"']\s{0,3},\s{0,3}"
                         r"[\"']value[\"']\s{0,3}:\s{0,3}[\"']([^\"'\n]{0,200})[\"']")
_ARRAY_KEY = re.compile(r"[\"']([A-Za-z_]\w{0,40})[\"']\s{0,3}:\s{0,3}\[\s*$")
_REQUIRED_WORD = re.compile(r"\b(?:required|mandatory|must be sent)\b", re.I)
_NOT_REQUIRED = re.compile(r"\b(?:not required|optional)\b", re.I)


def apply_all(draft: Draft, ctx: Context) -> None:
    labelled_ids(draft, ctx)
    continued_rows(draft, ctx)
    field_list_block(draft, ctx)
    name_value_arrays(draft, ctx)
    api_name_column(draft, ctx)
    form_labels(draft, ctx)
    fixed_assignments(draft, ctx)
    fixed_value_rows(draft, ctx)
    header_sentences(draft, ctx)
    always_phrases(draft, ctx)
    template_get(draft, ctx)
    ping_post_columns(draft, ctx)
    value_column(draft, ctx)
    uk_and_kind_terms(draft)
    known_system(draft)


def labelled_ids(draft: Draft, ctx: Context) -> None:
    """Opaque ids given with their label ("Custom1016 = Date of Accident") are fields named by the id."""
    for n in range(len(ctx.locate.line_starts)):
        line = ctx.line(n)
        m = _LABELLED_ID.match(line)
        if not m:
            continue
        name, label = m.group(1), m.group(2).strip()
        if draft.field_named(name) or draft.static_named(name):
            continue
        required = bool(re.search(r"\(required\)|\brequired\b", label, re.I))
        draft.fields.append(FieldDraft(name=name, required=required, description=label,
                                       maps_to=_meaning(name, label), evidence=ctx.evidence_at_line(n, "labelled_ids")))


def name_value_arrays(draft: Draft, ctx: Context) -> None:
    """`"fields": [{"name": "email", "value": "…"}, …]`: the posted names are the `name` values."""
    found: list[tuple[str, str, int]] = []
    prefix = ""
    for n in range(len(ctx.locate.line_starts)):
        line = ctx.line(n)
        key = _ARRAY_KEY.search(line)
        if key:
            prefix = key.group(1)
        for m in _NAME_VALUE.finditer(line):
            found.append((m.group(1), m.group(2), n))
    if len(found) < 2:
        return
    stale = (f"{prefix}." if prefix else "fields.")
    draft.fields = [f for f in draft.fields if not f.name.startswith(stale)]
    draft.statics = [s for s in draft.statics if not s.name.startswith(stale)]
    for name, value, n in found:
        if draft.field_named(name) or draft.static_named(name):
            continue
        draft.fields.append(FieldDraft(name=name, example=value, maps_to=_meaning(name, ""),
                                       evidence=ctx.evidence_at_line(n, "name_value_arrays")))
    _required_from_prose(draft, ctx, {name for name, _, _ in found})
    draft.add_finding(Finding("name_value_array", f"The sample posts fields as a list of name/value pairs under "
                              f"“{prefix or 'fields'}”; check the parser builds the body that way.", "doubt",
                              ctx.evidence_at_line(found[0][2], "name_value_arrays")))


def api_name_column(draft: Draft, ctx: Context) -> None:
    """A table with a label column and an API-name column: the posted name is the API name."""
    for rows in ctx.tables:
        for i, row in enumerate(rows):
            heads = [squash(c) for c in row]
            api = [k for k, h in enumerate(heads) if h in ("apiname", "apinameid", "fieldid", "apiid", "sentas",
                                                           "postedname", "parametername")]
            label = [k for k, h in enumerate(heads) if h in ("fieldlabel", "label", "data", "field")]
            if not api or not label or api[0] == label[0]:
                continue
            for body in rows[i + 1:]:
                if max(api[0], label[0]) >= len(body):
                    continue
                name, text = body[api[0]].strip(), body[label[0]].strip()
                if not re.fullmatch(r"[A-Za-z0-9_][\w.\-]{0,80}", name) or name.isdigit():
                    continue
                old = draft.field_named(text)
                if old is not None:
                    old.name = name
                    old.maps_to = _meaning(name, text) or old.maps_to
                elif (draft.field_named(name) is None and draft.static_named(name) is None
                      and required_from_row(row, body) is not None and _flag_given(row, body)):
                    draft.fields.append(FieldDraft(name=name, required=bool(required_from_row(row, body)),
                                                   description=text, maps_to=_meaning(name, text),
                                                   evidence=ctx.locate.word(name, "api_name_column")))
            return


def _required_from_prose(draft: Draft, ctx: Context, names: set[str]) -> None:
    """"`firstname`, `lastname` and `email` are required": the names before the word are required."""
    low_names = {n.lower(): n for n in names}
    for n in range(len(ctx.locate.line_starts)):
        line = ctx.line(n)[:MAX_LINE]
        if not _REQUIRED_WORD.search(line):
            continue
        for sentence in sentences(line):
            m = _REQUIRED_WORD.search(sentence)
            if not m or _NOT_REQUIRED.search(sentence[:m.end()]):
                continue
            for word in re.findall(r"[A-Za-z_][\w.]{0,63}", sentence[:m.start()]):
                name = low_names.get(word.lower())
                f = draft.field_named(name) if name else None
                if f is not None:
                    f.required = True


def _flag_given(header: list[str], row: list[str]) -> bool:
    """The row fills its required column (a settings row such as "Method | POST" leaves it empty)."""
    cols = [i for i, h in enumerate(header) if re.search(r"req|mandatory", h, re.I)]
    return any(i < len(row) and row[i].strip() for i in cols)


_FIXED_NOTE = re.compile(r"\b(?:fixed|always|constant|static|never changes?|same on every lead|do not change|"
                         r"exactly as shown|assigned by us|your (?:supplier|vendor|source|affiliate) id)\b", re.I)
_ASSIGNMENT_LINE = re.compile(r"^\s*(?:[-*•]\s*)?[`'\"]?([A-Za-z_][\w.-]{0,63})[`'\"]?\s{0,8}=\s{0,8}[`'\"]?"
                              r"([^\s=`'\"][^=`'\"]{0,100}?)[`'\"]?\s*(?:\(([^()]{0,80})\))?\s*$")
_FIXED_HEADING = re.compile(r"\b(?:fixed|static|constant|always|every (?:lead|request|post))\b", re.I)
_FIELDS_HEADING = re.compile(r"^\s*(?:lead\s+)?(?:fields?|field list|parameters)\s*(?:\([^)]{0,40}\))?\s*:?\s*$", re.I)
_FIELD_LINE = re.compile(r"^\s*(?:[-*•]\s*)?[`'\"]?([A-Za-z_][\w.-]{0,63})[`'\"]?\s*(\((?:required|optional)\))?"
                         r"\s*(?:[-–:]\s*(.{0,200}))?$", re.I)
_META_NAMES = {squash(w) for w in ("response", "responses", "answer", "success", "error", "errors", "result", "returns",
                                   "note", "notes", "example", "sample", "method", "url", "endpoint", "format",
                                   "auth", "authentication", "thanks", "regards", "cheers", "body", "headers")}
_HEADER_SENTENCE = re.compile(r"\bheader\s+[`'\"]?([A-Za-z][\w-]{1,40})[`'\"]?\s*:\s*[`'\"]?([\w.~+/=-]{4,200})", re.I)
_UK_TERMS = {"solicitor": "has_attorney", "towncity": "city", "town": "city", "postcode": "zip", "forename": "first_name",
             "surname": "last_name", "mobile": "phone", "telephone": "phone", "claimant": None}
_SYSTEM_HOSTS = (("webto.salesforce.com", "salesforce", "form"), ("hsforms.com", "hubspot", "json"),
                 ("forms.hubspot.com", "hubspot", "form"), ("leadconduit.com", "leadconduit", ""),
                 ("leadbyte.co.uk", "leadbyte", ""), ("leadbyte.com", "leadbyte", ""),
                 ("five9.com", "five9", "form"), ("lawmatics.com", "lawmatics", ""),
                 ("smartadvocate", "smartadvocate", ""), ("genericpostlead.php", "boberdoo", "form"),
                 ("filevine", "filevine", ""))


def field_list_block(draft: Draft, ctx: Context) -> None:
    """Lines under a "Fields:" heading, up to the next blank line: one field each, "(required)" marks."""
    n_lines = len(ctx.locate.line_starts)
    n = 0
    while n < n_lines:
        if not _FIELDS_HEADING.match(ctx.line(n)):
            n += 1
            continue
        n += 1
        while n < n_lines and ctx.line(n).strip():
            line = ctx.line(n)
            m = _FIELD_LINE.match(line)
            if m and squash(m.group(1)) in _META_NAMES:
                break
            if m and "=" not in line and len(line.split()) <= 30 and not re.search(r"[{<]", line):
                name = m.group(1)
                if draft.field_named(name) is None and draft.static_named(name) is None and name.lower() not in (
                        draft.test or {}).get("name", "").lower().split():
                    desc = (m.group(3) or "").strip()
                    draft.fields.append(FieldDraft(name=name, required=bool(m.group(2) and "req" in m.group(2).lower()),
                                                   description=desc, maps_to=_meaning(name, desc),
                                                   evidence=ctx.evidence_at_line(n, "field_list_block")))
            n += 1


def form_labels(draft: Draft, ctx: Context) -> None:
    """Form controls whose label the page gives as plain text ("Case Type:<select …>") take that text."""
    for form in ctx.forms:
        seen: set[str] = set()
        stale = []
        for inp in form.inputs:
            if (inp.kind or "").lower() in ("hidden", "submit", "button"):
                continue
            if inp.label and inp.label in seen:
                stale.append(inp)
            seen.add(inp.label)
        if not stale:
            continue
        labels = [ln.split(":", 1)[0].strip() for ln in (ctx.line(k) for k in range(len(ctx.locate.line_starts)))
                  if ":" in ln and 2 <= len(ln.split(":", 1)[0].strip()) <= 60 and "://" not in ln
                  and len(ln.split(":", 1)[0].split()) <= 8]
        for inp, label in zip(stale, [lb for lb in labels if lb not in seen], strict=False):
            f = draft.field_named(inp.name)
            if f is not None:
                f.description = label
                f.maps_to = _meaning(inp.name, label)


def fixed_assignments(draft: Draft, ctx: Context) -> None:
    """`lead_source = XSC Digital (fixed)` lines, and `name = value` lines under a "Fixed parameters" heading."""
    under_fixed = False
    for n in range(len(ctx.locate.line_starts)):
        line = ctx.line(n)
        if not line.strip():
            under_fixed = False
            continue
        m = _ASSIGNMENT_LINE.match(line)
        if not m:
            under_fixed = bool(_FIXED_HEADING.search(line)) and line.rstrip().endswith(":")
            continue
        name, value, note = m.group(1), m.group(2).strip(), m.group(3) or ""
        if not (under_fixed or _FIXED_NOTE.search(note)):
            continue
        if draft.static_named(name) is None and draft.field_named(name) is None and name != (draft.test or {}).get(
                "name"):
            draft.statics.append(StaticDraft(name=name, value=value, evidence=ctx.evidence_at_line(n, "fixed_assignments")))


def fixed_value_rows(draft: Draft, ctx: Context) -> None:
    """Table rows that give a value with a note saying it is fixed ("returnjson | yes | fixed"), and fields
    whose description says "must be set to X" / "constant: X", are statics."""
    for rows in ctx.tables:
        for row in rows:
            cells = [c.strip() for c in row]
            named = re.fullmatch(r"[^()]{1,60}\(\s*([A-Za-z_][\w.-]{0,63})\s*\)", cells[0]) if cells else None
            if named and len(cells) >= 3 and cells[1] and any(re.search(r"\bhidden\b|\bsent as\b", c, re.I) or
                                                              _FIXED_NOTE.search(c) for c in cells[2:]):
                cells = [named.group(1), *cells[1:]]
            if len(cells) < 3 or not re.fullmatch(r"[A-Za-z_][\w.-]{0,63}", cells[0]) or not cells[1]:
                continue
            noted = any(_FIXED_NOTE.search(c) for c in cells[2:]) or bool(named and cells[0] == named.group(1))
            if noted and (" " not in cells[1] or len(cells[1]) <= 40):
                name, value = cells[0], cells[1]
                if draft.static_named(name) or draft.field_named(name) or _is_flag_word(value, cells):
                    continue
                draft.statics.append(StaticDraft(name=name, value=value, evidence=ctx.locate.word(name,
                                                                                                  "fixed_value_rows")))
    for f in list(draft.fields):
        m = re.search(r"\b(?:must be set to|must always be|always send|constant:|fixed:)\s*[`'\"“]?([^`'\"”]{1,60}?)"
                      r"[`'\"”]?\s*\.?$", f.description, re.I)
        if m and f.maps_to in (None, "source", "sub_id"):
            draft.fields.remove(f)
            draft.statics.append(StaticDraft(name=f.name, value=m.group(1).strip(), evidence=f.evidence))


def _is_flag_word(value: str, cells: list[str]) -> bool:
    """"Y"/"N" in the second column of a field table is a required flag, not a value."""
    return value.lower() in ("y", "n", "yes", "no", "required", "optional") and not any(
        re.search(r"\bfixed\b", c, re.I) for c in cells[2:])


def header_sentences(draft: Draft, ctx: Context) -> None:
    """"Send the header SA-Api-Key: 4c1b… on every request": a header static."""
    for n in range(len(ctx.locate.line_starts)):
        line = ctx.line(n)
        if "header" not in line.lower():
            continue
        for m in _HEADER_SENTENCE.finditer(line):
            name, value = m.group(1), m.group(2).rstrip(".")
            if draft.static_named(name) is None and name.lower() not in ("content-type", "accept"):
                draft.statics.append(StaticDraft(name=name, value=value, location="header", secret=True,
                                                 evidence=ctx.evidence_at_line(n, "header_sentences")))


def uk_and_kind_terms(draft: Draft) -> None:
    """UK words (solicitor, town/city, postcode) and URL-named fields map to what they mean."""
    for f in draft.fields:
        key = squash(f.name.rsplit(".", 1)[-1])
        if f.maps_to is None and _UK_TERMS.get(key):
            f.maps_to = _UK_TERMS[key]
        if f.maps_to is None and re.search(r"consent|opt_?in|agree|tcpa", key):
            f.maps_to = "tcpa_consent"
        if key.endswith(("url", "uri")) and f.maps_to not in ("trustedform_cert_url", "landing_page_url"):
            f.maps_to = "trustedform_cert_url" if re.search(r"trusted|cert", key) else "landing_page_url"


def known_system(draft: Draft) -> None:
    """The intake system the endpoint belongs to, and its body format when the doc does not say it."""
    url = (draft.endpoint or "").lower()
    for host, system, fmt in _SYSTEM_HOSTS:
        if host in url:
            if draft.system == "generic":
                draft.system = system
            assumed = any("JSON assumed" in w for w in draft.warnings)
            if fmt and assumed and draft.format == "json":
                draft.format = fmt
                draft.warnings = [w for w in draft.warnings if "JSON assumed" not in w]
            return


_ALWAYS_PHRASE = re.compile(r"(?<![\w.-])[`'\"]?([A-Za-z_][\w.-]{0,63})[`'\"]?\s+(?:is|must be|should be)\s+"
                            r"(?:always|fixed(?:\s+(?:to|as))?:?)\s+[`'\"“]?([^.;,\n`'\"”()]{1,60})")
_PLACEHOLDER_PARAM = re.compile(r"[?&]([A-Za-z_][\w.-]{0,63})=(?:\[([^\]\n]{1,40})\]|\{\{?([^}\s]{1,40})\}?\}|<([^>\s]{1,40})>)")
_VALUE_HEADERS = {"value", "values", "fixedvalue", "default", "defaultvalue", "constant", "setto"}


def always_phrases(draft: Draft, ctx: Context) -> None:
    """"Referral is always XSC Digital.": a static the recognisers cut at its first word takes the whole name."""
    for n in range(len(ctx.locate.line_starts)):
        line = ctx.line(n)
        if "always" not in line.lower() and "fixed" not in line.lower():
            continue
        for m in _ALWAYS_PHRASE.finditer(line):
            s = draft.static_named(m.group(1))
            words = m.group(2).split()
            phrase = " ".join(words[:1] + list(_capitalised_prefix(words[1:])))
            if s is not None and s.value and phrase != s.value and phrase.startswith(s.value + " ") and len(
                    phrase.split()) <= 4:
                s.value = phrase
                s.evidence = ctx.evidence_at_line(n, "always_phrases")


def template_get(draft: Draft, ctx: Context) -> None:
    """A GET URL whose parameters hold [placeholders]: each placeholder is a field, the rest statics."""
    if not draft.endpoint:
        return
    base = draft.endpoint.split("?", 1)[0].lower()
    for n in range(len(ctx.locate.line_starts)):
        line = ctx.line(n)
        if base not in line.lower() or "?" not in line:
            continue
        found = _PLACEHOLDER_PARAM.findall(line)
        params = [m[0] for m in found]
        hints = {m[0]: next((h for h in m[1:] if h), "") for m in found}
        if len(params) < 2 or not re.search(r"\bGET\b", ctx.text[:20000]) or re.search(r"\bPOST\b", ctx.text[:20000]):
            return
        draft.method, draft.format = "GET", "query"
        for name in params:
            draft.statics = [s for s in draft.statics
                             if not (s.name == name and (not s.value or s.value.startswith(("[", "{", "<"))))]
            if draft.field_named(name) is None and draft.static_named(name) is None:
                draft.fields.append(FieldDraft(name=name, maps_to=_meaning(name, "") or _meaning(name, hints[name]),
                                               evidence=ctx.evidence_at_line(n, "template_get")))
        _required_from_prose(draft, ctx, set(params))
        return


def ping_post_columns(draft: Draft, ctx: Context) -> None:
    """Separate "Ping Required" and "Post Required" columns: the post column decides."""
    for rows in ctx.tables:
        for i, row in enumerate(rows):
            low = [c.lower() for c in row]
            if not (any("ping" in c and "req" in c for c in low) and any("post" in c and "req" in c for c in low)):
                continue
            for body in rows[i + 1:]:
                f = draft.field_named(body[0].strip()) if body else None
                if f is not None:
                    flag = required_from_row(row, body)
                    if flag is not None:
                        f.required = flag
            break


def value_column(draft: Draft, ctx: Context) -> None:
    """A table's fixed-value column beats an example: an unmapped field whose row gives a plain value there is
    a static ("F9domain | Yes | Rowan Injury Group | exactly as shown")."""
    from xsc_desktop.intake.safety import _FORMAT_VALUE, _NO_VALUE

    for f in list(draft.fields):
        row = ctx.row_for(f.name)
        if row is None or f.maps_to is not None:
            continue
        header, cells = row
        cols = [k for k, h in enumerate(header) if squash(h) in _VALUE_HEADERS]
        notes = " ".join(c for k, c in enumerate(cells) if k not in cols)
        for k in cols:
            value = cells[k].strip() if k < len(cells) else ""
            if value and not _FORMAT_VALUE.match(value) and not _NO_VALUE.match(value) and (
                    _FIXED_NOTE.search(notes) or len(value.split()) > 1):
                draft.fields.remove(f)
                draft.statics.append(StaticDraft(name=f.name, value=value, evidence=f.evidence))
                break


def _capitalised_prefix(words: list[str]) -> list[str]:
    out = []
    for w in words:
        if not (w[:1].isupper() or w[:1].isdigit()):
            break
        out.append(w)
    return out


_PAGE_FURNITURE = re.compile(r"\bpage \d+(?: of \d+)?\b|\bconfidential\b|\(?continued\)?|^\s*-?\s*\d+\s*-?\s*$|©|"
                             r"\bcopyright\b", re.I)
_CELL_SPLIT = re.compile(r"\t+| {2,}")
_FLAG_WORDS = {"yes", "no", "y", "n", "required", "optional", "true", "false", "mandatory", "m", "o", "r"}


def continued_rows(draft: Draft, ctx: Context) -> None:
    """Rows of a text table that go on after a page break (past a page footer and header) belong to it."""
    n_lines = len(ctx.locate.line_starts)
    n = 0
    while n < n_lines:
        cells = [c.strip() for c in _CELL_SPLIT.split(ctx.line(n).strip())]
        req = [k for k, c in enumerate(cells) if re.search(r"req|mandatory", c, re.I)]
        if not (req and any(squash(c) in {"field", "fieldname", "parameter", "name", "element"} for c in cells)):
            n += 1
            continue
        n = _rows_after_header(draft, ctx, n + 1, req[0])


def _rows_after_header(draft: Draft, ctx: Context, n: int, req_col: int) -> int:
    n_lines = len(ctx.locate.line_starts)
    broke = False
    added: list[str] = []
    while n < n_lines:
        line = ctx.line(n)
        if not line.strip():
            n += 1
            continue
        cells = [c.strip() for c in _CELL_SPLIT.split(line.strip())]
        if len(cells) > req_col and re.fullmatch(r"[A-Za-z_][\w.\-]{0,63}", cells[0]) and (
                cells[req_col].lower() in _FLAG_WORDS):
            if broke and draft.field_named(cells[0]) is None and draft.static_named(cells[0]) is None:
                desc = " ".join(c for k, c in enumerate(cells[1:], 1) if k != req_col)
                draft.fields.append(FieldDraft(name=cells[0], required=cells[req_col].lower() in _YES_FLAGS,
                                               description=desc, maps_to=_meaning(cells[0], desc),
                                               evidence=ctx.evidence_at_line(n, "continued_rows")))
                added.append(cells[0])
            n += 1
            continue
        if _PAGE_FURNITURE.search(line) and len(line.split()) <= 14:
            broke = True
            n += 1
            continue
        break
    if added:
        draft.add_finding(Finding("split_table", f"The field table goes on after a page break; rows "
                                  f"{', '.join(added[:8])} were joined to it. Check them.", "doubt",
                                  draft.fields[-len(added)].evidence))
    return n


_YES_FLAGS = {"yes", "y", "required", "true", "mandatory", "m", "r"}
