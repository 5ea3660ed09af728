"""The recognisers' own estimate of the draft's confidence (the pipeline caps it by its findings)."""

from __future__ import annotations

from xsc_desktop.intake.recognise.records import _Doc
from xsc_desktop.intake.recognise.vocabulary import _is_placeholder


def _confidence(doc: _Doc, endpoint: str | None, fields: list[dict], statics: list[dict]) -> float:
    score = 0.0
    if endpoint:
        score += 0.3
        if not any(w.startswith("No URL in the doc looks") for w in doc.warnings):
            score += 0.05
    if fields:
        score += 0.25
        mapped = sum(1 for f in fields if f["maps_to"])
        score += 0.2 * mapped / len(fields)
        if any(f.source == "table" for f in doc.fields.values()):
            score += 0.1
    if not any(_is_placeholder(s["value"]) for s in statics):
        score += 0.1
    score -= 0.03 * max(0, len(doc.warnings) - 2)
    return round(max(0.0, min(1.0, score)), 2)
