"""Delivery rules against the database: what an integration's rules let go in a delivery pass, and keeping them.

    rules = delivery_gate.rules_of(integration_id)                     # DeliveryRules (none: empty rules)
    notices = delivery_gate.save_rules(integration_id, rules)          # UserError (one sentence) and nothing saved
                                                                       # on a blocking problem; notices otherwise
    fields = delivery_gate.lander_fields(lander_id)                    # what the lander collects (or None: unknown)
    status = delivery_gate.cap_status(integration_id)                  # counts and caps of the current windows
    landers = delivery_gate.landers_at_daily_cap()                     # the board's "cap reached today"

In a pass (`xsc_desktop.delivery`), each integration with rules gets a `Gate`:

- `gate.opens()` first expires leads `capped` longer than `delivery.capped_expiry_hours` (to `rejected_by_rule`),
  then says whether anything may go now (delivery hours, holidays, a cap of 0).
- `gate.screen(jobs)` runs filters and compliance checks on the pass's new and capped leads (failures become
  `rejected_by_rule` or `held`, the rule named in the lead's Activity), then keeps as many as the caps and the pacing
  (posts per minute, `delivery.posts_per_minute` by default) allow, oldest first; the rest wait (`capped` when a cap
  is what stops them).
- `gate.claim_allowed(...)` runs inside the claim's write transaction: it counts the integration's (and the
  client's) attempts in the current windows and refuses the claim at a cap, so the count and the claim are one
  transaction and several workers never go over. On PostgreSQL it first locks the integration row (and the client
  row for client-wide caps) `FOR UPDATE`; on SQLite the claim's transaction is `BEGIN IMMEDIATE` already.

Caps count accepted, in-flight (`sending`) and `uncertain` attempts, by the time each was claimed: a lead that may
have reached the client counts, a rejected or failed one does not. Counts come from the database, so a restart
mid-window keeps them. When a claim fills an integration's (or its client's) daily cap, `integration.capped` is
published after the pass: {integration_id, lander_id, name, rule, until (naive UTC ISO), whose: "integration" or
"client"}.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from xsc_desktop import delivery_rules as dr
from xsc_desktop import settings, storage
from xsc_desktop.clock import naive_utc
from xsc_desktop.delivery_rules import Counts, DeliveryRules, RuleError
from xsc_desktop.errors import UserError
from xsc_desktop.events import Topic
from xsc_desktop.models import Activity, Campaign, Integration, Lander, Lead, database, utcnow
from xsc_desktop.states import AttemptState, state_values

log = logging.getLogger(__name__)

# Attempts that count against a cap: the client has (or may have) the lead.
COUNTED = ("accepted", "sending", "uncertain")
# Every attempt state, for pacing (posts per minute count every request that went out).
ATTEMPT_STATES = state_values(AttemptState)
ACTOR = "delivery rules"


# ---- keeping the rules ----------------------------------------------------------------------------------------
def _integration(integration_id: int) -> Integration:
    integration = Integration.get_or_none(Integration.id == integration_id)
    if integration is None:
        raise UserError(f"There is no integration with id {integration_id}; `xsc-desktop integrations show "
                        "LANDER_ID` shows a lander's integration and its id.")
    return integration


def rules_of(integration_id: int) -> DeliveryRules:
    """The integration's rules (no rules: empty DeliveryRules); UserError when the stored text is damaged."""
    try:
        return DeliveryRules.from_json(_integration(integration_id).delivery_rules)
    except RuleError as exc:
        raise UserError(str(exc)) from None


def client_of(integration_id: int) -> tuple[int | None, str | None]:
    """(client id, client time zone) of an integration's lander."""
    from xsc_desktop.models import Client

    row = (Client.select(Client.id, Client.time_zone).join(Campaign).join(Lander).join(Integration)
           .where(Integration.id == integration_id).tuples().first())
    return (row[0], row[1]) if row else (None, None)


