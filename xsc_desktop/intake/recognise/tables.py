"""Recogniser: field tables (header roles, required columns, sideways tables) and tables laid out in plain text."""

from __future__ import annotations

import re

from parsers.fields import squash
from xsc_desktop.intake.recognise.records import _Doc, _Field
from xsc_desktop.intake.recognise.vocabulary import (
    _LEAD_HINT,
    _META_RE,
    _NO,
    _ROLE_INDEX,
    _SETTING_ROWS,
    _SOFT_REQUIRED,
    _STATIC_HINT,
    _YES,
    _clean_name,
    _clean_value,
    _is_placeholder,
    _lead_meaning,
    _looks_like_name,
)

_POSTED_AS = {"sentas", "postedas", "postas", "sendas", "submitas", "passas", "apiname", "fieldapiname", "apifieldname",
              "postname", "postkey", "postvariable", "postingfield"}


def _header_roles(row: list[str], *, strict: bool = False) -> dict[int, str] | None:
    """The role of each column when `row` is the header of a field table, else None.

    `strict` (inside a table) accepts only exact header words, so a data row such as
    "lastName | Required | Last name" never starts a new table.
    """
    roles: dict[int, str] = {}
    filled = [c for c in row if c.strip()]
    for i, cell in enumerate(row):
        c = re.sub(r"\(.*?\)|[?*#:.']", "", cell).strip()
        if not c or len(c) > 40:
            continue
        key = squash(c)
        role = _ROLE_INDEX.get(key)
        if role == "value" and re.search(r"\((?:form |source |input )?field\)", cell, re.I):
            role = "label"  # "Value (form field)": which form field fills it, not a fixed value
        if role is None and strict:
            continue
        if role is None:
            words = c.lower().replace("/", " ").split()
            if key.startswith(("required", "mandatory")) or (words and words[0] in ("required", "mandatory", "req")):
                role = "required"
            elif any(w in ("description", "notes", "comments", "details") for w in words):
                role = "description"
            elif words and words[-1] in ("name", "field", "parameter", "key") and not {"display", "label"} & set(words):
                role = "name"
            elif words and words[-1] == "id" and {"field", "parameter", "param", "input", "question"} & set(words):
                role = "name"  # "Formstack field id": the posted name is the field's id
            elif any(w in ("example", "sample", "e.g") for w in words) or {"value", "format"} <= set(words):
                role = "example"  # "Value / format": a key in one row, "10 digits" in the next
            elif words and words[-1] == "type":
                role = "type"
        if role and role not in roles.values():
            roles[i] = role
        elif role == "name" and key in _POSTED_AS and "label" not in roles.values():
            # "Velocify Field | Post As": the posted name is the "post as" column; the other is its label.
            first = next(j for j, r in roles.items() if r == "name")
            roles[first], roles[i] = "label", "name"
        elif role == "name" and "name" in roles.values():
            # Two name-like columns ("Field" and "Field name"): the later, more specific one wins only if
            # the first was plain "name"; otherwise keep the first.
            continue
    if "name" not in roles.values():
        if "label" in roles.values() and len(roles) >= 3:
            for i, r in list(roles.items()):
                if r == "label":
                    roles[i] = "name"
        else:
            return None
    others = set(roles.values()) - {"name", "label"}
    if not others or len(roles) < max(2, (len(filled) + 1) // 2):
        return None
    if strict and len(roles) < len(filled):
        return None
    return roles


def _parse_required(cell: str, header: str) -> bool | None:
    c = cell.strip().lower().rstrip(".*!").strip()
    inverted = squash(header) in ("optional",)
    if c in _YES or c.startswith(("yes", "required", "mandatory", "y ")):
        val = True
    elif c in _NO or c.startswith(("no", "optional", "not required", "n ", "conditional", "only ")):
        val = False
    else:
        if re.search(r"\brequired\b", c) and not re.search(r"\bnot required\b", c):
            return True
        return None
    return (not val) if inverted else val


def _sideways_blocks(rows: list[list[str]]) -> list[list[list[str]]]:
    """Field tables laid out sideways (one column per field, header words down the first column), transposed."""
    blocks: list[list[list[str]]] = []
    run: list[list[str]] = []
    for row in rows + [[]]:
        first = re.sub(r"\(.*?\)|[?*#:.']", "", row[0]).strip() if row else ""
        if len(row) >= 3 and _ROLE_INDEX.get(squash(first)):
            run.append(row)
            continue
        if len(run) >= 2:
            roles = {_ROLE_INDEX[squash(re.sub(r"\(.*?\)|[?*#:.']", "", r[0]).strip())] for r in run}
            across = [c for c in run[0][1:] if c.strip()]
            # A normal header row has header words across it; a sideways one has field names.
            header_words = sum(1 for c in across if _ROLE_INDEX.get(squash(re.sub(r"\(.*?\)|[?*#:.']", "", c))))
            if "name" in roles and len(roles) >= 2 and header_words < len(across) / 2:
                width = max(len(r) for r in run)
                padded = [r + [""] * (width - len(r)) for r in run]
                blocks.append([list(col) for col in zip(*padded, strict=True)])
        run = []
    return blocks


def _read_field_table(doc: _Doc, rows: list[list[str]], *, sideways: bool = True) -> None:
    blocks = _sideways_blocks(rows) if sideways else []
    if blocks:
        for block in blocks:
            _read_field_table(doc, block, sideways=False)
        return
    i = 0
    while i < len(rows):
        roles = _header_roles(rows[i])
        if not roles:
            i += 1
            continue
        header = rows[i]
        col = {role: idx for idx, role in roles.items()}
        # "Parameter | Value (| Notes)": a table of settings, every concrete value in it is fixed by the doc.
        j = i + 1
        while j < len(rows):
            row = rows[j]
            if j > i + 1 and _header_roles(row, strict=True):
                break
            j += 1
            name_cell = row[col["name"]] if col["name"] < len(row) else ""
            if not name_cell.strip():
                # A continuation row (wrapped description) adds to the field above.
                extra = " ".join(c for c in row if c.strip())
                if extra and doc.fields and "description" in col:
                    last = list(doc.fields.values())[-1]
                    if last.source == "table":
                        last.description = (last.description + " " + extra).strip()
                continue
            name, marked = _clean_name(name_cell)
            if not _looks_like_name(name) or squash(name) in _ROLE_INDEX and squash(name) in ("field", "name", "fieldname"):
                continue
            if sum(1 for c in row if c.strip()) == 1 and len(header) >= 2 and (" " in name or name_cell.strip().endswith(":")):
                continue  # a section heading or a sentence below the table
            following = rows[j] if j < len(rows) else []
            if (len(row) == 1 and len(header) >= 3 and re.fullmatch(r"[A-Z][a-z]+", name) and _lead_meaning(name) is None
                    and sum(1 for c in following if c.strip()) >= 2):
                continue  # one plain word across the table, heading the rows below it: a section such as "Tracking"
            filled = [c.strip() for c in row if c.strip()]
            if len(filled) == 2 and len(header) >= 3 and (_META_RE.match(name) or squash(name) in _SETTING_ROWS or
                                                          squash(filled[0]) in _SETTING_ROWS or
                                                          re.match(r"https?://", filled[1])):
                continue  # "Endpoint | https://..." below the field table: a setting, read as a key: value
            get = {r: (row[idx].strip() if idx < len(row) else "") for r, idx in col.items()}
            f = _Field(name=name, source="table")
            req = None
            if "required" in col:
                req = _parse_required(get["required"], header[col["required"]])
                if req is None and squash(header[col["required"]]) in _SOFT_REQUIRED:
                    req = None
            f.type = get.get("type", "")
            f.description = get.get("description", "")
            if "label" in col and get.get("label") and get["label"] != name:
                f.label = get["label"]
            f.example = _clean_value(get.get("example", ""))
            if "value" in col and get.get("value"):
                raw_value = _clean_value(get["value"])
                # "{first_name}", "lead's first name": the column describes where the value comes from.
                if _is_placeholder(raw_value) or len(raw_value.split()) >= 3 or _LEAD_HINT.search(raw_value):
                    f.description = (f.description + " " + raw_value).strip()
                else:
                    f.value = raw_value
            if not f.example:
                f.example = _example_from_text(f.description)
            if req is None:
                req = _required_from_text(f.description + " " + f.type)
            if marked and req is None:
                req = True
            f.required = req
            # A value the table fixes is a static value, in a settings table or a "Default" column beside flags.
            f.static_hint = bool(_STATIC_HINT.search(f.description + " " + get.get("required", ""))) or (
                bool(f.value) and not _LEAD_HINT.search(f.description))
            fixed = _value_from_hint(f.description)
            if not fixed and re.match(r"\s*(?:always|fixed|constant)\s+\S", get.get("required", ""), re.I):
                fixed = _value_from_hint(get["required"])  # "Required: always XSC": the row is fixed
            if fixed and (not f.example or f.example == fixed) and not f.value:
                f.value = fixed
                f.static_hint = True
            _add_field(doc, f)
        i = j


def _value_from_hint(text: str) -> str:
    """The fixed value a description names: "Always send XSC", "Use 'CreateLead'", "Fixed value: 12"."""
    quoted = re.fullmatch(r"\s*(?:always(?:\s+(?:send|use|pass|set(?:\s+to)?|be|equals?))?|fixed(?: value)?\s*[:=]?|"
                          r"constant\s*[:=]?|must be)\s+[\"“']([^\"”']{1,60})[\"”']\s*\.?\s*", text or "", re.I)
    if quoted:
        return quoted.group(1)  # 'Always "XSC Digital"': a quoted value may hold spaces
    given = re.search(r"\b(?:assigned|provided|given|issued|supplied)(?:\s+(?:by us|to you|by \w+))?\s*[:=]\s*[\"'`“]?"
                      r"([A-Za-z0-9][\w.@/-]*)[\"'`”]?\s*\.?$", text or "", re.I)
    if given:
        return given.group(1)  # "assigned by us: XSC-11"
    m = re.search(r"\b(?:always(?:\s+(?:send|use|pass|set(?:\s+to)?|be|equals?))?|use(?: the value)?|set to|"
                  r"fixed(?: value)?\s*[:=]?|constant\s*[:=]?|hard-?coded(?: to)?\s*[:=]?|must be)\s+"
                  r"[\"'`“]?([A-Za-z0-9][\w.@:/-]*(?:\s[A-Z0-9][\w.@:/-]*){0,2})[\"'`”]?\s*"
                  r"(?:(?:for|on|in|with)\b[^.]*|\([^)]*\))?\.?$",
                  text or "", re.I)
    if not m:
        return ""
    value = m.group(1)
    if value.lower() in ("required", "present", "a", "an", "the", "this", "it", "digits", "numeric", "valid",
                         "unique", "sent", "provided", "included", "empty", "blank", "lowercase", "uppercase"):
        return ""
    return value


def _example_from_text(text: str) -> str:
    m = re.search(r"\b(?:e\.?g\.?|ex(?:ample)?|sample|for example|such as)\s*[:.,]?\s*(?:\"([^\"]+)\"|'([^']+)'|`([^`]+)`|(\S+(?: \S+){0,3}))",
                  text or "", re.I)
    if not m:
        return ""
    value = next(g for g in m.groups() if g is not None)
    return value.strip().rstrip(".,;)")


def _required_from_text(text: str) -> bool | None:
    t = (text or "").lower()
    if re.search(r"\b(not required|optional|if (?:known|available)|when available)\b", t):
        return False
    if re.search(r"\b(required|mandatory|must be (?:sent|provided|present|included))\b", t):
        return True
    return None


def _add_field(doc: _Doc, f: _Field) -> None:
    key = f.name
    existing = doc.fields.get(key) or next((v for k, v in doc.fields.items() if k.lower() == key.lower()), None)
    if existing is None:
        doc.order += 1
        f.order = doc.order
        doc.fields[key] = f
        return
    # The first source keeps its spelling; later sources only fill gaps.
    if existing.required is None and f.required is not None:
        existing.required = f.required
    elif f.required and f.source in ("table", "form") and existing.source not in ("table",):
        existing.required = True
    for attr in ("type", "example", "description", "value", "label"):
        if not getattr(existing, attr) and getattr(f, attr):
            setattr(existing, attr, getattr(f, attr))
    existing.static_hint = existing.static_hint or f.static_hint
    if f.source == "table" and existing.source != "table":
        existing.source = "table"


_TABLE_SPLIT = re.compile(r"\t+|\s{2,}")


def _text_tables(lines: list[str], *, structured: bool = False,
                 spans: list[tuple[int, int]] | None = None) -> list[list[list[str]]]:
    """Tables laid out as text: markdown pipes, tabs, or columns aligned with spaces (PDF, TXT).

    With `structured` tables already read from the file, their " | " text rendering is skipped. The line
    range of each table found is added to `spans`.
    """
    tables: list[list[list[str]]] = []
    i = 0
    n = len(lines)
    spans = spans if spans is not None else []
    while i < n:
        start = i
        line = lines[i]
        if structured and " | " in line and not line.lstrip().startswith("|"):
            i += 1
            continue
        if line.count("|") >= 2 and _header_roles(_pipe_cells(line)):
            rows = [_pipe_cells(line)]
            spaced = " | " in line and not line.strip().startswith("|")
            i += 1
            while i < n and lines[i].count("|") >= 1 and (not spaced or " | " in lines[i] or lines[i].rstrip().endswith(" |")):
                cells = _pipe_cells(lines[i])
                if not all(re.fullmatch(r":?-{2,}:?|=+", c.strip()) or not c.strip() for c in cells):
                    rows.append(cells)
                i += 1
            tables.append(rows)
            spans.append((start, i))
            continue
        cells = [c for c in _TABLE_SPLIT.split(line.strip()) if c]
        if len(cells) >= 2 and _header_roles(cells):
            table, i = _aligned_table(lines, i)
            tables.append(table)
            spans.append((start, i))
            continue
        i += 1
    return tables


def _pipe_cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip() for c in s.split("|")]


