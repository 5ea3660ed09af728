"""Safety rules, checked last on every draft. Each one keeps a harmful value out of a live integration and
names what it did as a finding with the span of the doc that made it fire:

- a value meant for testing (test, debug, sandbox, staging, a TEST list) is never a live static: it becomes the
  test switch;
- a negated instruction ("do NOT send dupcheck=0", "never", "must not", "leave it out") never becomes a static
  or a field;
- a return / thank-you / redirect URL, a deprecated or a sandbox URL is never the endpoint;
- a description of a format ("5 digits", "YYYY-MM-DD", "yes/no") is never a static value; "always X" is X;
  "must be no" is a condition on the answer, not a value to send;
- an HTML form's action is the endpoint, its hidden inputs statics, its visible inputs fields.

Everything here reads the text line by line (lines cut at `blocks.MAX_LINE`), with bounded patterns only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from parsers.fields import squash
from xsc_desktop.intake.blocks import MAX_LINE, Message, sentences, thread_messages
from xsc_desktop.intake.draft import Draft, Evidence, FieldDraft, Finding, Locator, StaticDraft
from xsc_desktop.intake.extract import Extracted

TEST_NAME = re.compile(r"^(?:[a-z0-9]+[_.-])?(?:is_?)?(?:test|debug|sandbox|staging|dry_?run)"
                       r"(?:[_-]?(?:mode|lead|flag|post|only|e_?mail|ing|level))?$", re.I)
TEST_WORDS = re.compile(r"\b(?:test(?:ing|s)?|debug(?:ging)?|sandbox|staging|uat|dry[- ]run)\b", re.I)
LIVE_WORDS = re.compile(r"\b(?:live|production|prod|always|every lead|both)\b", re.I)
DEPRECATED_WORDS = re.compile(r"\b(?:deprecated|legacy|obsolete|retired|old|no longer|do not use|don'?t use|"
                              r"switched off|stops? working|sunset|decommissioned|(?:was|were|been) deleted)\b", re.I)
RETURN_WORDS = re.compile(r"\b(?:ret_?url|return(?:\s+url)?|thank[- ]?you|thanks page|redirect\w*|success page|"
                          r"confirmation page)\b", re.I)
RETURN_NAME = re.compile(r"(?:ret_?url|return|redirect|thank|success_?url|next_?url|callback)", re.I)
ENDPOINT_WORDS = re.compile(r"\b(?:post(?:ing)?(?:\s+[a-z]{1,12}){0,2}\s+(?:to|url)|endpoint|action|submit(?:\s+to|ssion)|api\s+url|"
                            r"url\s*:|post url|form url)\b", re.I)
NEGATION = re.compile(r"\b(?:do\s+not|don'?t|never|must\s+not|should\s+not|shouldn'?t|no\s+need\s+to|"
                      r"not\s+required\s+to)\s+(?:ever\s+)?(?:send|include|pass|post|add|use|set|fill(?:\s+in)?)\b",
                      re.I)
LEAVE_OUT = re.compile(r"\b(?:leave\s+(?:it|this|them)\s+out|leave\s+out|omit\s+(?:it|this)|do\s+not\s+send\s+it|"
                       r"don'?t\s+send\s+it)\b", re.I)
NOT_NEEDED = re.compile(r"\b(?:not (?:needed|used|sent)|leave (?:it )?out|do not send|don'?t send|ignore(?:d)?)\b",
                        re.I)
CONDITIONAL = re.compile(r"\b(?:with|without|if|unless|when|formatted|dashes|spaces|empty|blank|twice|again)\b",
                         re.I)
URL_RE = re.compile(r"https?://[^\s\"'<>`\\|()\[\]{}]{1,2000}")
ASSIGN_RE = re.compile(r"(?<![\w.-])([A-Za-z_][\w.-]{0,63})\s{0,3}=\s{0,3}[\"'`]?([^\s\"'`,;)&]{1,200})")
NOT_ENDPOINT_HOSTS = ("trustedform.com", "leadid.com", "jornaya.com", "json-schema.org", "getpostman.com",
                      "w3.org", "schemas.xmlsoap.org", "schema.org")
SECRET_NAME = re.compile(r"key|token|secret|password|passwd|pwd|auth|signature", re.I)
_LIVE_TO_TEST = {"0": "1", "false": "true", "no": "yes", "off": "on", "n": "Y"}

# Values that say what a field looks like rather than what to send.
_FORMAT_VALUE = re.compile(
    r"^(?:\d+\s?-?\s?(?:digits?|chars?|characters?|letters?|numbers?)(?:\s+\w+)?(?:\s+only)?"
    r"|(?:[ymd]{1,4}[-/. ]){1,2}[ymd]{1,4}(?:\s+hh:mm(?::ss)?)?"
    r"|(?:yes|y|true|1|on)\s?(?:/|or|\|)\s?(?:no|n|false|0|off)"
    r"|(?:free[- ]?)?text|string|str|number|numeric|integer|int|decimal|float|email|e-mail|url|uri|ipv4|ipv6|ip"
    r"|ip address|phone|phone number|date|datetime|boolean|bool|(?:uk )?postcode|zip|zip code|state|alphanumeric"
    r"|digits(?: only)?|varchar(?:\s?\(\d+\))?|text\s?\(\d+\)|2[- ]letter(?: state)?(?: code)?"
    r"|\+?\d{0,3}[ (.-]*[xX#]{3}[xX#() .-]{3,20}"  # "+1XXXXXXXXXX", "(XXX) XXX-XXXX": a phone's shape
    r"|(?:e\.?g\.?|example|for example|sample|such as)\b.{0,200})$", re.I)
_STRONG_FORMAT = re.compile(r"^(?:\d+\s?-?\s?(?:digits?|chars?|characters?|letters?|numbers?)\b|(?:[ymd]{1,4}[-/. ]){1,2}"
                            r"[ymd]{1,4}|(?:yes|y|true|1|on)\s?(?:/|or|\|)\s?(?:no|n|false|0|off)|e\.?g\.?\b|example\b)",
                            re.I)
_NO_VALUE = re.compile(r"^\(?(?:see (?:attached|above|below|table|appendix|the \w+)|tbd|tba|to be (?:provided|confirmed)"
                       r"|provided separately|sent separately|ask us|on request|n/?a|-|—|\?)\)?\.?$", re.I)
_ALWAYS = re.compile(r"^(?:always|fixed[:]?|constant[:]?|must be set to|set to|hard-?coded[:]?)\s+[\"'`“]?(.{1,120}?)"
                     r"[\"'`”]?\.?$", re.I)
_ANSWER_RULE = re.compile(r"^must be\s+[\"'`]?(yes|no|true|false|y|n)[\"'`]?\.?$", re.I)
_NAME_HEADERS = {squash(h) for h in ("field", "field name", "fieldname", "parameter", "param", "name", "element",
                                     "variable", "key", "api name", "api name / id", "field id", "column",
                                     "attribute", "property", "posted name", "sent as")}
_YES = {"yes", "y", "true", "required", "req", "mandatory", "x", "m", "r", "1", "*", "must"}


@dataclass
class Context:
    """What the rules read: the text (with a locator), its tables and forms, the messages of a thread."""

    text: str
    locate: Locator
    tables: list[list[list[str]]]
    forms: list
    messages: list[Message] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    _rows: dict[str, tuple[list[str], list[str]]] | None = None

    @classmethod
    def of(cls, extracted: Extracted) -> Context:
        text = extracted.text or ""
        return cls(text=text, locate=Locator(text), tables=list(extracted.tables or []),
                   forms=list(extracted.forms or []), messages=thread_messages(text),
                   lines=[line[:MAX_LINE] for line in text.split("\n")])

    def line(self, n: int) -> str:
        return self.lines[n] if 0 <= n < len(self.lines) else ""

    def message_of_line(self, n: int) -> int:
        for m in self.messages:
            if m.first_line <= n <= m.last_line:
                return m.index
        return 0

    def mention_sentences(self, name: str, value: str | None = None) -> list[tuple[int, str]]:
        """(line number, sentence) pairs that name `name` (and hold `value`, when given)."""
        out = []
        for n in self.locate.lines_with(name):
            for sentence in sentences(self.line(n)):
                low = sentence.lower()
                if _word_in(name.lower(), low) and (value is None or value.lower() in low):
                    out.append((n, sentence))
        return out

    def evidence_at_line(self, n: int, source: str) -> Evidence:
        start, end = self.locate.line_span(n)
        return self.locate.evidence(start, end, source)

    def row_for(self, name: str) -> tuple[list[str], list[str]] | None:
        """The table row naming `name` in its name column, with the table's header row."""
        if self._rows is None:
            self._rows = self._index_rows()
        return self._rows.get(name)

    def _index_rows(self) -> dict[str, tuple[list[str], list[str]]]:
        index: dict[str, tuple[list[str], list[str]]] = {}
        for rows in self.tables:
            header: list[str] | None = None
            col = -1
            for row in rows:
                if header is None:
                    hits = [i for i, c in enumerate(row) if squash(c) in _NAME_HEADERS]
                    if hits:
                        header, col = row, hits[-1] if any(squash(c) in ("apiname", "apinameid", "fieldid", "sentas")
                                                           for c in row) else hits[0]
                    continue
                if col < len(row) and row[col].strip():
                    index.setdefault(row[col].strip(), (header, row))
        return index


