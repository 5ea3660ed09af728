"""The posting summary: one page (PDF) telling a client what their leads will look like once a lander goes live.

    summary = summary.build(lander_id)                  # what goes on the page, in the client's words
    data = summary.pdf_bytes(summary)                   # the PDF (fpdf2)
    doc = summary.keep(lander_id, summary)              # written beside the lander's posting docs (kind "summary")
    summary.write(lander_id, "out.pdf")                 # `xsc-desktop integrations summary LANDER_ID -o out.pdf`

The page holds: where leads are sent (address without its query string, never a key or token), how (JSON, form
fields, ...), every field sent with where its value comes from in the lead and an example value, the fixed values
(secret ones named, never shown), caps, delivery hours, filters and checks before posting (from the integration's
delivery rules; "None" when there are none), and the test lead's result with its time on the client's clock and
the id their system gave it.

A client reads it: no parser names, preset ids, setting keys or empty lines. The queue makes one when a test lead is
accepted and attaches it to the confirmation e-mail while `mail.confirmation_attach_summary` is on.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from xsc_desktop.errors import UserError

log = logging.getLogger(__name__)

SUMMARY_KIND = "summary"  # PostingDoc.kind of a kept summary
SUMMARY_FOLDER = "summaries"  # under the posting-docs folder, one sub-folder per summary (so the file keeps its name)
NONE = "None"
FORMAT_WORDS = {"json": "JSON in the request body", "form": "form fields in the request body",
                "xml": "XML in the request body", "query": "fields in the web address (query string)"}
PRIVATE = "sent with every lead, not shown here"


@dataclass
class SentField:
    """One field of the client's request: their name for it, where the value comes from, an example."""

    name: str
    source: str
    example: str


@dataclass
class TestResult:
    """The accepted test lead: its reference, when it went (client's clock) and the id their system gave it."""

    reference: str
    sent_at: str
    remote_id: str = ""
    result: str = "Accepted"


@dataclass
class Summary:
    """Everything on the page, already in the client's words."""

    client: str
    lander: str
    lander_url: str
    campaign: str
    intake_system: str
    method: str
    endpoint: str
    body_format: str
    fields: list[SentField] = field(default_factory=list)
    fixed: list[SentField] = field(default_factory=list)
    caps: list[str] = field(default_factory=list)
    hours: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    test: TestResult | None = None
    prepared: str = ""

    def file_name(self) -> str:
        """"Posting summary - Auto Accident TX.pdf": what the client sees as the attachment's name."""
        clean = re.sub(r"[^\w .&()-]+", "-", self.lander, flags=re.UNICODE).strip(" .-") or "lander"
        return f"Posting summary - {clean[:80]}.pdf"

    def text_lines(self) -> list[str]:
        """The page as plain lines (the CLI's check, and what a test compares with the PDF's text)."""
        lines = [f"Posting summary: {self.lander}", f"{self.client} - {self.campaign}",
                 f"Endpoint: {self.method} {self.endpoint}", f"Sent as: {self.body_format}"]
        lines += [f"{f.name}: {f.source} (e.g. {f.example})" for f in self.fields + self.fixed]
        for title, items, empty in (("Caps", self.caps, NONE), ("Delivery hours", self.hours, "Any time"),
                                    ("Filters", self.filters, NONE), ("Checks before posting", self.checks, NONE)):
            lines.append(f"{title}: {'; '.join(items) or empty}")
        if self.test is not None:
            lines.append(f"Test lead {self.test.reference}: {self.test.result}, {self.test.sent_at}"
                         + (f", your id {self.test.remote_id}" if self.test.remote_id else ""))
        return lines


# ---- building ---------------------------------------------------------------------------------------------------
def _source_words(kind: str, source: str) -> str:
    """Where a mapping's value comes from, as a client reads it."""
    from parsers.expressions import PLACEHOLDER_RE

    if kind == "constant":
        return "Fixed value"
    if kind == "template":
        names = [_field_label(m.group(1)) for m in PLACEHOLDER_RE.finditer(source)]
        return " and ".join(dict.fromkeys(names)) if names else "Fixed text"
    return _field_label(source) if source else "Nothing (left empty)"


def _field_label(name: str) -> str:
    from parsers.fields import CANONICAL_FIELDS

    for lead_field in CANONICAL_FIELDS:
        if lead_field.name == name:
            return lead_field.label
    words = " ".join(name.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:] if words else name


def _example_lead(lander: Any) -> dict[str, Any]:
    """The lander's sample lead over the complete made-up one (what the parser editor previews)."""
    from parsers.render import sample_lead

    lead = dict(sample_lead())
    lead.update({k: v for k, v in (lander.sample_lead or {}).items() if v not in (None, "")})
    return lead