def lander_fields(lander_id: int) -> set[str] | None:
    """The canonical fields a lander collects: its sample lead's fields and those filled in its latest 200 leads;
    None when neither tells (no sample, no leads), so no filter is refused for it."""
    from parsers.fields import FIELDS_BY_NAME, canonical_name

    lander = Lander.get_or_none(Lander.id == lander_id)
    if lander is None:
        return None
    found: set[str] = set()
    for key, value in (lander.sample_lead or {}).items() if isinstance(lander.sample_lead, dict) else ():
        name = key if key in FIELDS_BY_NAME else canonical_name(str(key))
        if name and value not in (None, ""):
            found.add(name)
    columns = [name for name in FIELDS_BY_NAME if name in Lead._meta.fields]
    recent = (Lead.select(*[Lead._meta.fields[name] for name in columns]).where(Lead.lander == lander_id)
              .order_by(Lead.id.desc()).limit(200).tuples())
    for row in recent:
        found.update(name for name, value in zip(columns, row, strict=True) if value not in (None, ""))
    if found:
        found.update(("created_at", "lead_id"))
    return found or None


def save_rules(integration_id: int, rules: DeliveryRules, *, actor: str | None = None,
               expected_version: int | None = None) -> list[dr.Problem]:
    """Store `rules` on the integration after `validate` (against what its lander collects): a blocking problem
    raises UserError with its sentence and nothing is saved; the notices (a cap of 0 pauses) are returned.
    `expected_version` is the integration's row version the editor started from (rowversion.ChangedElsewhere when
    someone saved it since)."""
    from xsc_desktop import activity, events, rowversion
    from xsc_desktop.db import write_transaction

    integration = _integration(integration_id)
    rowversion.check(integration, expected_version, "integration")
    problems = dr.validate(rules, lander_fields(integration.lander_id))
    stop = dr.blocking(problems)
    if stop:
        raise UserError(stop[0].message)
    after = rules.to_json()
    if integration.delivery_rules != after:
        _, zone = client_of(integration_id)
        with write_transaction():
            integration.delivery_rules = after
            integration.updated_at = utcnow()
            rowversion.save(integration, "integration", expected_version, actor=actor)
            activity.record("integration", integration_id, "delivery rules changed",
                            note="; ".join(dr.describe(rules, zone)), actor=actor)
        events.publish(Topic.INTEGRATION_CHANGED, integration_id=integration_id, lander_id=integration.lander_id)
    return [p for p in problems if not p.blocking]


# ---- counting ---------------------------------------------------------------------------------------------------
def _in(values: Iterable[Any]) -> tuple[str, tuple[Any, ...]]:
    values = tuple(values)
    return ", ".join([database.param] * len(values)), values


def _stamp(moment: datetime) -> str:
    return moment.isoformat(sep=" ")


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


# Counts of earlier days of a week's or month's window, per (database, integrations, window start, today's start):
# rows of earlier days only ever leave the counted states (an attempt in flight is settled rejected or failed), so a
# remembered count can only be high, never let a lead over a cap. Forgotten when the database changes.
_past_lock = threading.Lock()
_past: dict[tuple[Any, ...], int] = {}
_past_owner: list[Any] = [None]


def _past_count(integration_ids: list[int], start: datetime, today: datetime) -> int:
    key = (tuple(integration_ids), start, today)
    with _past_lock:
        if _past_owner[0] is not database.obj:
            _past.clear()
            _past_owner[0] = database.obj
        if key in _past:
            return _past[key]
    ids_sql, ids = _in(integration_ids)
    states_sql, states = _in(COUNTED)
    p = database.param
    count = int(database.execute_sql(
        f'SELECT COUNT(*) FROM "delivery" WHERE integration_id IN ({ids_sql}) AND state IN ({states_sql}) '
        f"AND created_at >= {p} AND created_at < {p}", (*ids, *states, _stamp(start), _stamp(today))).fetchone()[0])
    with _past_lock:
        if len(_past) > 10_000:
            _past.clear()
        _past[key] = count
    return count