def _word_in(word: str, text: str) -> bool:
    pos = text.find(word)
    while pos >= 0:
        before = text[pos - 1] if pos else " "
        after = text[pos + len(word)] if pos + len(word) < len(text) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return True
        pos = text.find(word, pos + 1)
    return False


def required_from_row(header: list[str], row: list[str]) -> bool | None:
    """A row's required flag; with separate ping and post columns, the post column decides."""
    cols = [i for i, h in enumerate(header) if re.search(r"req|mandatory|must", h, re.I)]
    post = [i for i in cols if re.search(r"\bpost\b", header[i], re.I)]
    for i in post or cols:
        if i < len(row):
            cell = row[i].strip().lower().rstrip(".")
            return cell in _YES or cell.startswith("yes") or cell.startswith("required")
    return None


# --------------------------------------------------------------------------- the rules, in the order they run


def apply_all(draft: Draft, ctx: Context) -> None:
    for rule in (html_form_rule, endpoint_rule, test_value_rule, negation_rule, format_value_rule, dropped_row_rule):
        rule(draft, ctx)


def html_form_rule(draft: Draft, ctx: Context) -> None:
    """An HTML form: its action is the endpoint, hidden inputs are statics, visible inputs fields."""
    forms = [f for f in ctx.forms if str(f.action or "").startswith("http") and not _is_return_url(f.action, draft, ctx)]
    if not forms:
        return
    form = max(forms, key=lambda f: len(f.inputs))
    action = form.action.split("?", 1)[0]
    if draft.endpoint is None or _norm(draft.endpoint) != _norm(action):
        old = draft.endpoint
        draft.endpoint = action
        draft.evidence["endpoint"] = ctx.locate.word(form.action, "html_form")
        draft.add_finding(Finding("html_form", f"The form's action {action} is the endpoint"
                                  + (f" (not {old})." if old else "."), "safety", draft.evidence["endpoint"],
                                  ("endpoint", "")))
    if draft.method.upper() != (form.method or "post").upper():
        draft.method = (form.method or "post").upper()
    for inp in form.inputs:
        kind = (inp.kind or "text").lower()
        if kind in ("submit", "button", "reset", "image") or not inp.name:
            _drop_field(draft, inp.name)
            continue
        if kind == "hidden":
            if TEST_NAME.match(inp.name):
                continue
            _drop_field(draft, inp.name)
            if not inp.value:
                # An empty hidden input is a spam trap or filled in by the page's script: not a value to send.
                empty = draft.static_named(inp.name)
                if empty is not None and not empty.value:
                    draft.statics.remove(empty)
                continue
            if draft.static_named(inp.name) is None:
                draft.statics.append(StaticDraft(inp.name, inp.value, evidence=ctx.locate.word(inp.name, "html_form")))
            continue
        if draft.field_named(inp.name) is None and draft.static_named(inp.name) is None:
            draft.fields.append(FieldDraft(name=inp.name, required=bool(inp.required),
                                           maps_to=_meaning(inp.name, inp.label), description=inp.label or "",
                                           evidence=ctx.locate.word(inp.name, "html_form")))


