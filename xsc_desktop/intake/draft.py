"""The draft parser setup intake produces, typed: every value carries the span of the doc that says it.

`Draft.to_dict()` is the intake JSON object the rest of the app reads (`intake --json`, the review dialog,
`store.apply`); it adds `findings` (safety rules triggered and doubts, the ones to review first) and an
`evidence` span beside each value. Spans are character offsets into the extracted text.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

SEVERITY_ORDER = {"safety": 0, "doubt": 1, "info": 2}


@dataclass(frozen=True)
class Evidence:
    """Where the doc says something: [start, end) in the extracted text, and the line it sits on."""

    start: int
    end: int
    line: int
    text: str
    source: str = ""  # the recogniser or rule that read it

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "line": self.line, "text": self.text, "source": self.source}


@dataclass
class Finding:
    """A safety rule that fired or a doubt the operator should settle before applying the draft."""

    rule: str  # test_value, negated, return_url, endpoint_marked, format_value, html_form, thread, conflict,
    #            dropped_row, no_value, size_budget, two_endpoints
    message: str  # one plain sentence
    severity: str = "doubt"  # safety (a value was changed or withheld to avoid harm), doubt, info
    evidence: Evidence | None = None
    about: tuple[str, str] | None = None  # ("field"|"static", name), ("endpoint", ""), ("test", "")

    @property
    def kind(self) -> str:
        """The review's finding kind: safety, conflict, dropped or doubt."""
        if self.severity == "safety":
            return "safety"
        if self.rule in ("conflict", "thread", "two_endpoints") and self.severity == "doubt":
            return "conflict"
        return "dropped" if self.rule == "dropped_row" else "doubt"

    @property
    def blocking(self) -> bool:
        """Apply waits for a person on a safety rule that fired and on two places of the doc that disagree."""
        return self.kind in ("safety", "conflict")

    def as_dict(self, key: str | None = None) -> dict:
        return {"rule": self.rule, "severity": self.severity, "kind": self.kind, "message": self.message,
                "evidence": self.evidence.as_dict() if self.evidence else None, "blocking": self.blocking,
                "resolved": False, "key": key}


@dataclass
class FieldDraft:
    name: str
    required: bool = False
    type: str = "string"
    example: str = ""
    description: str = ""
    maps_to: str | None = None
    evidence: Evidence | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "required": bool(self.required), "type": self.type, "example": self.example,
                "description": self.description, "maps_to": self.maps_to,
                "evidence": self.evidence.as_dict() if self.evidence else None}


@dataclass
class StaticDraft:
    name: str
    value: str
    location: str = "body"
    secret: bool = False
    evidence: Evidence | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "location": self.location, "secret": self.secret,
                "evidence": self.evidence.as_dict() if self.evidence else None}


@dataclass
class Draft:
    file: str
    system: str
    endpoint: str | None
    method: str
    format: str
    fields: list[FieldDraft] = field(default_factory=list)
    statics: list[StaticDraft] = field(default_factory=list)
    test: dict | None = None
    response_rules: list[dict] = field(default_factory=list)
    confidence: float = 0.0
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    evidence: dict[str, Evidence | None] = field(default_factory=dict)  # endpoint, method, format, test
    extra: dict = field(default_factory=dict)

    # ---- lookups the rules use
    def field_named(self, name: str) -> FieldDraft | None:
        return next((f for f in self.fields if f.name == name), None)

    def static_named(self, name: str) -> StaticDraft | None:
        return next((s for s in self.statics if s.name == name), None)

    def names(self) -> set[str]:
        out = {f.name.lower() for f in self.fields} | {s.name.lower() for s in self.statics}
        if self.test:
            out.add(str(self.test.get("name") or "").lower())
        return out

    def add_finding(self, finding: Finding) -> None:
        key = (finding.rule, finding.message)
        if all((f.rule, f.message) != key for f in self.findings):
            self.findings.append(finding)

    # ---- conversion
    @classmethod
    def from_legacy(cls, result: dict, locate: Locator) -> Draft:
        """The dict the table/sample/prose recognisers build, with evidence found for every value."""
        fields = [FieldDraft(name=f["name"], required=bool(f.get("required")), type=f.get("type") or "string",
                             example=f.get("example") or "", description=f.get("description") or "",
                             maps_to=f.get("maps_to"), evidence=locate.name(f["name"], "recognisers"))
                  for f in result.get("fields") or []]
        statics = [StaticDraft(name=s["name"], value=str(s.get("value", "")), location=s.get("location") or "body",
                               secret=bool(s.get("secret")), evidence=locate.pair(s["name"], str(s.get("value", "")),
                                                                                  "recognisers"))
                   for s in result.get("static") or []]
        known = {"file", "system", "endpoint", "method", "format", "fields", "static", "test", "response_rules",
                 "confidence", "warnings"}
        draft = cls(file=result.get("file") or "", system=result.get("system") or "generic",
                    endpoint=result.get("endpoint"), method=result.get("method") or "POST",
                    format=result.get("format") or "json", fields=fields, statics=statics, test=result.get("test"),
                    response_rules=list(result.get("response_rules") or []),
                    confidence=float(result.get("confidence") or 0.0), warnings=list(result.get("warnings") or []),
                    extra={k: v for k, v in result.items() if k not in known})
        draft.evidence["endpoint"] = locate.word(draft.endpoint or "", "recognisers")
        if draft.test:
            draft.evidence["test"] = locate.pair(str(draft.test.get("name")), str(draft.test.get("value")), "recognisers")
        return draft

    def to_dict(self) -> dict:
        findings = sorted(self.findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 3))
        test = dict(self.test) if self.test else None  # its evidence is at evidence["test"]
        return {
            "file": self.file, "system": self.system, "endpoint": self.endpoint, "method": self.method,
            "format": self.format, "fields": [f.as_dict() for f in self.fields],
            "static": [s.as_dict() for s in self.statics], "test": test, "response_rules": self.response_rules,
            "confidence": self.confidence, "warnings": self.warnings,
            "findings": [f.as_dict(self._key_of(f)) for f in findings],
            "evidence": {k: (v.as_dict() if v else None) for k, v in self.evidence.items()},
            **self.extra,
        }


    def _key_of(self, finding: Finding) -> str | None:
        """The review's key of what a finding is about: "endpoint", "test", "field:3", "static:1"."""
        if finding.about is None:
            return None
        kind, name = finding.about
        if kind in ("endpoint", "test"):
            return kind
        items = self.fields if kind == "field" else self.statics
        index = next((i for i, item in enumerate(items) if item.name == name), None)
        return f"{kind}:{index}" if index is not None else None