def count_windows(integration_ids: list[int], bounds: dict[str, tuple[datetime, datetime]],
                  today: datetime | None = None) -> dict[str, int]:
    """Attempts that count against caps (COUNTED states) of `integration_ids` claimed since each window's start:
    one index-only range read over delivery (integration_id, state, created_at) from the widest window's start, or,
    given `today` (the start of the current day), from today's start plus the remembered count of the earlier
    days of longer windows."""
    if not bounds or not integration_ids:
        return {}
    past = {}
    if today is not None:
        past = {period: _past_count(integration_ids, start, today) for period, (start, _end) in bounds.items()
                if start < today}
        bounds = {period: (max(start, today), end) for period, (start, end) in bounds.items()}
    periods = list(bounds)
    earliest = min(start for start, _end in bounds.values())
    sums = ", ".join(f"COALESCE(SUM(CASE WHEN created_at >= {database.param} THEN 1 ELSE 0 END), 0)"
                     for _ in periods)
    ids_sql, ids = _in(integration_ids)
    states_sql, states = _in(COUNTED)
    sql = (f'SELECT {sums} FROM "delivery" WHERE integration_id IN ({ids_sql}) AND state IN ({states_sql}) '
           f"AND created_at >= {database.param}")
    row = database.execute_sql(sql, (*[_stamp(bounds[p][0]) for p in periods], *ids, *states,
                                     _stamp(earliest))).fetchone()
    return {period: int(value or 0) + past.get(period, 0) for period, value in zip(periods, row, strict=True)}


def count_recent(integration_id: int, since: datetime) -> int:
    """Requests sent to an integration since `since` (every attempt state), for pacing: at most the posts a minute
    in each clock minute, so passes a minute apart each send their share."""
    states_sql, states = _in(ATTEMPT_STATES)
    p = database.param
    return int(database.execute_sql(
        f'SELECT COUNT(*) FROM "delivery" WHERE integration_id = {p} AND state IN ({states_sql}) '
        f"AND created_at >= {p}", (integration_id, *states, _stamp(since))).fetchone()[0])


def client_integrations(client_id: int | None) -> list[int]:
    """Ids of every integration of the client's landers."""
    if client_id is None:
        return []
    return [row[0] for row in Integration.select(Integration.id).join(Lander).join(Campaign)
            .where(Campaign.client == client_id).tuples()]


