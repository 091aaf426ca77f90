"""Plain result types the alerts feature hands to the Slack adapter (rendered in ``bot.slack.views.alerts``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
DIGEST_PART_SIZE = 12  # alerts per digest message: 12 x (section + actions) + headers stays under 50 blocks


def marker(outbox_id: int) -> str:
    """Stamped as the first block's block_id: lets delivery find a message it sent but did not record."""
    return f"rapport-outbox-{outbox_id}"


@dataclass(frozen=True)
class AlertCard:
    alert_id: int
    rule: str
    kind: str
    severity: str
    urgent: bool
    state: str  # open | acked | snoozed | resolved
    why: str
    customer_id: int
    customer: str
    tier: str
    region: str
    owner: str | None
    renewal_date: dt.date | None
    open_tickets: int
    created_at: dt.datetime
    assignee: str | None = None
    acked_by: str | None = None
    snoozed_until: dt.datetime | None = None
    # Consent governs contacting the customer, not telling staff: the card says which outreach is allowed.
    outreach_allowed: bool = True
    preferred_channel: str | None = None

    @property
    def outreach(self) -> str:
        if not self.outreach_allowed:
            return "Customer opted out of outreach: internal follow-up only, do not contact."
        if self.preferred_channel:
            return f"Outreach OK; preferred channel: {self.preferred_channel.replace('_', ' ')}."
        return "Outreach OK."


@dataclass(frozen=True)
class AlertMessage:
    card: AlertCard
    purpose: str  # alert | escalation | reminder
    marker: str


@dataclass(frozen=True)
class DigestGroup:
    customer_id: int
    customer: str
    tier: str
    alerts: tuple[AlertCard, ...]


@dataclass(frozen=True)
class DigestMessage:
    recipient: str
    part: int
    parts: int
    total: int
    groups: tuple[DigestGroup, ...]
    marker: str


@dataclass(frozen=True)
class CapNotice:
    rule: str
    candidates: int
    alerted: int
    capped: int
    marker: str


@dataclass(frozen=True)
class OpenAlerts:
    """App Home: the alerts a user owns or is assigned, newest first."""

    user: str
    cards: tuple[AlertCard, ...]
    more: int = 0


@dataclass(frozen=True)
class ActionResult:
    ok: bool
    message: str
    card: AlertCard | None = None