class Locator:
    """Finds where the text says a name, a value or a name beside its value. Plain `str.find`: linear."""

    MAX_HITS = 200  # occurrences of one word looked at before giving up

    def __init__(self, text: str) -> None:
        self.text = text
        self.low = text.lower()
        self.line_starts = [0]
        pos = text.find("\n")
        while pos >= 0:
            self.line_starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def line_of(self, pos: int) -> int:
        return bisect.bisect_right(self.line_starts, pos) - 1

    def line_span(self, line: int) -> tuple[int, int]:
        start = self.line_starts[line]
        end = self.line_starts[line + 1] - 1 if line + 1 < len(self.line_starts) else len(self.text)
        return start, end

    def line_text(self, line: int) -> str:
        start, end = self.line_span(line)
        return self.text[start:end]

    def evidence(self, start: int, end: int, source: str) -> Evidence:
        line = self.line_of(start)
        ls, le = self.line_span(line)
        snippet = self.text[ls:max(le, min(end, ls + 300))][:300].strip()
        return Evidence(start=start, end=end, line=line + 1, text=snippet, source=source)

    def hits(self, word: str) -> list[int]:
        """Start offsets of `word` (case-insensitive) where it is not part of a longer word."""
        if not word:
            return []
        w = word.lower()
        out = []
        pos = self.low.find(w)
        while pos >= 0 and len(out) < self.MAX_HITS:
            before = self.low[pos - 1] if pos else " "
            after = self.low[pos + len(w)] if pos + len(w) < len(self.low) else " "
            edge_ok = (not (w[0].isalnum() or w[0] == "_") or not (before.isalnum() or before == "_")) and (
                not (w[-1].isalnum() or w[-1] == "_") or not (after.isalnum() or after == "_"))
            if edge_ok:
                out.append(pos)
            pos = self.low.find(w, pos + 1)
        return out

    def word(self, word: str, source: str) -> Evidence | None:
        hits = self.hits(word)
        return self.evidence(hits[0], hits[0] + len(word), source) if hits else None

    def name(self, name: str, source: str) -> Evidence | None:
        ev = self.word(name, source)
        if ev is None and "." in name:
            ev = self.word(name.rsplit(".", 1)[-1], source)
        return ev

    def pair(self, name: str, value: str, source: str) -> Evidence | None:
        """The first line that holds both the name and the value (else the name alone)."""
        value_low = value.lower()
        for pos in self.hits(name.rsplit(".", 1)[-1] if "." in name else name):
            line = self.line_of(pos)
            ls, le = self.line_span(line)
            if not value_low or value_low in self.low[ls:le]:
                return self.evidence(pos, pos + len(name), source)
        return self.name(name, source)

    def lines_with(self, word: str) -> list[int]:
        seen: list[int] = []
        for pos in self.hits(word):
            line = self.line_of(pos)
            if not seen or seen[-1] != line:
                seen.append(line)
        return seen
