"""The whole domain as peewee models, bound to one `database` proxy that `db.connect` fills.

Later features add behaviour around these tables, not schema churn; a new column goes with a migration
step in `db.MIGRATIONS`.
"""

from __future__ import annotations

import json
from typing import Any

from peewee import (
    SQL,
    BlobField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from parsers.fields import FIELD_NAMES
from xsc_desktop.clock import utcnow  # the one "now" the database keeps
from xsc_desktop.logs import register_secret

database = DatabaseProxy()


class JSONField(TextField):
    """A JSON document stored as text."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class SecretField(TextField):
    """A secret value: every value written or read is handed to the log filter, so no log line can show it."""

    def db_value(self, value: Any) -> Any:
        register_secret(value)
        return super().db_value(value)

    def python_value(self, value: Any) -> Any:
        register_secret(value)
        return super().python_value(value)


class BaseModel(Model):
    # peewee adds `id` (and `<name>_id` for each foreign key) when the class is made; declared here for the type
    # checker, as Any because the same name is a column in a query and a value on a row.
    id: Any

    class Meta:
        database = database
        legacy_table_names = False


class Meta(BaseModel):
    """Key-value facts about the database file itself (schema version)."""

    key = CharField(primary_key=True)
    value = TextField()


class Client(BaseModel):
    """A law firm the agency builds landers for."""

    name = CharField(unique=True)
    contacts = JSONField(default=list)  # e-mail addresses that receive confirmations and reports
    intake_system = CharField(null=True)
    is_new = BooleanField(default=False)
    notes = TextField(default="")
    time_zone = CharField(null=True)  # the firm's IANA zone (e.g. America/Chicago), shown beside its contacts
    created_at = DateTimeField(default=utcnow)
    # Row version: edits are written only over the version the editor read (xsc_desktop.rowversion).
    row_version = IntegerField(default=1, constraints=[SQL("DEFAULT 1")])
    changed_by = CharField(default="", constraints=[SQL("DEFAULT ''")])
    changed_at = DateTimeField(null=True)


class Campaign(BaseModel):
    """A client's campaign (a case type such as auto accident or a mass tort)."""

    # No index of its own: the unique (client, name) index serves every lookup by client.
    client = ForeignKeyField(Client, backref="campaigns", on_delete="CASCADE", index=False)
    client_id: Any  # the key's value, made by peewee
    name = CharField()
    case_type = CharField(default="")

    class Meta:
        indexes = ((("client", "name"), True),)


class Lander(BaseModel):
    """A landing page whose leads must reach the client's intake system."""

    campaign = ForeignKeyField(Campaign, backref="landers", on_delete="CASCADE")
    campaign_id: Any  # the key's value, made by peewee
    name = CharField()
    url = CharField(unique=True)
    status = CharField(default="in_production", index=True)  # states.LanderStatus
    flags = CharField(default="")  # ';'-joined exception flags, see landers.FLAGS
    flag_note = TextField(default="")  # the free text of the "other" custom-script flag
    missing_info = JSONField(default=list)  # what gather found missing (needs_info)
    sample_lead = JSONField(null=True)  # the lead a test post is built from
    feed_url = CharField(null=True)
    feed_cursor = TextField(null=True)
    handed_over_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow, index=True)
    # Row version: edits are written only over the version the editor read (xsc_desktop.rowversion).
    row_version = IntegerField(default=1, constraints=[SQL("DEFAULT 1")])
    changed_by = CharField(default="", constraints=[SQL("DEFAULT ''")])
    changed_at = DateTimeField(null=True)


class PostingDoc(BaseModel):
    """A client's posting instructions, stored once by content hash."""

    sha256 = CharField(unique=True)
    original_name = CharField()
    format = CharField(default="")
    size = IntegerField(default=0)
    path = CharField(default="")
    received_at = DateTimeField(default=utcnow)
    text = TextField(default="")
    draft = JSONField(null=True)
    error = TextField(default="")
    client = ForeignKeyField(Client, null=True, backref="posting_docs", on_delete="SET NULL")
    client_id: Any  # the key's value, made by peewee
    campaign = ForeignKeyField(Campaign, null=True, backref="posting_docs", on_delete="SET NULL")
    campaign_id: Any  # the key's value, made by peewee
    lander = ForeignKeyField(Lander, null=True, backref="posting_docs", on_delete="SET NULL")
    lander_id: Any  # the key's value, made by peewee
    # "posting_doc": the client's instructions, analysed; "summary": the posting summary we sent the client (a PDF
    # kept beside the lander's docs, never analysed or applied).
    kind = CharField(default="posting_doc")
    # The file's bytes, kept in a shared (PostgreSQL) database so every operator can open it; `path` is where the
    # computer that took it in keeps its copy (intake.store.local_path finds or writes one on this computer).
    content = BlobField(null=True)


