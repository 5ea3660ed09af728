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
from xsc_desktop.intake.draft import Draft, FieldDraft, Finding
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
    name_value_arrays(draft, ctx)
    api_name_column(draft, ctx)


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
                if not re.fullmatch(r"[A-Za-z_][\w.\-]{0,80}", name):
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