def _split_crossing(cells: list[tuple[int, str]], starts: list[int]) -> list[tuple[int, str]]:
    """Split a cell that runs into the next column with a single space ("trustedform_cert No")."""
    out = []
    for pos, text in cells:
        while True:
            cut = None
            for s in starts:
                if pos < s - 1 and s - pos < len(text):
                    for k in range(max(1, s - pos - 3), min(len(text) - 1, s - pos + 2)):
                        if text[k] == " ":
                            cut = k
                            break
                if cut:
                    break
            if not cut:
                break
            out.append((pos, text[:cut]))
            pos, text = pos + cut + 1, text[cut + 1:]
        out.append((pos, text))
    return out


def _assign_columns(positions: list[int], starts: list[int]) -> list[int]:
    """Column index of each cell: in order, as close to the header starts as possible.

    Proportional fonts shift PDF columns several characters either way, so "nearest start" alone can put
    two cells in one column; keeping the order and minimising the total shift does not.
    """
    m, k = len(positions), len(starts)
    if m > k:
        return [min(range(k), key=lambda c, p=p: (abs(starts[c] - p), c)) for p in positions]
    inf = float("inf")
    # cost[i][j]: best total shift placing the first i cells with cell i-1 in column j-1.
    cost = [[inf] * (k + 1) for _ in range(m + 1)]
    back = [[0] * (k + 1) for _ in range(m + 1)]
    cost[0] = [0.0] * (k + 1)
    for i in range(1, m + 1):
        best, best_j = inf, 0
        for j in range(1, k + 1):
            if cost[i - 1][j - 1] < best:
                best, best_j = cost[i - 1][j - 1], j - 1
            if best < inf:
                cost[i][j] = best + abs(positions[i - 1] - starts[j - 1])
                back[i][j] = best_j
    j = min(range(1, k + 1), key=lambda c: cost[m][c]) if m else 0
    out = []
    for i in range(m, 0, -1):
        out.append(j - 1)
        j = back[i][j]
    return out[::-1]