class Parser(BaseModel):
    """A saved parser: a ParserSpec (JSON) derived from a preset, with its current version number."""

    name = CharField(unique=True)
    preset = CharField(default="")
    system = CharField(default="generic")
    spec = JSONField()
    version = IntegerField(default=1)
    updated_at = DateTimeField(default=utcnow)
    # Row version: edits are written only over the version the editor read (xsc_desktop.rowversion).
    row_version = IntegerField(default=1, constraints=[SQL("DEFAULT 1")])
    changed_by = CharField(default="", constraints=[SQL("DEFAULT ''")])
    changed_at = DateTimeField(null=True)


class ParserVersion(BaseModel):
    """One saved state of a parser, for history, diff and restore."""

    parser = ForeignKeyField(Parser, backref="versions", on_delete="CASCADE", index=False)  # (parser, version) serves
    parser_id: Any  # the key's value, made by peewee
    version = IntegerField()
    spec = JSONField()
    author = CharField(default="")
    note = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("parser", "version"), True),)


class Integration(BaseModel):
    """A lander wired to a parser, with its per-lander settings (secrets live in Secret)."""

    lander = ForeignKeyField(Lander, unique=True, backref="integration_rows", on_delete="CASCADE")
    lander_id: Any  # the key's value, made by peewee
    parser = ForeignKeyField(Parser, backref="integrations", on_delete="RESTRICT")
    parser_id: Any  # the key's value, made by peewee
    settings = JSONField(default=dict)
    column_map = JSONField(default=dict)  # lead-import column → canonical field, remembered per lander
    active = BooleanField(default=True)
    paused = BooleanField(default=False)
    paused_reason = TextField(default="")
    consecutive_failures = IntegerField(default=0)
    delivery_rules = TextField(null=True)  # caps, hours, filters, checks as JSON (xsc_desktop.delivery_rules)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # Row version: edits are written only over the version the editor read (xsc_desktop.rowversion).
    row_version = IntegerField(default=1, constraints=[SQL("DEFAULT 1")])
    changed_by = CharField(default="", constraints=[SQL("DEFAULT ''")])
    changed_at = DateTimeField(null=True)


class Secret(BaseModel):
    """A secret value (API key, token, password), kept apart from settings and never logged or exported."""

    scope = CharField()  # "integration:<id>", "parser:<name>", "settings"
    name = CharField()
    value = SecretField()
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("scope", "name"), True),)


class Task(BaseModel):
    """An item of the integration queue (the to-do list gathered at 15:00)."""

    lander = ForeignKeyField(Lander, backref="tasks", on_delete="CASCADE", index=False)  # (lander, kind, ...) serves
    lander_id: Any  # the key's value, made by peewee
    kind = CharField()  # integrate, custom_script, new_client
    planned_for = CharField(index=True)  # ISO date of the run the task belongs to
    status = CharField(default="pending", index=True)  # states.TaskStatus
    attempts = IntegerField(default=0)
    reason = TextField(default="")
    remote_id = CharField(default="")
    test_ref = CharField(default="")
    log = JSONField(default=list)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    claimed_by = CharField(default="")  # the process running it (workqueue.OWNER)

    class Meta:
        indexes = ((("lander", "kind", "planned_for"), True),)


def _lead_field_columns() -> dict[str, TextField]:
    # Our own id is the primary key and the capture time is `captured_at`; every other canonical field is a column.
    skip = {"lead_id", "created_at"}
    return {name: TextField(null=True) for name in FIELD_NAMES if name not in skip}


class Lead(BaseModel):
    """A person who filled in a lander's form."""

    lander = ForeignKeyField(Lander, backref="leads", on_delete="CASCADE", index=False)  # led by the indexes below
    lander_id: Any  # the key's value, made by peewee
    external_id = CharField(null=True)
    captured_at = DateTimeField(null=True)
    received_at = DateTimeField(default=utcnow)
    custom = JSONField(default=dict)
    is_test = BooleanField(default=False)
    duplicate_of = IntegerField(null=True)
    problems = TextField(default="")
    delivery_state = CharField(default="new")  # states.LeadState

    class Meta:
        indexes = (
            (("lander", "external_id"), True),
            (("lander", "received_at"), False),
            (("lander", "delivery_state", "id"), False),  # delivery's new-lead and retry selections
            (("received_at",), False),  # the Leads page's newest-first order and its received-date filters
            (("delivery_state",), False),
            (("delivery_state", "received_at"), False),  # the Leads page filtered by delivery state
            (("email",), False),
            (("phone",), False),
            (("last_name",), False),
        )


for _name, _field in _lead_field_columns().items():
    Lead._meta.add_field(_name, _field)