# ---- the gate of one pass -------------------------------------------------------------------------------------
@dataclass
class Gate:
    """One integration's rules for one delivery pass (see the module docstring)."""

    integration_id: int
    lander_id: int
    name: str
    rules: DeliveryRules
    client_id: int | None = None
    client_zone: str | None = None
    now: datetime = field(default_factory=utcnow)
    client_ids: list[int] = field(default_factory=list)
    reached: list[dict[str, Any]] = field(default_factory=list)  # daily caps filled in this pass
    moved: list[int] = field(default_factory=list)  # leads this pass made capped, held or rejected_by_rule
    cap_left: int | None = None  # room under the caps at the start of the pass (None: no cap)
    pace_left: int | None = None  # room in this minute's pacing (None: no pacing)
    seen: Counts | None = None  # the window counts `opens` read
    lock: threading.Lock = field(default_factory=threading.Lock)

    def counts(self, now: datetime | None = None) -> Counts:
        """What went in each current window, this integration's and its client's."""
        now = now or self.now
        bounds = dr.windows(self.rules, now, self.client_zone)
        own = {p: bounds[p] for p, _ in self.rules.caps.items()}
        client = {p: bounds[p] for p, _ in self.rules.client_caps.items()}
        today = dr.window("day", now, self.rules.zone(self.client_zone))[0]
        return Counts(count_windows([self.integration_id], own, today) if own else {},
                      count_windows(self.client_ids, client, today) if client else {})

    def opens(self) -> bool:
        """Expire long-capped leads, then whether anything may go now: open hours, room under every cap (at a cap
        the integration's new leads become `capped`), room in this minute's pacing. Sets `allowance`."""
        self.expire_capped()
        if not dr.is_open(self.rules, self.now, self.client_zone):
            return False
        zero = [cap for _, cap in self.rules.caps.items()] + [cap for _, cap in self.rules.client_caps.items()]
        if 0 in zero:
            return False
        if self.rules.has_caps():
            counts = self.seen = self.counts()
            self.cap_left = dr.remaining(self.rules, counts)
            if self.cap_left == 0:
                capped = dr.cap_reached(self.rules, self.now, counts, self.client_zone)
                if capped is not None:
                    self.moved += _cap_new_leads(self.lander_id, f"{capped.rule}: {capped.reason}")
                return False
        pace = self.pace()
        if pace is not None:
            self.pace_left = max(0, pace - count_recent(self.integration_id, self.now.replace(second=0, microsecond=0)))
            if self.pace_left == 0:
                return False
        return True

    @property
    def allowance(self) -> int | None:
        """How many leads this pass may send (after `opens`); None: no limit."""
        limits = [n for n in (self.cap_left, self.pace_left) if n is not None]
        return min(limits) if limits else None

    def selection_limit(self, limit: int) -> int:
        """How many leads to read for screening: the allowance with room for some failing a filter or a check."""
        allowance = self.allowance
        return limit if allowance is None else min(limit, allowance + allowance // 4 + 5)

    def expire_capped(self) -> int:
        """Leads waiting `capped` longer than `delivery.capped_expiry_hours` (0: never) become `rejected_by_rule`."""
        hours = _pass_settings(self.now)[0]
        if hours <= 0:
            return 0
        p = database.param
        cutoff = self.now - timedelta(hours=hours)
        # The oldest capped leads first, by the index in lead order, stopping at the first still in time: a pass
        # reads one row when nothing expires, and at most 50.
        ids = []
        for lead_id, received in database.execute_sql(
                f'SELECT id, received_at FROM "lead" WHERE lander_id = {p} AND delivery_state = {p} ORDER BY id '
                "LIMIT 50", (self.lander_id, "capped")):
            if received is None or _as_datetime(received) >= cutoff:
                break
            ids.append(lead_id)
        if ids:
            rule = f"Waited at the cap longer than {hours} hours"
            self.moved += _set_states([(lead_id, "capped", "rejected_by_rule", "rejected by rule",
                                        f"{rule}: it is no longer sent (delivery.capped_expiry_hours).")
                                       for lead_id in ids])
        return len(ids)

    def screen(self, jobs: list[Any]) -> list[Any]:
        """The pass's jobs (oldest first) that may go: filters and checks on new and capped leads, then the caps'
        and the pacing's allowance; failures and the leads over a cap are written here."""
        changes: list[tuple[int, str, str, str, str]] = []
        passing = []
        for job in jobs:
            if job.from_state in ("new", "capped"):
                values = job.values or {}
                rejected = dr.check_filters(self.rules, values, self.now)
                if rejected is not None:
                    rule, reason = rejected
                    changes.append((job.lead_id, job.from_state, "rejected_by_rule", "rejected by rule",
                                    f"{rule.describe()}: {reason}"))
                    continue
                failed = dr.check_compliance(self.rules, values, self.now)
                if failed is not None:
                    check, reason = failed
                    changes.append((job.lead_id, job.from_state, "held", "held by rule",
                                    f"{dr.CHECK_LABELS[check]}: {reason}"))
                    continue
            passing.append(job)
        allowed = self.allowance
        capped_outcome = None
        if self.cap_left is not None and self.cap_left < len(passing) and self.cap_left == allowed:
            # The caps stop the rest (pacing alone would leave them as they are).
            counts = self.seen or self.counts()
            capped_outcome = dr.cap_reached(self.rules, self.now, _filled(self.rules, counts, self.cap_left),
                                            self.client_zone)
        keep = passing if allowed is None else passing[:allowed]
        if capped_outcome is not None:
            note = f"{capped_outcome.rule}: {capped_outcome.reason}"
            changes += [(job.lead_id, "new", "capped", "capped", note) for job in passing[len(keep):]
                        if job.from_state == "new"]
        if changes:
            self.moved += _set_states(changes)
        return keep

    def pace(self) -> int | None:
        """Posts a minute allowed (the rules', else the setting; None or 0: no pacing)."""
        value = self.rules.posts_per_minute or _pass_settings(self.now)[1]
        return value or None

    def claim_allowed(self, lead_id: int, from_state: str, at: datetime) -> bool:
        """Inside the claim's write transaction: whether one more claim keeps within every cap. At a cap the lead
        becomes `capped` (if still in `from_state`) and False is returned."""
        if not self.rules.has_caps():
            return True
        if storage.is_postgresql(database.obj):
            p = database.param
            if self.rules.client_caps and self.client_id is not None:
                database.execute_sql(f'SELECT id FROM "client" WHERE id = {p} FOR UPDATE', (self.client_id,))
            database.execute_sql(f'SELECT id FROM "integration" WHERE id = {p} FOR UPDATE', (self.integration_id,))
        counts = self.counts(at)
        capped = dr.cap_reached(self.rules, at, counts, self.client_zone)
        if capped is not None:  # a new lead waits `capped`; a retry stays as it is and is tried when due again
            moved = _set_states([(lead_id, from_state, "capped", "capped", f"{capped.rule}: {capped.reason}")],
                                transaction=False) if from_state in ("new", "capped") else []
            with self.lock:
                self.moved += moved
            return False
        after = Counts({k: v + 1 for k, v in counts.integration.items()}, {k: v + 1 for k, v in counts.client.items()})
        for caps, seen, whose in ((self.rules.caps, after.integration, "integration"),
                                  (self.rules.client_caps, after.client, "client")):
            if caps.day is not None and seen.get("day") == caps.day:
                reached = dr.cap_reached(self.rules, at, after, self.client_zone)
                with self.lock:
                    self.reached.append({"integration_id": self.integration_id, "lander_id": self.lander_id,
                                         "name": self.name, "whose": whose,
                                         "rule": f"{'Client cap' if whose == 'client' else 'Cap'} of {caps.day} a day",
                                         "until": reached.until.isoformat(sep=" ") if reached and reached.until
                                         else None})
        return True

    def publish(self) -> None:
        """Announce the daily caps filled in this pass (after its commits)."""
        from xsc_desktop import events

        with self.lock:
            reached, self.reached = self.reached, []
            moved, self.moved = self.moved, []
        for payload in reached:
            events.publish(Topic.INTEGRATION_CAPPED, **payload)
        if moved:
            events.publish(Topic.DELIVERY_CHANGED, lead_ids=moved[-1000:],
                           summary=f"{len(moved)} lead{'s' if len(moved) != 1 else ''} stopped by delivery rules")


def _cap_new_leads(lander_id: int, note: str) -> list[int]:
    """At a cap: every new lead of the lander becomes `capped`, each with an Activity row naming the cap (two
    statements, however many leads wait); the ids moved."""
    from xsc_desktop import db

    p = database.param
    where = f'FROM "lead" WHERE lander_id = {p} AND delivery_state = {p} AND is_test = FALSE'
    if database.execute_sql(f"SELECT 1 {where} LIMIT 1", (lander_id, "new")).fetchone() is None:
        return []  # nothing new waits: no write transaction
    with db.write_transaction():
        ids = [row[0] for row in database.execute_sql(f"SELECT id {where}", (lander_id, "new"))]
        if ids:
            database.execute_sql(
                'INSERT INTO "activity" (at, actor, subject_type, subject_id, action, from_state, to_state, note) '
                f"SELECT {storage.timestamp_param(database)}, {p}, 'lead', id, 'capped', 'new', 'capped', {p} {where}",
                (_stamp(utcnow()), ACTOR, note[:1000], lander_id, "new"))
            database.execute_sql(f'UPDATE "lead" SET delivery_state = {p} WHERE lander_id = {p} AND delivery_state = {p} '
                                 "AND is_test = FALSE", ("capped", lander_id, "new"))
    return ids


_settings_lock = threading.Lock()
_settings_seen: tuple[datetime, int, int] | None = None


def _pass_settings(now: datetime) -> tuple[int, int]:
    """(capped expiry hours, default posts a minute), read once per pass (a pass's gates share its `now`)."""
    global _settings_seen
    with _settings_lock:
        if _settings_seen is None or _settings_seen[0] != now:
            _settings_seen = (now, int(settings.get("delivery.capped_expiry_hours") or 0),
                              int(settings.get("delivery.posts_per_minute") or 0))
        return _settings_seen[1], _settings_seen[2]


def _filled(rules: DeliveryRules, counts: Counts, allowed: int) -> Counts:
    """The counts once `allowed` more leads went: the caps the pass will reach."""
    return Counts({k: v + allowed for k, v in counts.integration.items()},
                  {k: v + allowed for k, v in counts.client.items()})


def _set_states(changes: list[tuple[int, str, str, str, str]], *, transaction: bool = True) -> list[int]:
    """Move leads (id, from, to, action, note) still in `from` to `to`, each with an Activity row naming the rule;
    the ids moved."""
    from xsc_desktop import db

    rows: list[dict[str, Any]] = []

    def write() -> None:
        p = database.param
        now = utcnow()
        rows.clear()
        for lead_id, from_state, to_state, action, note in changes:
            cursor = database.execute_sql(
                f'UPDATE "lead" SET delivery_state = {p} WHERE id = {p} AND delivery_state = {p}',
                (to_state, lead_id, from_state))
            if cursor.rowcount:
                rows.append({"at": now, "actor": ACTOR, "subject_type": "lead", "subject_id": lead_id,
                             "action": action, "from_state": from_state, "to_state": to_state, "note": note[:1000]})
        for start in range(0, len(rows), 200):
            Activity.insert_many(rows[start:start + 200]).execute()

    if transaction:
        with db.write_transaction():
            write()
    else:
        write()
    return [row["subject_id"] for row in rows]


def gate_for(integration: Integration, name: str, now: datetime, client_id: int | None = None,
             client_zone: str | None = None) -> Gate | None:
    """The pass's Gate of an integration with rules (None without rules); RuleError when its rules are damaged."""
    rules = DeliveryRules.from_json(integration.delivery_rules)
    if rules.is_empty():
        return None
    gate = Gate(integration.id, integration.lander_id, name, rules, client_id, client_zone, naive_utc(now))
    if rules.client_caps:
        gate.client_ids = client_integrations(client_id)
    return gate


# ---- for the window and the CLI -------------------------------------------------------------------------------
RULE_ACTIONS = ("capped", "held by rule", "rejected by rule")


def rule_notes(lead_ids: list[int]) -> dict[int, str]:
    """The latest rule that stopped each lead ("State in TX, OK: State is CA"), from its Activity; leads never
    stopped by a rule are left out."""
    out: dict[int, str] = {}
    for start in range(0, len(lead_ids), 500):
        chunk = lead_ids[start:start + 500]
        rows = (Activity.select(Activity.subject_id, Activity.note)
                .where((Activity.subject_type == "lead") & Activity.subject_id.in_(chunk)
                       & Activity.action.in_(RULE_ACTIONS))
                .order_by(Activity.id).tuples())
        for lead_id, note in rows:
            out[lead_id] = note
    return out


def cap_status(integration_id: int, now: datetime | None = None) -> dict[str, Any]:
    """The integration's caps with what went in each current window and when it reopens:
    {"caps": {period: {"cap", "count", "reopens"}}, "client_caps": {...}, "open": bool, "opens_at"}."""
    now = naive_utc(now)
    integration = _integration(integration_id)
    client_id, zone = client_of(integration_id)
    gate = gate_for(integration, "", now, client_id, zone)
    if gate is None:
        return {"caps": {}, "client_caps": {}, "open": True, "opens_at": None}
    counts = gate.counts()
    bounds = dr.windows(gate.rules, now, zone)

    def part(caps: dr.Caps, seen: dict[str, int]) -> dict[str, Any]:
        return {period: {"cap": cap, "count": seen.get(period, 0), "reopens": bounds[period][1].isoformat(sep=" ")}
                for period, cap in caps.items()}

    opening = dr.next_opening(gate.rules, now, zone)
    return {"caps": part(gate.rules.caps, dict(counts.integration)),
            "client_caps": part(gate.rules.client_caps, dict(counts.client)),
            "open": opening == now, "opens_at": opening.isoformat(sep=" ") if opening else None}


def landers_at_daily_cap(now: datetime | None = None) -> set[int]:
    """Landers whose integration (or client) has reached its daily cap in its current day ("cap reached today")."""
    now = naive_utc(now)
    out: set[int] = set()
    rows = (Integration.select(Integration.id, Integration.lander, Integration.delivery_rules)
            .where(Integration.delivery_rules.is_null(False)).tuples())
    for integration_id, lander_id, text in rows:
        try:
            rules = DeliveryRules.from_json(text)
        except RuleError:
            continue
        if rules.caps.day is None and rules.client_caps.day is None:
            continue
        status = cap_status(integration_id, now)
        for part in ("caps", "client_caps"):
            day = status[part].get("day")
            if day is not None and day["count"] >= day["cap"]:
                out.add(lander_id)
    return out