def _examples(spec: Any, lead: dict[str, Any]) -> list[SentField]:
    from parsers.render import compile_spec

    compiled = compile_spec(spec)
    out = []
    for mapping, compiled_mapping in zip(spec.mappings, compiled.mappings, strict=True):
        try:
            value = compiled_mapping.get(lead)
            if compiled_mapping.chain is not None:
                value = compiled_mapping.chain(value, lead)
        except Exception:  # an example that cannot be worked out is shown as such, not a failure
            value = ""
        value = value if value and not value.isspace() else (mapping.default or "")
        out.append(SentField(mapping.target, _source_words(mapping.kind, mapping.source),
                             _short(value) if value else "(empty in this example)"))
    return out


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _endpoint(spec: Any, settings: dict[str, Any]) -> str:
    """The address leads go to, filled from the integration's settings, without query string or user info."""
    from parsers.render import _fill_url

    try:
        parts = urlsplit(_fill_url(spec.url, settings, []))
    except ValueError:  # RenderError too: the address setting is not a web address yet
        return "not set yet"
    if not parts.scheme or not parts.hostname:
        return "not set yet"
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path or "/", "", ""))


def _fixed_values(spec: Any, settings: dict[str, Any]) -> list[SentField]:
    """The values sent with every lead: plain ones shown, secret ones and sign-in named without their value."""
    out = []
    for item in spec.static:
        if item.secret:
            out.append(SentField(item.name, "Your key or password", PRIVATE))
            continue
        value = item.value or settings.get(item.name, "")
        from parsers.expressions import fill_placeholders

        value = fill_placeholders(str(value), settings, []) if value else ""
        if value:
            out.append(SentField(item.name, "Fixed value", _short(value)))
    auth = spec.auth
    if auth.kind == "basic":
        out.append(SentField("Authorization", "User name and password", PRIVATE))
    elif auth.kind == "bearer":
        out.append(SentField("Authorization", "Access token", PRIVATE))
    elif auth.kind == "api_key":
        out.append(SentField(auth.name or "API key", "API key", PRIVATE))
    return out


def _rules_lines(integration: Any, client_zone: str | None) -> dict[str, list[str]]:
    """Caps, hours, filters and checks of the integration's delivery rules, in the client's words ([] for none)."""
    from xsc_desktop.delivery_rules import CHECK_LABELS, PERIOD_WORDS, DeliveryRules, RuleError

    try:
        rules = DeliveryRules.from_json(getattr(integration, "delivery_rules", None))
    except RuleError:
        log.warning("The delivery rules of integration %s cannot be read; the summary shows none", integration.id)
        rules = DeliveryRules()
    caps = [f"{cap} {PERIOD_WORDS[period]}" + (" (paused for now)" if cap == 0 else "")
            for period, cap in rules.caps.items()]
    caps += [f"{cap} {PERIOD_WORDS[period]} across all your landers" for period, cap in rules.client_caps.items()]
    zone = getattr(rules.zone(client_zone), "key", "UTC")
    hours = []
    if rules.hours or rules.holidays:
        hours = [f"{r.describe()} ({zone})" for r in rules.hours] or [f"Any time ({zone})"]
        if rules.holidays:
            hours.append("closed on " + ", ".join(d.isoformat() for d in rules.holidays))
    if rules.posts_per_minute:
        hours.append(f"at most {rules.posts_per_minute} leads a minute")
    filters = [f.describe() for f in rules.filters]
    checks = [CHECK_LABELS[c] + (f" (at most {rules.trustedform_max_age_hours} hours old)" if c == "trustedform"
                                 else "") for c in rules.require]
    return {"caps": caps, "hours": hours, "filters": filters, "checks": checks}


def _latest_test(lander_id: int, zone: str | None) -> TestResult | None:
    """The last accepted test lead of the lander's integrate tasks, or None."""
    from xsc_desktop.confirmation import sent_at_text
    from xsc_desktop.models import Task

    task = (Task.select().where((Task.lander == lander_id) & (Task.kind == "integrate") & (Task.status == "done"))
            .order_by(Task.updated_at.desc(), Task.id.desc()).first())
    if task is None:
        return None
    sent = task.updated_at
    for entry in reversed(task.log or []):
        if entry.get("outcome") == "accepted" and entry.get("at"):
            try:
                sent = datetime.fromisoformat(str(entry["at"]).replace("Z", "+00:00"))
            except ValueError:
                pass
            break
    return TestResult(reference=task.test_ref or "", sent_at=sent_at_text(sent, zone), remote_id=task.remote_id or "")


