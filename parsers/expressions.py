"""The small expression languages a parser spec uses: `{placeholders}`, JSON paths and XPath.

Shared by validation (spec.py), rendering (render.py) and answer classification (outcome.py), so each
language is parsed one way only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

# `{name}` where name is a letter/underscore followed by letters, digits, underscores, dots or dashes.
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")
_ANY_BRACE_RE = re.compile(r"[{}]")


class ExpressionError(ValueError):
    """A placeholder text, JSON path or XPath that cannot be understood; the message says why."""


def placeholders(text: str) -> list[str]:
    """The placeholder names in `text`, in order of first appearance, without repeats."""
    seen: dict[str, None] = {}
    for name in PLACEHOLDER_RE.findall(text or ""):
        seen.setdefault(name, None)
    return list(seen)


def check_placeholders(text: str) -> str | None:
    """None when every brace in `text` belongs to a well-formed `{name}`, else a plain message."""
    leftover = PLACEHOLDER_RE.sub("", text or "")
    if _ANY_BRACE_RE.search(leftover):
        return "has a stray '{' or '}' or a placeholder with a bad name (use {name} with letters, digits, _ . -)"
    return None


def fill_placeholders(text: str, values: Mapping[str, Any], missing: list[str] | None = None) -> str:
    """Replace each `{name}` by `values[name]` (as text); names without a value become "" and go to `missing`."""
    if "{" not in text:
        return text

    def _sub(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name)
        if value is None or value == "":
            if missing is not None and name not in missing:
                missing.append(name)
            return ""
        return str(value)

    return PLACEHOLDER_RE.sub(_sub, text)


# ---- JSON paths -------------------------------------------------------------------------------------------
# Accepted forms: "$.data.id", "data.id", "data.items[0].id", "$[0].status", "result". Keys are taken
# literally between dots; a key holding a dot or bracket can be quoted: $["odd.key"].
_JSON_TOKEN_RE = re.compile(r"""\.?([A-Za-z0-9_\-@$ ]+)|\[(\d+)\]|\[(-1)\]|\["([^"]*)"\]|\['([^']*)'\]""")


@lru_cache(maxsize=512)
def parse_json_path(path: str) -> tuple[str | int, ...]:
    """Split a JSON path into keys (str) and list indexes (int); raise ExpressionError when malformed."""
    text = (path or "").strip()
    if not text:
        raise ExpressionError("is empty")
    if text.startswith("$"):
        text = text[1:]
        if not text:
            return ()
        if text[0] not in ".[":
            raise ExpressionError(f"'{path}' must go on with '.' or '[' after '$'")
    parts: list[str | int] = []
    pos = 0
    while pos < len(text):
        match = _JSON_TOKEN_RE.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"'{path}' is not a JSON path like $.data.id or items[0].id")
        key, index, last, dq, sq = match.groups()
        if key is not None:
            if key.strip() != key or (pos > 0 and text[pos] != "."):
                raise ExpressionError(f"'{path}' is not a JSON path like $.data.id or items[0].id")
            parts.append(key)
        elif index is not None:
            parts.append(int(index))
        elif last is not None:
            parts.append(-1)
        else:
            parts.append(dq if dq is not None else sq)
        pos = match.end()
    return tuple(parts)


_MISSING = object()


def get_json_path(document: Any, path: str) -> Any:
    """The value at `path` in a parsed JSON document, or None when any step is absent.

    Key lookups fall back to a case-insensitive match, since intake systems vary the case of keys.
    """
    try:
        parts = parse_json_path(path)
    except ExpressionError:
        return None
    node = document
    for part in parts:
        if isinstance(part, int):
            if not isinstance(node, list) or not -len(node) <= part < len(node):
                return None
            node = node[part]
        elif isinstance(node, dict):
            value = node.get(part, _MISSING)
            if value is _MISSING:
                lowered = part.lower()
                value = next((v for k, v in node.items() if isinstance(k, str) and k.lower() == lowered), _MISSING)
            if value is _MISSING:
                return None
            node = value
        else:
            return None
    return node


# ---- XPath (ElementTree's subset) ---------------------------------------------------------------------------
def check_xpath(expr: str) -> str | None:
    """None when ElementTree can run `expr` (its XPath subset), else a plain message."""
    import xml.etree.ElementTree as ET

    text = (expr or "").strip()
    if not text:
        return "is empty"
    try:
        ET.Element("root").findall(_relative_xpath(text))
    except (SyntaxError, KeyError, TypeError, ValueError) as exc:
        return f"'{expr}' is not an XPath this app understands ({exc or 'syntax error'}); use forms like .//Response or /PostResponse/Response"
    return None


def _relative_xpath(expr: str) -> str:
    """ElementTree refuses absolute paths; '/Root/Child' becomes './Child' when run on the root element."""
    text = expr.strip()
    if text.startswith("//"):
        return "." + text
    if text.startswith("/"):
        # The first step names the root element itself, which find() is run on.
        rest = text[1:].split("/", 1)
        return "./" + rest[1] if len(rest) > 1 else "."
    return text


def xpath_text(root: Any, expr: str) -> str | None:
    """The stripped text of the first element `expr` selects under the parsed XML `root`, or None.

    An absolute path whose first step does not name the root falls back to a search anywhere.
    """
    text = expr.strip()
    try:
        if text.startswith("/") and not text.startswith("//"):
            first = text[1:].split("/", 1)[0]
            if first not in (root.tag, "*"):
                return xpath_text(root, "/" + text)
        found = root.find(_relative_xpath(text))
    except (SyntaxError, KeyError, TypeError, ValueError):
        return None
    if found is None:
        return None
    return "".join(found.itertext()).strip()