def endpoint_rule(draft: Draft, ctx: Context) -> None:
    """The endpoint is never a return/thank-you URL, nor one the doc marks deprecated or for testing only."""
    if not draft.endpoint:
        return
    reason = ""
    if _is_return_url(draft.endpoint, draft, ctx):
        reason = "a return/thank-you address"
    elif _marked(draft.endpoint, ctx, DEPRECATED_WORDS):
        reason = "marked deprecated or old in the doc"
    elif _marked(draft.endpoint, ctx, TEST_WORDS) or _test_host(draft.endpoint):
        reason = "meant for testing"
    if not reason:
        _two_endpoints(draft, ctx)
        return
    old = draft.endpoint
    ev = ctx.locate.word(old, "endpoint_rule")
    better = _best_other_url(draft, ctx)
    if better:
        draft.endpoint = better
        draft.evidence["endpoint"] = ctx.locate.word(better, "endpoint_rule")
        draft.add_finding(Finding("endpoint_marked", f"{old} is {reason}; {better} is used as the endpoint instead.",
                                  "safety", ev, ("endpoint", "")))
    else:
        draft.endpoint = None
        draft.add_finding(Finding("endpoint_marked", f"{old} is {reason} and the doc names no other endpoint; "
                                  "enter the live endpoint by hand.", "safety", ev, ("endpoint", "")))