def _tab_table(lines: list[str], start: int) -> tuple[list[list[str]], int]:
    """A table whose cells are separated by tabs (pasted from a spreadsheet): one row per tabbed line."""
    rows = [[c.strip() for c in lines[start].strip().split("\t") if c.strip()]]
    i = start + 1
    while i < len(lines) and "\t" in lines[i].strip():
        rows.append([c.strip() for c in re.split(r"\t", lines[i].strip())])
        i += 1
    return rows, i


def _aligned_table(lines: list[str], start: int) -> tuple[list[list[str]], int]:
    if "\t" in lines[start].strip() and "\t" in (lines[start + 1] if start + 1 < len(lines) else ""):
        return _tab_table(lines, start)
    header_line = lines[start].expandtabs(8)
    spans = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", header_line)]
    starts = [s for s, _ in spans]
    rows = [[c for _, c in spans]]
    roles = _header_roles(rows[0]) or {0: "name"}
    name_col = next((k for k, r in roles.items() if r == "name"), 0)
    i = start + 1
    blanks = 0
    while i < len(lines):
        line = lines[i].expandtabs(8)
        if not line.strip():
            blanks += 1
            if blanks > 2:
                break
            i += 1
            continue
        if re.fullmatch(r"[\s\-=_+|]+", line):
            i += 1
            continue
        raw_cells = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", line)]
        first_start, first = raw_cells[0]
        if len(raw_cells) == 1 and not blanks and any(abs(first_start - st) <= 3 for st in starts[name_col + 1:]):
            # A description wrapped onto the next line, under its own column: it belongs to the row above.
            row = [""] * len(starts)
            row[min(range(len(starts)), key=lambda k: abs(starts[k] - first_start))] = first
            rows.append(row)
            i += 1
            continue
        if first.endswith(":") or (blanks and len(raw_cells) == 1) or (len(raw_cells) == 1 and " " in first):
            break
        if len(raw_cells) >= 2 and _header_roles([c for _, c in raw_cells], strict=True):
            break  # the next table's header
        # Only a row with fewer cells than columns can hide two cells joined by a single space.
        cells_at = _split_crossing(raw_cells, starts) if len(raw_cells) < len(starts) else raw_cells
        if len(cells_at) > len(starts):
            cells_at = raw_cells
        if first_start < min(starts) - 4:
            break  # text that starts left of the table is prose after it
        row = [""] * len(starts)
        for idx, (_pos, cell) in zip(_assign_columns([p for p, _ in cells_at], starts), cells_at, strict=True):
            row[idx] = (row[idx] + " " + cell).strip()
        name_cell = row[name_col]
        if name_cell and not _looks_like_name(_clean_name(name_cell)[0]):
            break
        blanks = 0
        rows.append(row)
        i += 1
    return rows, i
