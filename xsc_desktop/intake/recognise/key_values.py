"""Recogniser: `key: value` lines ("Endpoint: https://…", "Method - POST")."""

from __future__ import annotations

import re

from xsc_desktop.intake.recognise.records import _Doc
from xsc_desktop.intake.recognise.tables import _TABLE_SPLIT, _header_roles, _pipe_cells
from xsc_desktop.intake.recognise.vocabulary import _looks_like_name


def _key_values(doc: _Doc) -> list[tuple[str, str, int]]:
    """Every "label: value" the doc states: colon lines, two-cell table rows, two-column aligned lines."""
    pairs: list[tuple[str, str, int]] = []
    in_table = set()
    for a, b in doc.table_spans:
        in_table.update(range(a, b))
    for i, line in enumerate(doc.lines):
        s = line.strip().lstrip("-*•>#").strip()
        s = re.sub(r"\*\*|__", "", s)
        if doc.tables and re.match(r"^\s*\|\s", line) and not line.rstrip().endswith("|"):
            continue  # a spreadsheet row whose first cell is empty ("| Chicago | City"): no setting
        m = re.match(r"^([A-Za-z_][\w .\-/\[\]()]{0,50}?)\s*(?::|=|\|)\s*(\S.*)$", s)
        if line.lstrip().startswith("|") or (not m and i not in in_table):
            # "| Endpoint | https://... |" and "Endpoint     https://..." (a two-column settings block)
            cells = [c for c in (_pipe_cells(line) if line.lstrip().startswith("|") else _TABLE_SPLIT.split(s)) if c.strip()]
            if len(cells) == 2 and _looks_like_name(cells[0].rstrip(":")) and i not in in_table:
                m = re.match(r"^(.*)\x00(.*)$", cells[0].rstrip(": ") + "\x00" + cells[1].strip())
            elif line.lstrip().startswith("|"):
                continue
        if not m or (" | " in m.group(2) and m.group(2).count("|") >= 2):
            continue  # a table row rendered as text, read with its table
        key, value = m.group(1).strip(), m.group(2).strip().lstrip("| ").strip()
        key = re.sub(r"^(?:http\s+)?headers?\s*[:\-]?\s+(?=[\w-]+$)", "", key, flags=re.I)
        key = re.sub(r"^((?:x-[\w-]+)|authorization)\s+header$", r"\1", key, flags=re.I)
        if "://" in key or key.lower() in ("http", "https"):
            continue
        inner = re.match(r"^((?:x-[\w-]+)|authorization|api-?key)\s*:\s*(\S.*)$", value, re.I)
        if inner:
            pairs.append((inner.group(1), inner.group(2).strip(), i))
        if "|" in value and not re.search(r"\w\|\w", value):
            parts = [p.strip() for p in value.split("|")]
            value = parts[0] if parts else value
        pairs.append((key, value, i))
    for rows in doc.tables:
        seen_header = False
        for row in rows:
            cells = [c for c in row if c.strip()]
            seen_header = seen_header or bool(_header_roles(row))
            # Above a field table, a settings row may carry a note in a third cell: "URL | https://... | live".
            if len(cells) == 3 and not seen_header and not _header_roles(row):
                cells = cells[:2]
            if seen_header and cells and row and row[0].strip() != cells[0]:
                continue  # "| Chicago | City |" inside a field table is an example beside a name, not a setting
            if len(cells) == 2 and _looks_like_name(re.sub(r"\s*\([^)]*\)", "", cells[0]).rstrip(": ")) and len(
                    cells[1]) < 300:
                key = re.sub(r"^(?:http\s+)?headers?\s*[:\-]?\s+(?=[\w-]+$)", "", cells[0].strip().rstrip(":").strip(),
                             flags=re.I)
                pairs.append((key, cells[1].strip(), -1))
                inner = re.match(r"^((?:x-[\w-]+)|authorization|api-?key)\s*:\s*(\S.*)$", cells[1].strip(), re.I)
                if inner:
                    pairs.append((inner.group(1), inner.group(2).strip(), -1))
    return pairs
