"""Recogniser: the answers the client's system gives (accepted, duplicate, rejected)."""

from __future__ import annotations

import re

from parsers.fields import squash
from xsc_desktop.intake.recognise.records import _Doc
from xsc_desktop.intake.recognise.samples import _scalar_text
from xsc_desktop.intake.recognise.vocabulary import _RESPONSE_CONTEXT


def _response_rules(doc: _Doc) -> list[dict]:
    rules: list[dict] = []

    def rule(outcome: str, **kw: object) -> None:
        r = {"outcome": outcome, "status": "", "body_regex": "", "json_path": "", "xpath": "", "equals": None,
             "retryable": None, "reason": None, "remote_id": None, "note": "suggested from the posting doc"}
        r.update(kw)
        if r not in rules:
            rules.append(r)

    for s in doc.samples:
        if s.role != "response":
            continue
        ctx = (s.context or "").lower()
        outcome = _outcome_word(ctx)
        if s.kind == "json" and isinstance(s.body, dict):
            for key, value in s.body.items():
                if isinstance(value, (bool, str)) and squash(key) in ("success", "accepted", "result", "status",
                                                                      "outcome", "ok", "response"):
                    word = _outcome_word(str(value).lower()) or outcome
                    if word:
                        extra: dict = {}
                        if word == "accepted":
                            idkey = next((k for k in s.body if re.search(r"id$", k, re.I)), None)
                            if idkey:
                                extra["remote_id"] = {"kind": "json_path", "expr": f"$.{idkey}"}
                        else:
                            rkey = next((k for k in s.body if squash(k) in ("reason", "message", "msg", "error")), None)
                            if rkey:
                                extra["reason"] = {"kind": "json_path", "expr": f"$.{rkey}"}
                                said = _scalar_text(s.body[rkey])
                                if word == "rejected" and re.search(r"duplicate|already exists", said, re.I):
                                    # The sample failure is a duplicate: say so before the general rejection.
                                    rule("duplicate", json_path=f"$.{rkey}", equals=said, reason=extra["reason"])
                        rule(word, json_path=f"$.{key}", equals=_scalar_text(value), **extra)
                    break
        elif s.kind == "xml":
            for child in s.body.iter():  # type: ignore[union-attr]
                tag = child.tag.split("}", 1)[-1]
                if tag.lower() in ("response", "status", "result", "outcome") and (child.text or "").strip():
                    word = _outcome_word((child.text or "").lower()) or outcome
                    if word:
                        rule(word, xpath=f".//{tag}", equals=child.text.strip())
                    break
    # Plain-text answers: 'accepted' or 'rejected: <reason>', OK|12345, ERR|DUPLICATE, SUCCESS 123.
    for line in doc.lines:
        if "{" in line or re.search(r"<[A-Za-z][\w:.-]*>[^<]*</", line) or not _RESPONSE_CONTEXT.search(line):
            continue
        for m in re.finditer(r"(?:['\"`]|\b)(OK|ERR|ERROR|SUCCESS|FAIL(?:ED|URE)?|ACCEPTED|REJECTED|DUPLICATE|"
                             r"accepted|rejected|success|duplicate|error|failed)(?=[|:]|\s\d|['\"`])", line):
            token = m.group(1)
            word = _outcome_word(token.lower()) or ("rejected" if token.upper().startswith("ERR") else "")
            if word:
                rule(word, body_regex=f"^\\s*{re.escape(token)}\\b")
    return rules


def _outcome_word(text: str) -> str:
    if re.search(r"duplicate|already exists", text):
        return "duplicate"
    if re.search(r"\b(fail\w*|reject\w*|error|false|invalid|denied|unmatched)\b", text):
        return "rejected"
    if re.search(r"\b(success\w*|accept\w*|ok|true|good|matched|created|received)\b", text):
        return "accepted"
    return ""