def test_value_rule(draft: Draft, ctx: Context) -> None:
    """Values meant for testing are never live statics or fields: the first becomes the test switch."""
    for s in list(draft.statics):
        reason = ""
        if TEST_NAME.match(s.name.rsplit(".", 1)[-1]):
            reason = "its name says it is for testing"
        elif _test_value(s.value) and (s.secret or SECRET_NAME.search(s.name)):
            draft.add_finding(Finding("test_value", f"{s.name} looks like a test credential; check it is the live "
                                      "one.", "doubt", s.evidence, ("static", s.name)))
            continue
        elif _test_value(s.value):
            reason = "its value is a test value"
        else:
            mentions = [(n, _clause_of(t, s.name)) for n, t in ctx.mention_sentences(s.name, s.value)] if s.value else []
            if mentions and all(TEST_WORDS.search(t) and not LIVE_WORDS.search(t) for _, t in mentions):
                reason = "the doc gives it only for testing"
        if not reason:
            continue
        draft.statics.remove(s)
        if draft.test is None:
            draft.test = {"name": s.name, "value": _LIVE_TO_TEST.get(s.value.lower(), s.value or "1")}
            draft.evidence["test"] = s.evidence
        draft.add_finding(Finding("test_value", f"{s.name}={_shown(s)} is not sent on live leads: {reason}.",
                                  "safety", s.evidence, ("test", "") if draft.test and draft.test["name"] == s.name
                                  else None))
    for f in list(draft.fields):
        if TEST_NAME.match(f.name.rsplit(".", 1)[-1]):
            draft.fields.remove(f)
            if draft.test is None:
                value = f.example if f.example and f.example.lower() not in _LIVE_TO_TEST else ""
                draft.test = {"name": f.name, "value": value or _LIVE_TO_TEST.get(f.example.lower(), "1")}
                draft.evidence["test"] = f.evidence
            draft.add_finding(Finding("test_value", f"{f.name} is a test switch, not a lead field.", "safety",
                                      f.evidence, ("test", "")))
    if draft.test is None:
        _test_switch_from_prose(draft, ctx)


