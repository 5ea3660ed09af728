"""A later e-mail in a reply thread beats an earlier one. The newest message's corrections are applied to
the draft ("the new one is LR-77f0…", "00N…r, not 00N…q", "Custom1016 is the accident date"); a correction
that cannot be applied is named as a doubt, never dropped silently."""

from __future__ import annotations

import re

from xsc_desktop.intake.blocks import sentences
from xsc_desktop.intake.draft import Draft, Finding
from xsc_desktop.intake.safety import Context, _meaning

_NEW_VALUE = re.compile(r"\bnew\s+(?:one|key|token|value|id|password)\s+is\s*:?\s+[`'\"]?([\w.@:/-]{3,120}?)[`'\"]?"
                        r"(?=[\s,;]|\.?$|\.\s)", re.I)
_INSTEAD = (re.compile(r"(?<![\w.-])([\w.-]{2,64})[`'\"]?,?\s+not\s+[`'\"]?([\w.-]{2,64})(?![\w-])", re.I),
            re.compile(r"(?<![\w.-])([\w.-]{2,64})[`'\"]?\s+instead\s+of\s+[`'\"]?([\w.-]{2,64})(?![\w-])", re.I))
_IS_THE = re.compile(r"(?<![\w.-])([A-Za-z_][\w.-]{1,63})\s+is\s+(?:the|a|an)\s+([a-z][a-z ]{2,40}?)"
                     r"(?=\s*(?:\(|,|;|\.|$)|\s+and\b)", re.I)
_CLAUSE = re.compile(r",\s+and\s+|;\s+|\s+-\s+|\s+–\s+")
_CUE = re.compile(r"\b(?:correction|correct(?:ed)?|instead|changed?|swapped|wrong|updated?|new one|rotated|replaced?|"
                  r"no longer)\b", re.I)


def apply_corrections(draft: Draft, ctx: Context) -> None:
    if len(ctx.messages) < 2:
        return
    latest = ctx.messages[0]
    for n, paragraph in _paragraphs(ctx, latest.first_line, latest.last_line):
        for sentence in sentences(paragraph):
            n = _line_of_sentence(ctx, sentence, n)
            before = len(draft.findings)
            (_new_value(draft, ctx, sentence, n), _instead(draft, ctx, sentence, n), _labels(draft, ctx, sentence, n),
             _added(draft, ctx, sentence, n), _required_now(draft, ctx, sentence, n))
            touched = " ".join(f.message for f in draft.findings[before:]).lower()
            for clause in _CLAUSE.split(sentence):
                if _CUE.search(clause) and _mentions_draft(draft, clause, touched):
                    draft.add_finding(Finding("thread", f"A later mail says: “{clause[:160]}” — check the draft "
                                              "follows it.", "doubt", ctx.evidence_at_line(n, "thread")))


def _mentions_draft(draft: Draft, clause: str, touched: str = "") -> bool:
    """The clause names something of the draft that no correction of its sentence has dealt with."""
    low = clause.lower()
    return any(name and name in low and name not in touched for name in draft.names()) or bool(
        draft.endpoint and draft.endpoint.lower() in low and draft.endpoint.lower() not in touched)


def _new_value(draft: Draft, ctx: Context, sentence: str, n: int) -> bool:
    m = _NEW_VALUE.search(sentence)
    if not m:
        return False
    value = m.group(1)
    low = sentence.lower()
    target = next((s for s in draft.statics if s.name.lower() in low.split() or s.name.lower() + "s" in low), None)
    if target is None:
        target = next((s for s in draft.statics if _same_shape(s.value, value)), None)
    if target is None or target.value == value:
        return False
    old = target.value
    target.value = value
    target.evidence = ctx.evidence_at_line(n, "thread")
    draft.add_finding(Finding("thread", f"A later mail replaces {target.name}"
                              + ("" if target.secret else f" {old} with {value}") + ".", "info", target.evidence))
    return True


def _same_shape(a: str, b: str) -> bool:
    return (len(a) >= 6 and abs(len(a) - len(b)) <= 3 and a[:2].lower() == b[:2].lower()
            and re.sub(r"[A-Za-z0-9]", "x", a) == re.sub(r"[A-Za-z0-9]", "x", b))


