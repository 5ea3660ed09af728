"""Every record state in one place, as `StrEnum`s: a member is its own database value ("delivered" is
`LeadState.DELIVERED`), so it compares equal to the stored text and writes as it. Labels for people live
with the screens; choice lists for the command line are the plain values (`state_values(LeadState)`).
"""

from __future__ import annotations

from enum import StrEnum


class LeadState(StrEnum):
    """`Lead.delivery_state`: where a lead is on its way to the client."""

    NEW = "new"
    SENDING = "sending"
    RETRY = "retry"
    DELIVERED = "delivered"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    HELD = "held"  # a check before posting failed (or no phone and no e-mail): never sent as it is
    RECORDS = "records"  # kept for records only, never picked by delivery
    CAPPED = "capped"  # waits at the integration's cap
    REJECTED_BY_RULE = "rejected_by_rule"  # a delivery-rule filter turned it away


# The states the delivery rules set; the lead's Activity names the rule.
RULE_STATES: tuple[str, ...] = (LeadState.CAPPED.value, LeadState.HELD.value, LeadState.REJECTED_BY_RULE.value)
# A lead in one of these is settled: delivery never picks it again by itself.
FINAL_LEAD_STATES: tuple[str, ...] = (LeadState.DELIVERED.value, LeadState.DUPLICATE.value, LeadState.REJECTED.value,
                                      LeadState.FAILED.value)


class AttemptState(StrEnum):
    """`Delivery.state`: one attempt to post a lead."""

    SENDING = "sending"
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    ERROR = "error"
    UNCERTAIN = "uncertain"


class TaskStatus(StrEnum):
    """`Task.status`: an item of the integration queue."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class EmailState(StrEnum):
    """`Email.state`: an e-mail in the outbox."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class ReportRunState(StrEnum):
    """`ReportRun.state`: one generated report."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobRunState(StrEnum):
    """`JobRun.state`: one planned run of a scheduled job."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class LanderStatus(StrEnum):
    """`Lander.status`: the pipeline in order, then the side states (moves in `landers.TRANSITIONS`)."""

    IN_PRODUCTION = "in_production"
    READY = "ready"
    QUEUED = "queued"
    INTEGRATED = "integrated"
    CONFIRMED = "confirmed"
    NEEDS_INFO = "needs_info"
    FAILED = "failed"
    PAUSED = "paused"
    ARCHIVED = "archived"


def state_values(states: type[StrEnum]) -> tuple[str, ...]:
    """The plain values of a state enum, in order (choice lists, SQL parameters)."""
    return tuple(s.value for s in states)