def resolve_lander(ident: int) -> int:
    """The lander id the CLI means: a lander id, else the id of an integration (whose lander is taken)."""
    from xsc_desktop.models import Integration, Lander

    if Lander.get_or_none(Lander.id == ident) is not None:
        return ident
    integration = Integration.get_or_none(Integration.id == ident)
    if integration is not None:
        return integration.lander_id
    raise UserError(f"There is no lander or integration {ident}; `xsc-desktop landers list` shows the landers.")


def build(lander_id: int, *, test: TestResult | None = None, now: datetime | None = None) -> Summary:
    """What the page says for a lander; `test` gives the test lead just accepted (else the last one on record).

    UserError in one sentence when the lander has no integration or its parser cannot be read."""
    from xsc_desktop import integrations
    from xsc_desktop.confirmation import client_system, sent_at_text
    from xsc_desktop.landers import get_lander

    lander = get_lander(lander_id)
    client = lander.campaign.client
    integration = integrations.get_integration(lander)
    if integration is None:
        raise UserError(f"Lander {lander.id} ({lander.name}) has no parser yet, so there is nothing to summarise; "
                        "set its integration first.")
    spec = integrations.spec_for(integration)
    settings = integrations.settings_for(integration)
    fmt = "query" if spec.method == "GET" else spec.body_format
    rules = _rules_lines(integration, client.time_zone)
    summary = Summary(
        client=client.name, lander=lander.name, lander_url=lander.url or "", campaign=lander.campaign.name,
        intake_system=client_system(client.intake_system, spec.system), method=spec.method,
        endpoint=_endpoint(spec, settings), body_format=FORMAT_WORDS.get(fmt, fmt),
        fields=_examples(spec, _example_lead(lander)), fixed=_fixed_values(spec, settings),
        caps=rules["caps"], hours=rules["hours"], filters=rules["filters"], checks=rules["checks"],
        test=test if test is not None else _latest_test(lander.id, client.time_zone),
        prepared=sent_at_text(now or datetime.now(UTC), client.time_zone))
    return _masked(summary, integration)


def _masked(summary: Summary, integration: Any) -> Summary:
    """The summary with any secret value that found its way into a text replaced (belt and braces)."""
    from parsers.render import mask_text
    from xsc_desktop import integrations

    try:
        secrets = [v for v in integrations.secrets_for(integration).values() if v and len(str(v)) >= 4]
    except UserError:
        return summary  # unreadable here: nothing on the page came from them
    if not secrets:
        return summary
    for item in summary.fields + summary.fixed:
        item.example = mask_text(item.example, secrets)
        item.source = mask_text(item.source, secrets)
    summary.endpoint = mask_text(summary.endpoint, secrets)
    return summary


# ---- the PDF ----------------------------------------------------------------------------------------------------
# A Unicode font from the system when one is there (names such as "Müller & Söhne" print as written); else the
# PDF's built-in Helvetica, with the text folded to what it can show.
_FONT_FILES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial.ttf", "/System/Library/Fonts/Supplemental/Arial Bold.ttf"),
    ("/Library/Fonts/Arial.ttf", "/Library/Fonts/Arial Bold.ttf"),
)
_FOLD = {"—": "-", "–": "-", "…": "...", "•": "*", "’": "'", "‘": "'", "“": '"', "”": '"', "→": "->"}


def _unicode_font() -> tuple[str, str] | None:
    for regular, bold in _FONT_FILES:
        if Path(regular).is_file() and Path(bold).is_file():
            return regular, bold
    return None


def _latin1(text: str) -> str:
    text = "".join(_FOLD.get(ch, ch) for ch in text)
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
        else:
            folded = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(folded or "?")
    return "".join(out)


