"""Plain results the approvals feature hands to the Slack adapter (rendered in ``bot.slack.views.approvals``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from bot.approvals.amounts import format_money, format_percent
from bot.mrkdwn import bold, escape

TYPE_LABELS = {
    "discount": "Discount",
    "custom_terms": "Custom terms",
    "expedited_fulfilment": "Expedited fulfilment",
    "sla_exception": "SLA exception",
    "special_handling": "Special handling",
    "data_access": "Data access",
    "tier_override": "Tier override",
}


def label(request_type: str) -> str:
    """A request type as people read it ("Custom terms"); an unknown one as it is."""
    return TYPE_LABELS.get(request_type, request_type)


@dataclass(frozen=True)
class Precedent:
    request_id: int
    customer_name: str
    amount: Decimal | None
    percent: float | None
    state: str
    decided_at: dt.datetime | None


@dataclass(frozen=True)
class RouteReason:
    """Why a request took its route: the rule that matched and, for each rule tried before it, the conditions
    the request did not meet ("no amount given", "18% is over 10%")."""

    rule: str
    catch_all: bool  # the matched rule has no conditions
    passed_over: tuple[tuple[str, tuple[str, ...]], ...] = ()
    amount_measure: str | None = None  # set when a rule was passed over for want of an amount: what to give


@dataclass(frozen=True)
class StepProgress:
    index: int
    name: str
    approvers: str
    channel: str
    required: int
    status: str  # done | current | waiting
    approved_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApprovalCard:
    """The governance-channel message for one step of one request (updated in place as it moves on)."""

    request_id: int
    step: int  # the step this message belongs to
    request_type: str
    customer_name: str
    tier: str | None
    region: str | None
    risk: str
    amount: Decimal | None
    percent: float | None
    terms: str | None
    justification: str
    links: tuple[str, ...]
    requester: str
    rule: str
    policy_version: str
    state: str  # request state
    steps: tuple[StepProgress, ...]
    actionable: bool  # buttons shown: this message's step is the current pending one
    approvers: str  # principal currently allowed to decide this step
    escalated: bool = False
    outcome: str | None = None  # what happened to this step: approved | rejected | changes_requested | expired
    decided_by: str | None = None
    reason: str | None = None
    precedents: tuple[Precedent, ...] = ()
    one_step_per_person: bool = True  # separation of duties across steps (policy may relax it per type)
    route: RouteReason | None = None  # why this route (None when the policy changed since the request)

    @property
    def earlier_deciders(self) -> tuple[str, ...]:
        """Who approved the steps before this message's step, in order, each once."""
        seen: dict[str, None] = {}
        for s in self.steps[: self.step]:
            seen.update(dict.fromkeys(s.approved_by))
        return tuple(seen)

    @property
    def button_value(self) -> str:
        """What the Approve/Reject/Changes buttons carry: the request and the step they were shown for."""
        return f"{self.request_id}:{self.step}"


@dataclass(frozen=True)
class RequesterNotice:
    """Told to the requester (DM and original thread): submitted, decided, expired, or moved to the next step."""

    request_id: int
    request_type: str
    customer_name: str
    state: str
    headline: str
    decided_by: str | None = None
    reason: str | None = None


def measure(amount: Decimal | None, percent: float | None) -> str:
    """What a request asks, as cards and lists say it: "15% / $9,000", "$2,000", "-" when neither."""
    parts = [format_percent(percent) if percent is not None else "", format_money(amount) if amount is not None else ""]
    return " / ".join(p for p in parts if p) or "-"


@dataclass(frozen=True)
class RequestSummary:
    request_id: int
    request_type: str
    customer_name: str
    state: str
    step_name: str | None
    requester: str
    created_at: dt.datetime
    amount: Decimal | None = None
    percent: float | None = None
    link_channel: str | None = None
    link_ts: str | None = None

    def line(self, outcome: str = "") -> str:
        """One line of a list of requests (App Home, an answer): "• #12 Discount for *Acme* (15% / $9,000) · Deal
        desk · since 2026-11-20", the request's own text inert; ``outcome`` ("approved on 2 Dec 2026") in place of
        the step and the day it was asked, for a list of decisions."""
        where = f" · {escape(self.step_name)}" if self.step_name else ""
        asked = measure(self.amount, self.percent)
        head = f"• #{self.request_id} {escape(label(self.request_type))} for {bold(self.customer_name)} ({asked})"
        return f"{head}: {outcome}" if outcome else f"{head}{where} · since {self.created_at:%Y-%m-%d}"


@dataclass(frozen=True)
class ApprovalsHome:
    """The App Home section: what waits for me as an approver, and my own open requests."""

    user_id: str
    to_decide: tuple[RequestSummary, ...] = ()
    my_open: tuple[RequestSummary, ...] = ()


@dataclass(frozen=True)
class RequestPrefill:
    """Values to pre-fill the request modal with (from the Ask answer's button or a failed slash command)."""

    request_type: str = ""
    customer: str = ""
    amount: str = ""
    percent: str = ""
    terms: str = ""
    justification: str = ""
    links: tuple[str, ...] = ()
    risk: str = "low"
    origin_channel: str | None = None
    origin_thread_ts: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