def negation_rule(draft: Draft, ctx: Context) -> None:
    """What the doc says not to send is neither a static nor a field."""
    for s in list(draft.statics):
        mentions = ctx.mention_sentences(s.name, s.value or None)
        negated = [(n, t) for n, t in mentions if _negates(t, s.name)]
        if not negated:
            continue
        affirmative = [t for n, t in mentions if (n, t) not in negated and not TEST_WORDS.search(t)]
        if affirmative:
            draft.add_finding(Finding("conflict", f"The doc both sends and forbids {s.name}={_shown(s)}; check it.",
                                      "doubt", ctx.evidence_at_line(negated[0][0], "negation_rule"),
                                      ("static", s.name)))
            continue
        draft.statics.remove(s)
        draft.add_finding(Finding("negated", f"{s.name}={_shown(s)} is not sent: the doc says not to.", "safety",
                                  ctx.evidence_at_line(negated[0][0], "negation_rule")))
    for f in list(draft.fields):
        negated = [(n, t) for n, t in ctx.mention_sentences(f.name) if _negates(t, f.name)]
        row = ctx.row_for(f.name)
        if not negated and row is not None and any(NOT_NEEDED.search(c) or _negates(c, f.name) for c in row[1][1:]):
            negated = [(ctx.locate.lines_with(f.name)[0] if ctx.locate.lines_with(f.name) else -1, "")]
        if negated:
            draft.fields.remove(f)
            draft.add_finding(Finding("negated", f"{f.name} is not sent: the doc says to leave it out.", "safety",
                                      ctx.evidence_at_line(negated[0][0], "negation_rule")
                                      if negated[0][0] >= 0 else f.evidence))
    if draft.test and any(_negates(t, str(draft.test["name"])) and not TEST_WORDS.search(t)
                          for _, t in ctx.mention_sentences(str(draft.test["name"]))):
        pass  # "do not send debug=1 on live leads" is what a test switch is: kept as the switch


def format_value_rule(draft: Draft, ctx: Context) -> None:
    """A static whose value describes a format is a field; "always X" is X; "must be no" is an answer rule."""
    for s in list(draft.statics):
        value = s.value.strip()
        m = _ALWAYS.match(value)
        if m and not _FORMAT_VALUE.match(m.group(1)):
            s.value = m.group(1).strip()
            continue
        if _NO_VALUE.match(value):
            s.value = ""
            draft.add_finding(Finding("no_value", f"The doc gives no value for {s.name} (it says “{value}”); "
                                      "enter it by hand.", "doubt", s.evidence, ("static", s.name)))
            continue
        row = ctx.row_for(s.name)
        if row is not None:
            value = _row_value_cell(row, s.value) or value
        if value == "" and row is not None:
            draft.statics.remove(s)  # an empty row of a field table: named by the dropped-row rule
            continue
        answer = _ANSWER_RULE.match(value)
        if not (_FORMAT_VALUE.match(value) or answer):
            continue
        draft.statics.remove(s)
        if row is None and not (answer or _STRONG_FORMAT.match(value)):
            draft.add_finding(Finding("format_value", f"“{value}” describes a format, not a value for {s.name}; "
                                      "it is not sent.", "safety", s.evidence))
            continue
        required = bool(required_from_row(*row)) if row else False
        notes = " ".join(c for c in (row[1] if row else [])[1:] if c.strip() and c.strip() != value)
        if draft.field_named(s.name) is None:
            draft.fields.append(FieldDraft(name=s.name, required=required or bool(answer), description=value,
                                           maps_to=_meaning(s.name, value) or _meaning(s.name, notes),
                                           evidence=s.evidence))
        if answer:
            draft.add_finding(Finding("answer_rule", f"{s.name} must be “{answer.group(1)}”: that is a condition on "
                                      "the lead, not a value to send; send only leads that meet it.", "doubt",
                                      s.evidence, ("field", s.name)))
        elif value:
            draft.add_finding(Finding("format_value", f"“{value}” describes the format of {s.name}; it is a field, "
                                      "not a fixed value.", "safety", s.evidence, ("field", s.name)))