def pdf_bytes(summary: Summary) -> bytes:
    """The one-page PDF of a summary."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4")
    pdf.set_margins(16, 14, 16)
    pdf.set_auto_page_break(True, margin=12)
    pdf.set_title(f"Posting summary - {summary.lander}")
    pdf.set_author(summary.client)
    pdf.set_creator("XSC Desktop")
    font = _unicode_font()
    if font is not None:
        pdf.add_font("Body", "", font[0])
        pdf.add_font("Body", "B", font[1])
        family = "Body"

        def t(text: str) -> str:
            return text
    else:
        family = "Helvetica"
        t = _latin1
    pdf.add_page()
    width = pdf.epw
    rows = len(summary.fields) + len(summary.fixed)
    size = 9 if rows <= 24 else 8 if rows <= 32 else 7

    pdf.set_font(family, "B", 16)
    pdf.multi_cell(width, 8, t(f"Posting summary: {summary.lander}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    lines = [f"{summary.client} - {summary.campaign}"]
    if summary.lander_url:
        lines.append(f"Leads from {summary.lander_url}")
    lines.append(f"Prepared {summary.prepared}")
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(width, 5, t("\n".join(lines)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font(family, "B", 11)
        pdf.cell(width, 6, t(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", size + 1)

    def pairs(items: list[tuple[str, str]]) -> None:
        pdf.set_font(family, "", size + 1)
        with pdf.table(col_widths=(42, width - 42), width=width, first_row_as_headings=False, text_align="LEFT",
                       borders_layout="NONE", line_height=5, padding=(0.6, 1)) as table:
            for label, value in items:
                row = table.row()
                row.cell(t(label), style=FontFace(emphasis="BOLD"))
                row.cell(t(value))

    heading("Where leads are sent")
    pairs([("Address", f"{summary.method} {summary.endpoint}"), ("Sent as", summary.body_format),
           ("Your system", summary.intake_system)])

    heading("Fields sent with each lead")
    pdf.set_font(family, "", size)
    grey = FontFace(emphasis="BOLD", fill_color=(232, 236, 242))
    with pdf.table(col_widths=(30, 28, 42), width=width, headings_style=grey, line_height=size * 0.5, text_align="LEFT",
                   padding=(0.5, 1), borders_layout="HORIZONTAL_LINES") as table:
        head = table.row()
        for text in ("Your field", "From the lead", "Example"):
            head.cell(text)
        for item in summary.fields + summary.fixed:
            row = table.row()
            row.cell(t(item.name))
            row.cell(t(item.source))
            row.cell(t(item.example))

    heading("Delivery rules")
    pairs([("Caps", "; ".join(summary.caps) or NONE), ("Delivery hours", "; ".join(summary.hours) or "Any time"),
           ("Filters", "; ".join(summary.filters) or NONE),
           ("Checks before posting", "; ".join(summary.checks) or NONE)])

    if summary.test is not None:
        heading("Test lead")
        items = [("Result", summary.test.result), ("Sent", summary.test.sent_at),
                 ("Reference", summary.test.reference)]
        if summary.test.remote_id:
            items.append(("Your system's id", summary.test.remote_id))
        pairs(items)
    return bytes(pdf.output())


# ---- keeping and writing ---------------------------------------------------------------------------------------
def keep(lander_id: int, summary: Summary, data: bytes | None = None, *, now: datetime | None = None) -> Any:
    """Write the PDF beside the lander's posting docs and record it (kind "summary"); returns the PostingDoc row.

    Call inside the caller's transaction when the summary belongs to a larger change (the queue's accepted test)."""
    from xsc_desktop import activity
    from xsc_desktop.intake.store import doc_folder, keeps_bytes
    from xsc_desktop.landers import get_lander
    from xsc_desktop.models import PostingDoc, utcnow
    from xsc_desktop.paths import current_data_dir, write_private

    data = data if data is not None else pdf_bytes(summary)
    digest = hashlib.sha256(data).hexdigest()
    folder = doc_folder(current_data_dir()) / SUMMARY_FOLDER / digest[:16]
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / summary.file_name()
    if not target.exists():
        tmp = target.with_name(target.name + ".part")
        write_private(tmp, data)
        tmp.replace(target)
    lander = get_lander(lander_id)
    doc = PostingDoc.get_or_none(PostingDoc.sha256 == digest)
    if doc is None:
        doc = PostingDoc.create(sha256=digest, original_name=target.name, format="pdf", size=len(data),
                                path=str(target), received_at=naive(now) or utcnow(), kind=SUMMARY_KIND,
                                lander=lander, campaign=lander.campaign, client=lander.campaign.client,
                                content=data if keeps_bytes() else None)
        activity.record("posting_doc", doc.id, "summary made", note=f"{target.name} for lander {lander.id}")
    return doc


def naive(when: datetime | None) -> datetime | None:
    """A stored (naive UTC) time."""
    if when is None:
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def write(lander_id: int, path: str | Path) -> Path:
    """Write the lander's posting summary to `path` (the CLI); UserError when it cannot be made or written."""
    summary = build(lander_id)
    data = pdf_bytes(summary)
    target = Path(path).expanduser()
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise UserError(f"The summary cannot be written to {target} ({exc.strerror or exc}); choose another "
                        "file with -o.") from None
    return target


def for_accepted_test(lander_id: int, *, reference: str, sent_at: datetime, remote_id: str) -> tuple[Summary, bytes]:
    """The summary and its PDF for a test lead just accepted (the queue calls it before recording the result)."""
    from xsc_desktop.confirmation import sent_at_text
    from xsc_desktop.landers import get_lander

    zone = get_lander(lander_id).campaign.client.time_zone
    summary = build(lander_id, test=TestResult(reference=reference, sent_at=sent_at_text(sent_at, zone),
                                               remote_id=remote_id or ""))
    return summary, pdf_bytes(summary)
