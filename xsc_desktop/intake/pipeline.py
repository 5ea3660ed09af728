"""The intake analysis pipeline, in the order it runs:

1. blocks    — the extracted text, its tables and forms, the messages of a reply thread (newest first);
2. recognise — the table/sample/prose/URL recognisers (`recognise/`, one concern per module) and the notation recognisers
               (`recognisers.py`: `CustomNNN = Label`, `00N…` ids, name/value arrays, API-name columns);
3. reconcile — a later e-mail beats an earlier one (`thread.py`);
4. safety    — the rules in `safety.py`, checked last;
5. confidence — lowered by every safety finding, doubt and dropped row (`confidence()` below).

The result is a typed `Draft` whose values carry their evidence; `analyze()` returns its dict.

Precedence, where two readings of the doc disagree:
- a sample request beats prose for the posted names (the recognisers read samples first);
- a table's fixed-value column beats an example column (`recognisers.value_column`);
- a later e-mail in a thread beats an earlier one (`thread.py`); what it changes but does not spell out is a doubt;
- a URL the doc marks deprecated, legacy, old, "do not use", sandbox or staging loses to any other (`safety`);
- an explicit "do not send" beats a sample that shows the value; "for testing" beats "fixed";
- an HTML form's action, hidden inputs and controls beat what the page's prose says about them.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from xsc_desktop.intake import recognisers, safety, thread
from xsc_desktop.intake.draft import Draft, Finding
from xsc_desktop.intake.extract import Extracted
from xsc_desktop.intake.recognise import recognise

TEXT_BUDGET = 120_000  # characters analysed (about 50 pages); a longer doc is analysed up to here and says so


def analyze(extracted: Extracted, file: str = "") -> dict:
    """Turn an extracted posting doc into the draft parser setup (the `intake --json` object)."""
    return run(extracted, file).to_dict()


def run(extracted: Extracted, file: str = "") -> Draft:
    text = extracted.text or ""
    cut = len(text) > TEXT_BUDGET
    if cut:
        end = text.rfind("\n", 0, TEXT_BUDGET)
        text = text[:end if end > TEXT_BUDGET // 2 else TEXT_BUDGET]
        extracted = Extracted(text=text, tables=extracted.tables, format=extracted.format,
                              warnings=list(extracted.warnings), forms=extracted.forms)
    repaired, repairs = repair_text(extracted)
    legacy = recognise(unquoted(repaired), file)
    ctx = safety.Context.of(repaired)  # spans index the repaired text: equal to the stored one unless repaired
    draft = Draft.from_legacy(legacy, ctx.locate)
    for finding in repairs:
        draft.add_finding(finding)
    if cut:
        draft.add_finding(Finding("size_budget", f"The doc is long; only its first {len(text) // 1000} KB of text "
                                  "were analysed. Check the rest by hand.", "doubt"))
    recognisers.apply_all(draft, ctx)
    thread.apply_corrections(draft, ctx)
    safety.apply_all(draft, ctx)
    draft.confidence = confidence(draft, float(legacy.get("confidence") or 0.0))
    _mask_secrets(draft)
    return draft


_QUOTE_MARKS = re.compile(r"^(?:> ?)+", re.M)


def unquoted(extracted: Extracted) -> Extracted:
    """The recognisers read a quoted e-mail ("> first_name (required)") as its text: quote marks become blanks of
    the same width, so every span still points at the stored text. The thread's messages are told apart on the
    stored text, markers and all."""
    text = extracted.text or ""
    if "\n>" not in text and not text.startswith(">"):
        return extracted
    return replace(extracted, text=_QUOTE_MARKS.sub(lambda m: " " * len(m.group(0)), text))


_LONG_BLANKS = re.compile(r"[ \t]{65,}")
_WRAPPED_TAIL = re.compile(r"https?://\S{0,2000}\?\S{0,2000}$")
_QUERY_HEAD = re.compile(r"^[A-Za-z0-9_%.\[\]-]{0,80}(?:=[^\s&]{0,400})?&\S{0,4000}$|^[A-Za-z0-9_%.-]{1,80}=\S{0,4000}$")


def repair_text(extracted: Extracted) -> tuple[Extracted, list[Finding]]:
    """Text the recognisers read better repaired: a URL a PDF wrapped onto the next line is joined, and a
    Postman collection's {{variables}} are filled in. Each repair is named as a doubt."""
    text = extracted.text or ""
    findings: list[Finding] = []
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        head = line.strip()
        tail = out[-1].rstrip() if out else ""
        # Only a URL that is visibly cut (it ends in & ? =) or a full-width PDF line is joined: a form body
        # written under its URL stays a body.
        cut = tail.endswith(("&", "?", "=")) or (extracted.format == "pdf" and len(tail) >= 80)
        if head and cut and _QUERY_HEAD.match(head) and _WRAPPED_TAIL.search(tail[-4000:]):
            out[-1] = out[-1].rstrip() + head
            findings.append(Finding("wrapped_url", "A URL wrapped across two lines was joined; check the endpoint "
                                    "and its parameters.", "doubt"))
            continue
        out.append(line)
    text = "\n".join(out)
    if "        " * 8 in text:
        text = _LONG_BLANKS.sub(" " * 64, text)  # no layout needs more; long runs only slow the line patterns
    if extracted.format == "json" and "{{" in text and '"variable"' in text:
        text = _fill_postman_variables(text, findings)
    if text == extracted.text:
        return extracted, findings
    return replace(extracted, text=text), findings


def _fill_postman_variables(text: str, findings: list[Finding]) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text
    variables = data.get("variable") if isinstance(data, dict) else None
    if not isinstance(variables, list):
        return text
    values = {str(v.get("key")): str(v.get("value", "")) for v in variables if isinstance(v, dict) and v.get("key")}
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", json.dumps(value)[1:-1])
    if values:
        findings.append(Finding("postman_variables", f"The collection's variables ({', '.join(sorted(values))}) were "
                                "filled in.", "info"))
    return text


def confidence(draft: Draft, base: float) -> float:
    """The recognisers' own confidence, capped by what the rules found: a draft with a safety finding never
    claims 0.9, nor one with an open doubt, an unmapped field or no endpoint."""
    c = base
    safety_n = sum(f.severity == "safety" for f in draft.findings)
    doubt_n = sum(f.severity == "doubt" for f in draft.findings)
    if safety_n:
        c = min(c, 0.85) - 0.05 * (safety_n - 1)
    if doubt_n:
        c = min(c, 0.89) - 0.03 * (doubt_n - 1)
    if not draft.endpoint:
        c = min(c, 0.5)
    if not draft.fields:
        c = min(c, 0.4)
    elif any(f.maps_to is None for f in draft.fields):
        c = min(c, 0.89)
    return round(max(0.0, min(1.0, c)), 2)


def _mask_secrets(draft: Draft) -> None:
    """Evidence never shows a secret value: it is replaced by bullets of the same length."""
    values = sorted({s.value for s in draft.statics if s.secret and len(s.value) >= 3} |
                    {re.sub(r"^bearer\s+", "", s.value, flags=re.I) for s in draft.statics
                     if s.secret and len(s.value) >= 10}, key=len, reverse=True)
    if not values:
        return

    def mask(ev):  # Evidence | None
        if ev is None:
            return None
        text = ev.text
        for v in values:
            text = text.replace(v, "•" * len(v))
        return replace(ev, text=text)

    for item in (*draft.fields, *draft.statics, *draft.findings):
        item.evidence = mask(item.evidence)
    draft.evidence = {k: mask(v) for k, v in draft.evidence.items()}