def _instead(draft: Draft, ctx: Context, sentence: str, n: int) -> bool:
    done = False
    for pattern in _INSTEAD:
        for m in pattern.finditer(sentence):
            new, old = m.group(1), m.group(2)
            f = draft.field_named(old)
            if f is not None and draft.field_named(new) is None:
                f.name = new
                f.evidence = ctx.evidence_at_line(n, "thread")
                draft.add_finding(Finding("thread", f"A later mail renames the field {old} to {new}.", "info",
                                          f.evidence))
                done = True
                continue
            s = next((s for s in draft.statics if s.value == old), None)
            if s is not None:
                s.value = new
                s.evidence = ctx.evidence_at_line(n, "thread")
                draft.add_finding(Finding("thread", f"A later mail sets {s.name} to {new}.", "info", s.evidence))
                done = True
    return done


def _labels(draft: Draft, ctx: Context, sentence: str, n: int) -> bool:
    done = False
    for m in _IS_THE.finditer(sentence):
        f = draft.field_named(m.group(1))
        if f is None:
            continue
        meaning = _meaning(f.name, m.group(2))
        if meaning and meaning != f.maps_to:
            f.maps_to = meaning
            f.description = m.group(2)
            draft.add_finding(Finding("thread", f"A later mail says {f.name} is the {m.group(2)}.", "info",
                                      ctx.evidence_at_line(n, "thread")))
            done = True
    return done


_ADDED = re.compile(r"\b(?:plus|also send|add(?:ed)?|new field)\s+[`'\"]?([A-Za-z_][\w.-]{1,63})[`'\"]?"
                    r"(\s*\((?:required|mandatory)[^)]{0,30}\))?", re.I)


def _paragraphs(ctx: Context, first: int, last: int) -> list[tuple[int, str]]:
    """Lines of a message joined into paragraphs (a mail wraps its sentences), with their first line."""
    out: list[tuple[int, str]] = []
    start, parts = first, []
    for n in range(first, last + 1):
        line = ctx.line(n).strip()
        if line:
            if not parts:
                start = n
            parts.append(line)
        elif parts:
            out.append((start, " ".join(parts)))
            parts = []
    if parts:
        out.append((start, " ".join(parts)))
    return out


def _added(draft: Draft, ctx: Context, sentence: str, n: int) -> bool:
    """"Same fields as before, plus _Injury_Type (required now)": a field the later mail adds."""
    from xsc_desktop.intake.draft import FieldDraft

    done = False
    for m in _ADDED.finditer(sentence):
        name = m.group(1)
        if not re.search(r"[_\d]|[a-z][A-Z]", name) or draft.field_named(name) or draft.static_named(name):
            continue
        f = FieldDraft(name=name, required=bool(m.group(2)), maps_to=_meaning(name, ""),
                       evidence=ctx.evidence_at_line(n, "thread"))
        draft.fields.append(f)
        draft.add_finding(Finding("thread", f"A later mail adds the field {name}.", "info", f.evidence))
        done = True
    return done


_REQUIRED_NOW = re.compile(r"(?<![\w.-])([A-Za-z_][\w.-]{1,63})\s+is\s+(?:now\s+)?(optional|required|mandatory)"
                           r"(?:\s+now)?\b", re.I)


def _required_now(draft: Draft, ctx: Context, sentence: str, n: int) -> bool:
    """"phone is optional now": the later mail changes whether a field is required."""
    done = False
    for m in _REQUIRED_NOW.finditer(sentence):
        f = draft.field_named(m.group(1))
        flag = m.group(2).lower() != "optional"
        if f is not None and f.required != flag:
            f.required = flag
            draft.add_finding(Finding("thread", f"A later mail makes {f.name} {m.group(2).lower()}.", "info",
                                      ctx.evidence_at_line(n, "thread")))
            done = True
    return done


def _line_of_sentence(ctx: Context, sentence: str, fallback: int) -> int:
    """The line a sentence of a wrapped paragraph starts on, so its evidence points there."""
    head = sentence[:40].lower()
    pos = ctx.locate.low.find(head, ctx.locate.line_starts[fallback]) if head else -1
    return ctx.locate.line_of(pos) if pos >= 0 else fallback