def dropped_row_rule(draft: Draft, ctx: Context) -> None:
    """Rows of a field table that became neither field, static nor test switch are named; a row that leaves
    its value to another document is a static without a value, named as such."""
    for f in list(draft.fields):
        row = ctx.row_for(f.name)
        if row is not None and any(_NO_VALUE.match(c.strip()) for c in row[1][1:] if c.strip()):
            draft.fields.remove(f)
            draft.statics.append(StaticDraft(f.name, "", evidence=f.evidence))
            draft.add_finding(Finding("no_value", f"The doc gives no value for {f.name} (it points elsewhere); "
                                      "enter it by hand.", "doubt", f.evidence))
    names = draft.names() | _negated_names(draft)
    for rows in ctx.tables:
        header_seen = False
        col = -1
        dropped: list[str] = []
        used = 0
        for row in rows:
            if not header_seen:
                hits = [i for i, c in enumerate(row) if squash(c) in _NAME_HEADERS]
                if hits and len(row) >= 2:
                    header_seen, col = True, hits[0]
                continue
            cell = row[col].strip() if col < len(row) else ""
            if not re.fullmatch(r"[A-Za-z_][\w.\-\[\]]{0,80}", cell):
                continue
            if cell.lower() in names or any(n.endswith("." + cell.lower()) for n in names):
                used += 1
            elif any(_NO_VALUE.match(c.strip()) for k, c in enumerate(row) if k != col and c.strip()):
                draft.statics.append(StaticDraft(cell, "", evidence=ctx.locate.word(cell, "dropped_row_rule")))
                draft.add_finding(Finding("no_value", f"The doc gives no value for {cell} (it points elsewhere); "
                                          "enter it by hand.", "doubt", draft.statics[-1].evidence))
                used += 1
            else:
                dropped.append(cell)
        if dropped and used:
            ev = ctx.locate.word(dropped[0], "dropped_row_rule")
            draft.add_finding(Finding("dropped_row", f"Table rows not used: {', '.join(dropped[:8])}"
                                      f"{' …' if len(dropped) > 8 else ''}; add them by hand if they are needed.",
                                      "doubt", ev))


# --------------------------------------------------------------------------- helpers


def _row_value_cell(row: tuple[list[str], list[str]], value: str) -> str:
    """The cell of a table row that holds a static's value ("must be no" for the value "no")."""
    header, cells = row
    for cell in cells[1:]:
        text = cell.strip()
        if text and value and value.lower() in text.lower() and (_ANSWER_RULE.match(text) or _STRONG_FORMAT.match(text)):
            return text
    return ""


def _shown(s: StaticDraft) -> str:
    return "•••" if s.secret else s.value


