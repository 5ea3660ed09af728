"""The working records the recognisers fill in: a field, a static value, a sample request, the doc."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class _Field:
    name: str
    required: bool | None = None
    type: str = ""
    example: str = ""
    description: str = ""
    value: str = ""  # a value the doc fixes (a "Value"/"Default" column), not an example
    source: str = ""  # table, sample, form, list, prose, query
    static_hint: bool = False
    hidden: bool = False
    label: str = ""
    order: int = 0


@dataclass
class _Static:
    name: str
    value: str
    location: str = "body"
    source: str = ""


@dataclass
class _Sample:
    kind: str  # json, xml, form, query
    body: object
    start: int
    role: str  # request or response
    context: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    method: str = ""
    url: str = ""


@dataclass
class _Doc:
    text: str
    lines: list[str]
    tables: list[list[list[str]]]
    fields: dict[str, _Field] = field(default_factory=dict)
    statics: dict[str, _Static] = field(default_factory=dict)
    kv: list[tuple[str, str, int]] = field(default_factory=list)
    samples: list[_Sample] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    order: int = 0
    form_post: bool = False
    text_tables: list[list[list[str]]] = field(default_factory=list)
    table_spans: list[tuple[int, int]] = field(default_factory=list)  # line ranges of field tables in the text