class Delivery(BaseModel):
    """One attempt to post a lead through an integration."""

    lead = ForeignKeyField(Lead, backref="deliveries", on_delete="CASCADE", index=False)  # led by the indexes below
    lead_id: Any  # the key's value, made by peewee
    integration = ForeignKeyField(Integration, backref="deliveries", on_delete="CASCADE")
    integration_id: Any  # the key's value, made by peewee
    attempt = IntegerField(default=1)
    state = CharField(default="sending", index=True)  # states.AttemptState
    http_status = IntegerField(null=True)
    reason = TextField(default="")
    remote_id = CharField(default="")
    latency_ms = FloatField(null=True)
    request_masked = TextField(default="")
    response_excerpt = TextField(default="")
    next_attempt_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    claimed_by = CharField(default="")  # the process that sent it (workqueue.OWNER), so a colleague's is never recovered

    class Meta:
        indexes = ((("lead", "attempt"), False), (("lead", "integration", "id"), False),  # latest attempt per lead
                   (("integration", "state", "created_at"), False))  # caps: an integration's attempts in a window


class ReportTemplate(BaseModel):
    """A spreadsheet report layout: columns, formats, filters (JSON)."""

    name = CharField(unique=True)
    builtin = BooleanField(default=False)
    spec = JSONField(default=dict)
    updated_at = DateTimeField(default=utcnow)
    # Row version: edits are written only over the version the editor read (xsc_desktop.rowversion).
    row_version = IntegerField(default=1, constraints=[SQL("DEFAULT 1")])
    changed_by = CharField(default="", constraints=[SQL("DEFAULT ''")])
    changed_at = DateTimeField(null=True)


class ReportSchedule(BaseModel):
    """A recurring spreadsheet report for a lander or a client."""

    template = ForeignKeyField(ReportTemplate, backref="schedules", on_delete="RESTRICT")
    template_id: Any  # the key's value, made by peewee
    lander = ForeignKeyField(Lander, null=True, backref="report_schedules", on_delete="CASCADE")
    lander_id: Any  # the key's value, made by peewee
    client = ForeignKeyField(Client, null=True, backref="report_schedules", on_delete="CASCADE")
    client_id: Any  # the key's value, made by peewee
    period = CharField(default="since_last")  # all, since_last
    time_utc = CharField(default="05:00")
    out_dir = TextField(default="")
    file_pattern = CharField(default="{client}-{lander}-{date}.xlsx")
    email = BooleanField(default=False)
    active = BooleanField(default=True)
    last_run_at = DateTimeField(null=True)
    # When the schedule (its time, or its being active) took effect: slots before it are not its to run.
    active_since = DateTimeField(null=True)


class ReportRun(BaseModel):
    """One generated report: rows, file, duration, state and error."""

    schedule = ForeignKeyField(ReportSchedule, null=True, backref="runs", on_delete="SET NULL")
    schedule_id: Any  # the key's value, made by peewee
    template_name = CharField(default="")
    lander = ForeignKeyField(Lander, null=True, on_delete="SET NULL")
    lander_id: Any  # the key's value, made by peewee
    client = ForeignKeyField(Client, null=True, on_delete="SET NULL")
    client_id: Any  # the key's value, made by peewee
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    rows = IntegerField(default=0)
    file = TextField(default="")
    state = CharField(default="running")  # states.ReportRunState
    error = TextField(default="")


class Email(BaseModel):
    """An outbox message: written before sending, sent once thanks to its dedupe key."""

    dedupe_key = CharField(unique=True, null=True)
    kind = CharField(default="")  # confirmation, report, alert, test
    to = JSONField(default=list)
    subject = TextField()
    body = TextField()
    attachments = JSONField(default=list)  # file paths
    state = CharField(default="queued", index=True)  # states.EmailState
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    next_attempt_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    claimed_by = CharField(default="")  # the process sending it (workqueue.OWNER)


class JobRun(BaseModel):
    """One planned run of a scheduled job; unique per slot so no slot runs twice, even across processes."""

    job = CharField()
    slot = CharField()  # ISO time of the planned slot
    state = CharField(default="running")  # states.JobRunState
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    detail = TextField(default="")

    class Meta:
        indexes = ((("job", "slot"), True),)


class Setting(BaseModel):
    """One typed setting, stored as JSON; definitions and defaults live in settings.py."""

    key = CharField(primary_key=True)
    value = JSONField()


class Activity(BaseModel):
    """Who did what when: every status change and notable action."""

    at = DateTimeField(default=utcnow, index=True)
    actor = CharField(default="")
    subject_type = CharField()  # lander, task, integration, parser, lead, email, ...
    subject_id = IntegerField(null=True)
    action = CharField()
    from_state = CharField(default="")
    to_state = CharField(default="")
    note = TextField(default="")

    class Meta:
        indexes = ((("subject_type", "subject_id"), False),)


ALL_MODELS: tuple[type[BaseModel], ...] = (
    Meta, Client, Campaign, Lander, PostingDoc, Parser, ParserVersion, Integration, Secret, Task, Lead,
    Delivery, ReportTemplate, ReportSchedule, ReportRun, Email, JobRun, Setting, Activity,
)