def _norm(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _meaning(name: str, text: str = "") -> str | None:
    from xsc_desktop.intake.recognise.meaning import _maps_to
    from xsc_desktop.intake.recognise.records import _Field

    return _maps_to(_Field(name=name, description=text or "", label=text or ""))


def _drop_field(draft: Draft, name: str) -> None:
    draft.fields = [f for f in draft.fields if f.name != name]


def _test_value(value: str) -> bool:
    tokens = [t for t in re.split(r"[^a-z0-9]+", value.lower()) if t]
    return bool(tokens) and any(t in ("test", "testing", "sandbox", "staging", "debug") for t in tokens) and (
        len(value) < 60)


def _test_host(url: str) -> bool:
    host = urlsplit(url).netloc.lower()
    return bool(re.search(r"(?:^|[.-])(?:sandbox|staging|stage|test|uat|dev)(?:[.-]|$)", host))


def _is_return_url(url: str, draft: Draft, ctx: Context) -> bool:
    low = url.lower()
    if any(s.value.lower() == low and RETURN_NAME.search(s.name) for s in draft.statics):
        return True
    for form in ctx.forms:
        for inp in form.inputs:
            if str(inp.value or "").lower() == low and RETURN_NAME.search(inp.name or ""):
                return True
    path = urlsplit(url).path.lower()
    if re.search(r"thank|/success|/confirmation", path):
        return True
    lines = ctx.locate.lines_with(url)
    texts = [ctx.line(n) for n in lines]
    return bool(texts) and all(RETURN_WORDS.search(t) and not ENDPOINT_WORDS.search(t.replace(url, " "))
                               for t in texts)


def _marked(url: str, ctx: Context, words: re.Pattern) -> bool:
    """Every mention of the URL sits in a sentence (or the line before) that carries one of `words`; in a reply
    thread, every mention in the newest message that names it (what older messages said is overruled)."""
    lines = ctx.locate.lines_with(url)
    if not lines:
        return False
    newest = min(ctx.message_of_line(n) for n in lines)
    lines = [n for n in lines if ctx.message_of_line(n) == newest]
    for n in lines:
        line = ctx.line(n)
        pos = line.lower().find(url.lower())
        around = line[:pos] + " " + line[pos + len(url):pos + len(url) + 160]
        label = ctx.line(n - 1) if n > 0 and not line[:pos].strip() else ""
        if not (words.search(around) or (label and words.search(label) and len(label) < 80)):
            return False
        if LIVE_WORDS.search(around) and words is TEST_WORDS:
            return False
    return True


def _candidate_urls(ctx: Context) -> list[tuple[int, str]]:
    out = []
    for n in range(len(ctx.locate.line_starts)):
        line = ctx.line(n)
        if "://" not in line:
            continue
        for m in URL_RE.finditer(line):
            out.append((n, m.group(0).rstrip(".,;:")))
    return out


def _plausible_endpoint(url: str, draft: Draft, ctx: Context) -> bool:
    host = urlsplit(url).netloc.lower()
    if not host or any(host.endswith(h) for h in NOT_ENDPOINT_HOSTS) or "{" in url:
        return False
    if any(s.value == url for s in draft.statics):
        return False
    return not (_is_return_url(url, draft, ctx) or _marked(url, ctx, DEPRECATED_WORDS) or _marked(url, ctx, TEST_WORDS)
                or _test_host(url))


def _best_other_url(draft: Draft, ctx: Context) -> str | None:
    old = _norm(draft.endpoint or "")
    old_host = urlsplit(draft.endpoint or "").netloc.lower()
    best: tuple[int, int, str] | None = None
    for n, url in _candidate_urls(ctx):
        if _norm(url) == old or not _plausible_endpoint(url, draft, ctx):
            continue
        line = ctx.line(n)
        score = 2 * bool(ENDPOINT_WORDS.search(line)) + bool(re.search(r"api|lead|post|submit|form|hook", url, re.I))
        score += bool(old_host.split(".", 1)[-1] == urlsplit(url).netloc.lower().split(".", 1)[-1])
        score -= 2 * ctx.message_of_line(n)
        if best is None or score > best[0]:
            best = (score, n, url)
    return best[2].split("?", 1)[0] if best else None


def _two_endpoints(draft: Draft, ctx: Context) -> None:
    """Another plausible posting URL beside the endpoint (on another path) is a doubt, not a silent pick."""
    chosen = _norm(draft.endpoint or "")
    for n, url in _candidate_urls(ctx):
        if _norm(url) == chosen or ctx.message_of_line(n) > 0:
            continue
        line = ctx.line(n)
        if not ENDPOINT_WORDS.search(line.replace(url, " ")) or not _plausible_endpoint(url, draft, ctx):
            continue
        if re.search(r"\b(?:response|answer|returns?|callback|status|docs?|documentation|see|ping)\b", line, re.I):
            continue
        draft.add_finding(Finding("two_endpoints", f"The doc also names {url.split('?', 1)[0]} as a posting URL; "
                                  f"check that {draft.endpoint} is the one for this lander.", "doubt",
                                  ctx.evidence_at_line(n, "endpoint_rule"), ("endpoint", "")))
        return


def _test_switch_from_prose(draft: Draft, ctx: Context) -> None:
    """"For testing use F9list=XSC_Test": a name=value the doc gives for tests is the test switch."""
    known = {s.name.lower(): s for s in draft.statics} | {f.name.lower(): f for f in draft.fields}
    for n in range(len(ctx.locate.line_starts)):
        line = ctx.line(n)
        if "=" not in line or not TEST_WORDS.search(line):
            continue
        for sentence in sentences(line):
            sentence = URL_RE.sub(" ", sentence)
            if not TEST_WORDS.search(sentence) or NEGATION.search(sentence):
                continue
            for m in ASSIGN_RE.finditer(sentence):
                name, value = m.group(1), m.group(2).rstrip(".")
                item = known.get(name.lower())
                live = getattr(item, "value", None)
                if item is not None and value and value != live:
                    draft.test = {"name": item.name, "value": _unquote(value)}
                    draft.evidence["test"] = ctx.evidence_at_line(n, "test_value_rule")
                    return


def _clause_of(sentence: str, name: str) -> str:
    """In a code sample (a JSON body on one line), only the clause that holds `name`: its neighbour
    `"lp_action": "test"` says nothing about `"lp_key": "…"`. Prose keeps its whole sentence."""
    if len(sentence) < 200 and '":' not in sentence:
        return sentence
    pos = _find_word(sentence.lower(), name.lower())
    if pos < 0:
        return sentence
    cuts = [m.end() for m in re.finditer(r"[,;{}]|\\n", sentence[:pos])]
    start = cuts[-1] if cuts else 0
    m = re.search(r"[,;{}]|\\n", sentence[pos:])
    return sentence[start:pos + m.start()] if m else sentence[start:]


def _unquote(value: str) -> str:
    from urllib.parse import unquote

    return unquote(value)


def _negates(sentence: str, name: str) -> bool:
    """The sentence tells not to send `name` at one of its mentions (a table row "check_dup, No, do NOT send
    check_dup=0" names it twice)."""
    low = sentence.lower()
    pos = _find_word(low, name.lower())
    while pos >= 0:
        after = low[pos + len(name):]
        for m in NEGATION.finditer(low[:pos]):
            between = low[m.end():pos]
            if len(between.split()) <= 2 and not CONDITIONAL.search(after.split(",")[0][:60]):
                return True
        if LEAVE_OUT.search(after[:120]) and "not required" not in low:
            return True
        pos = _find_word(low, name.lower(), pos + 1)
    return False


def _find_word(text: str, word: str, start: int = 0) -> int:
    pos = text.find(word, start)
    while pos >= 0:
        before = text[pos - 1] if pos else " "
        after = text[pos + len(word)] if pos + len(word) < len(text) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return pos
        pos = text.find(word, pos + 1)
    return -1


def _negated_names(draft: Draft) -> set[str]:
    out = set()
    for f in draft.findings:
        if f.rule in ("negated", "test_value"):
            head = f.message.split("=", 1)[0].split(" ", 1)[0]
            out.add(head.lower())
    return out
