"""Plain result types the alerts feature hands to the Slack adapter (rendered in ``bot.slack.views.alerts``).

Evidence values a reader's role may not see (ARR, amounts, health, sentiment) are already hidden in these:
the adapter renders what it gets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
OPEN_ALERTS_PAGE = 10  # alerts per page of /rapport alerts and App Home


def marker(outbox_id: int) -> str:
    """Stamped as the first block's block_id: lets delivery find a message it sent but did not record."""
    return f"rapport-outbox-{outbox_id}"


@dataclass(frozen=True)
class Condition:
    """One condition of the rule with the customer's value: ``days without activity 46 (rule: >= 21)``."""

    label: str
    value: str
    rule: str
    met: bool


@dataclass(frozen=True)
class AlertCard:
    alert_id: int
    rule: str
    kind: str
    severity: str
    urgent: bool
    state: str  # open | acked | snoozed | resolved
    why: str  # one line with the numbers, as this reader may see them
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
    priority: float = 0.0
    band: str = ""
    arr: float | None = None  # None: hidden from this reader (or unknown)
    snooze_reason: str | None = None
    recipient: str | None = None  # who owns it: the account owner, else the on-duty owner

    @property
    def outreach(self) -> str:
        if not self.outreach_allowed:
            return "Customer opted out of outreach: internal follow-up only, do not contact."
        if self.preferred_channel:
            return f"Outreach OK; preferred channel: {self.preferred_channel.replace('_', ' ')}."
        return "Outreach OK."


@dataclass(frozen=True)
class AlertMessage:
    """One customer's alert(s) for one reader: ``card`` first, then the customer's other signals sent with it
    (ranked by priority). ``note`` says why an escalation or reminder is sent."""

    card: AlertCard
    purpose: str  # alert | escalation | reminder
    marker: str
    others: tuple[AlertCard, ...] = ()
    note: str = ""

    @property
    def cards(self) -> tuple[AlertCard, ...]:
        return (self.card, *self.others)


@dataclass(frozen=True)
class DigestGroup:
    """One digest entry: a customer and its signals, highest priority first."""

    customer_id: int
    customer: str
    tier: str
    alerts: tuple[AlertCard, ...]
    arr: float | None = None

    @property
    def priority(self) -> float:
        return max((c.priority for c in self.alerts), default=0.0)

    @property
    def urgent(self) -> bool:
        return any(c.urgent for c in self.alerts)


@dataclass(frozen=True)
class DigestSummary:
    """The line at the top of a digest: ``3 urgent, 12 at-risk ARR $4.1M, 40 more in /rapport alerts``."""

    customers: int  # customers with a signal in this digest (shown or not)
    shown: int
    alerts: int
    urgent: int  # customers with an urgent signal (deferred here by a cap)
    at_risk: int  # customers with value at risk (an expansion signal alone is not a risk)
    at_risk_arr: float | None  # their combined ARR; None when hidden from this reader
    more: int  # customers summarised, not shown


@dataclass(frozen=True)
class DigestMessage:
    recipient: str
    digest_id: int  # the outbox row: "Ack all" acknowledges what this message shows
    groups: tuple[DigestGroup, ...]
    summary: DigestSummary
    marker: str


@dataclass(frozen=True)
class CapNotice:
    rule: str
    candidates: int
    alerted: int
    capped: int
    marker: str


@dataclass(frozen=True)
class SnoozeNotice:
    """To a manager: someone snoozed an alert at or above the policy's severity, for how long and why."""

    card: AlertCard
    by: str
    until: dt.datetime
    reason: str
    marker: str


@dataclass(frozen=True)
class OpenAlerts:
    """App Home and ``/rapport alerts``: the alerts a user owns or is assigned, highest priority first, a page
    at a time, with the true total."""

    user: str
    cards: tuple[AlertCard, ...]
    total: int = 0
    page: int = 1
    pages: int = 1
    urgent: int = 0
    per_page: int = OPEN_ALERTS_PAGE

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.cards))


@dataclass(frozen=True)
class ActionResult:
    ok: bool
    message: str
    card: AlertCard | None = None
    alert_ids: tuple[int, ...] = ()  # every alert the action changed (ack all): messages to refresh
