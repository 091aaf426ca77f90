"""Policy computations: the sentence(s) a policy intent computes for this question, one handler per ``compute``.

An intent of kind "policy" names what computes its answer (``intents.yaml``'s ``compute``): an escalation or SLA
target for the customer's tier, the asker's approval queue, the playbooks past review, how renewals went across
the book... Each handler reads what it needs from :class:`Inputs` and returns a :class:`PolicyFinding`, or None
when it has nothing to say (not configured, no customer, not asked that way): the playbooks answer then.

Kept apart from the answer pipeline (:mod:`bot.ask.service`) so that adding a computation is one handler and one
line of the table, not another branch of the pipeline.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.ask import direct
from bot.ask.access import field_access_finding
from bot.ask.alert_figures import alert_figures_finding
from bot.ask.alert_rules import (
    alert_rules_finding,
    asks_of_owners,
    asks_unacked,
    asks_which_alerts,
    owner_rules_finding,
    unacked_finding,
)
from bot.ask.approval_figures import approval_figures_finding
from bot.ask.approvers import approver_finding
from bot.ask.book import staff_named, staff_names
from bot.ask.cadence import asks_when_due, cadence_finding
from bot.ask.caps import asks_own, caps_finding
from bot.ask.conversations import channels_finding, waiting_finding
from bot.ask.customer_alerts import customer_alerts_finding
from bot.ask.erasures import erasures_finding
from bot.ask.intents import Intent
from bot.ask.library import library_finding
from bot.ask.outcomes import outcomes_finding
from bot.ask.pending import (
    asks_overdue,
    customer_requests_finding,
    decided_finding,
    named_request,
    overdue_finding,
    pending_finding,
    request_finding,
)
from bot.ask.placement import placement_finding
from bot.ask.policy import (
    PolicyFinding,
    alert_delivery_finding,
    asks_delivery,
    duty_finding,
    escalation_by_severity,
    escalation_by_tier,
    escalation_finding,
    escalation_step_finding,
    promises_finding,
    sla_by_tier,
    sla_finding,
    sla_summary,
)
from bot.ask.priority_words import priority_finding
from bot.ask.renewal_risk import renewal_risk_finding
from bot.ask.service_levels import asks_opened, opened_finding, service_levels_finding
from bot.ask.slots import read_values
from bot.ask.sources import sources_finding
from bot.ask.staff import staff_finding
from bot.ask.stale import stale_finding
from bot.ask.surveys import surveys_finding
from bot.ask.today import (
    asks_open_alerts,
    asks_raised_alerts,
    open_alerts_finding,
    raised_alerts_finding,
    today_finding,
)
from bot.ask.understand import Understanding, questions_of
from bot.ask.usage import usage_finding
from bot.ask.views import views_finding
from bot.customers.accounts import tiers_owned
from bot.customers.card import CustomerCard
from bot.policies import Policies
from bot.services import Services
from retrieval.types import DocMeta

log = logging.getLogger(__name__)
_WHO = re.compile(r"^\W*who(?:'s| is| do| should| gets?| will)?\b", re.I)  # a person asked for


@dataclass(frozen=True)
class Inputs:
    """What a computation reads: the question as understood, the customer (if any) and who asks."""

    services: Services
    session: Session
    u: Understanding
    card: CustomerCard | None
    question: str
    asker: str
    tier: str | None  # the tier to answer for: one of several named, else the customer's or the question's one

    @property
    def policies(self) -> Policies:
        return self.services.policies

    @property
    def now(self) -> dt.datetime:
        return self.services.clock()


Handler = Callable[[Inputs], PolicyFinding | None]
TierHandler = Callable[[Inputs, str], PolicyFinding | None]  # for this tier


def _approvals(a: Inputs) -> PolicyFinding | None:
    """The steps waiting past their reminder time, else as :func:`_customer_requests`: with a customer in view the
    requests made for them, else the asker's own queue."""
    if a.card is None and asks_overdue(a.question):
        return overdue_finding(a.services, a.asker, a.now)
    return _customer_requests(a)


def _customer_requests(a: Inputs) -> PolicyFinding | None:
    """The approval requests made for the customer in view; with none in view, the asker's own queue."""
    if a.card is None:
        return pending_finding(a.services, a.asker)
    card = a.card
    return customer_requests_finding(a.services, a.asker, card.customer_id, direct.name_of(card), card.owner)


def _request(a: Inputs) -> PolicyFinding | None:
    """One request, by its number ("what's the status of request #12?")."""
    number = named_request(a.question)
    return request_finding(a.services, a.asker, number) if number is not None else None


# The asker speaking of their own absence ("who covers my accounts while I'm out?")
_OWN = re.compile(r"\b(i|i'm|i am|my|me)\b", re.I)


def _duty(a: Inputs) -> PolicyFinding:
    """Who is on duty, knowing who is away: a colleague the question names ("Marcus's accounts"), else the asker
    when they speak of themselves."""
    away = staff_named(a.question, staff_names(a.policies)) or (a.asker if _OWN.search(a.question) else None)
    return duty_finding(a.policies, a.tier, a.card, away)


def _documents(a: Inputs) -> list[DocMeta] | None:
    """The playbooks' front matter as the index read it (a plain handbook has it too); None when the index cannot
    be opened: the playbooks' answer then says it cannot search them."""
    try:
        return a.services.index.documents()
    except Exception:
        log.warning("playbook index unavailable; no playbooks to list", exc_info=True)
        return None


def _stale(a: Inputs) -> PolicyFinding | None:
    """The playbooks past their review date."""
    documents = _documents(a)
    return stale_finding(a.policies, documents, a.now.date()) if documents is not None else None


def _library(a: Inputs) -> PolicyFinding | None:
    """Every playbook, by title."""
    documents = _documents(a)
    return library_finding(a.policies, documents) if documents is not None else None


def _chain(a: Inputs) -> list[str]:
    """The thread's questions this one is read with, then this one: a window said before ("last quarter") holds."""
    return [*questions_of(a.u.read_with), a.question] if a.u.read_with else [a.question]


def _windowed(a: Inputs) -> list[str]:
    """The questions a figure over a past window reads its window from, the latest said first: this question, the
    chain a short follow-up was read with, or the thread's question right before ("how did renewals go last
    quarter?" then "which customers churned?": last quarter's)."""
    chain = _chain(a)
    if not a.u.read_with and a.u.earlier:
        chain = [questions_of(a.u.earlier)[-1], *chain]
    return chain


def _outcomes(a: Inputs) -> PolicyFinding | None:
    """How renewals went across the book."""
    return outcomes_finding(a.session, a.services, a.asker, _windowed(a), a.now, a.u.slots.tiers)


def _service_levels(a: Inputs) -> PolicyFinding | None:
    """How support kept its SLA across the book; not one customer's tickets ("what's X's first contact
    resolution?": their ticket record)."""
    if a.card is not None:
        return None
    if asks_opened(a.question):  # how many came in ("how many P1 tickets did we have this month?")
        return opened_finding(a.services, _windowed(a), a.now, a.u.slots.tiers, a.u.slots.priority)
    return service_levels_finding(a.services, _windowed(a), a.now, a.u.slots.tiers, a.u.slots.priority)


def _surveys(a: Inputs) -> PolicyFinding | None:
    """What customers said in surveys across the book; not one customer's answers (their NPS field)."""
    if a.card is not None:
        return None
    return surveys_finding(a.services, a.asker, _windowed(a), a.now, a.u.slots.tiers, a.u.slots.region)


def _decisions(a: Inputs) -> PolicyFinding | None:
    """What the asker decided, or how their own requests ended: read with the thread's earlier questions."""
    return decided_finding(a.services, a.asker, _chain(a), a.now)


def _of_customer(
    evaluate: Callable[[Session, Policies, CustomerCard, dt.datetime], PolicyFinding | None],
) -> Handler:
    """An alert rule evaluated for this customer now: nothing without one."""

    def handler(a: Inputs) -> PolicyFinding | None:
        return evaluate(a.session, a.policies, a.card, a.now) if a.card else None

    return handler


def _alerts(a: Inputs) -> PolicyFinding | None:
    """The asker's open alerts, the rules that reach them, or why an alert came when it did."""
    if asks_unacked(a.question):  # "what happens if nobody acknowledges an alert?": where it escalates
        return unacked_finding(a.policies)
    if asks_open_alerts(a.question):  # the alerts themselves, not the rules that send them
        return open_alerts_finding(a.services, a.asker)
    if asks_raised_alerts(a.question):  # those raised in a window ("what alerts fired today?")
        return raised_alerts_finding(a.services, a.asker, _windowed(a), a.now)
    if asks_which_alerts(a.question):  # the rules that reach them, by the accounts they own
        if asks_of_owners(a.question):  # "which alerts go to the account owner?": owners in general
            return owner_rules_finding(a.policies)
        return alert_rules_finding(a.policies, a.asker, tiers_owned(a.session, a.asker))
    if not asks_delivery(a.question):
        return None
    moment = a.u.slots.moment  # "why did I get an alert at 3am?": that time, in the asker's zone
    return alert_delivery_finding(a.policies, a.asker, a.now, moment.time if moment else None)


def _views(a: Inputs) -> PolicyFinding | None:
    """Who viewed the customer's record (the access log); nothing without a customer in view."""
    return views_finding(a.session, a.policies, a.card, a.asker, _windowed(a), a.now) if a.card else None


def _untiered(a: Inputs, compute: str) -> PolicyFinding | None:
    """Escalation or SLA targets with no customer or tier: the most urgent case for "who is on call?" (said as
    assumed), every tier's answer when a priority is named, else nothing ("what is the escalation process?" is
    the playbook's procedure)."""
    priority = a.u.slots.priority
    if not priority and compute == "escalation" and a.policies.configured:
        return escalation_by_tier(a.policies, "P1", assumed=True) if _WHO.match(a.question) else None
    if not priority or not a.policies.configured or compute == "promises":
        return None
    by_tier = escalation_by_tier if compute == "escalation" else sla_by_tier
    return by_tier(a.policies, priority)


def _promises(a: Inputs, tier: str) -> PolicyFinding | None:
    """What the tier is promised, or when the customer's next review or check-in is due."""
    if not a.policies.configured:
        return None  # a plain handbook promises nothing in YAML: its Markdown answers
    if a.card is not None and asks_when_due(a.question):  # the next review or check-in, from the last one
        return cadence_finding(a.session, a.policies, a.card, a.question, a.now)
    named = a.u.slots.tiers  # the customer's name is not read for tiers ("Gold Coast Mining")
    tiers = [tier, *(t for t in named if t != tier)] if a.card else list(named)
    return promises_finding(a.policies, tiers, a.question, direct.name_of(a.card) if a.card else "")


def _escalation(a: Inputs, tier: str) -> PolicyFinding | None:
    if a.card is not None:
        ticket = a.u.ticket.id if a.u.ticket else None
        return escalation_finding(a.policies, a.card, a.question, a.u.slots.priority, ticket)
    if a.u.slots.priority:
        return escalation_step_finding(a.policies, tier, a.u.slots.priority)
    return escalation_by_severity(a.policies, tier)  # a tier alone: each severity's first level


def _sla(a: Inputs, tier: str) -> PolicyFinding | None:
    if a.u.slots.priority:
        return sla_finding(a.policies, tier, a.u.slots.priority, a.card)
    return sla_summary(a.policies, tier, direct.name_of(a.card) if a.card else "")


# compute -> (needs the policies configured, handler). Those that do not: the roster and the review dates are read
# from a plain handbook too, and the tier computations say themselves what is missing.
_HANDLERS: dict[str, tuple[bool, Handler]] = {
    "approvals": (True, _approvals),
    "customer_requests": (True, _customer_requests),
    "request": (True, _request),
    "approval_figures": (True, lambda a: approval_figures_finding(a.services, _windowed(a), a.now, a.asker)),
    "alert_figures": (True, lambda a: alert_figures_finding(a.services, _windowed(a), a.now)),
    "approvers": (True, lambda a: approver_finding(a.policies, a.asker, a.question)),
    "conversations": (True, lambda a: waiting_finding(a.session, a.services, a.asker, a.card)),
    "customer_channels": (False, lambda a: channels_finding(a.session, a.card) if a.card else None),
    "stale": (False, _stale),
    "library": (False, _library),
    "sources": (True, lambda a: sources_finding(a.session, a.services, a.asker, a.now)),
    "today": (True, lambda a: today_finding(a.session, a.services, a.asker, a.now)),
    "outcomes": (True, _outcomes),
    "service_levels": (True, _service_levels),
    "surveys": (True, _surveys),
    "priority_words": (True, lambda a: priority_finding(a.policies, a.question, a.card)),
    "erasures": (False, lambda a: erasures_finding(a.session, _windowed(a), a.now)),  # also a plain handbook
    "staff": (False, lambda a: staff_finding(a.policies, a.question)),
    "decisions": (True, _decisions),
    "renewal_risk": (True, _of_customer(renewal_risk_finding)),
    "usage": (True, _of_customer(usage_finding)),
    "customer_alerts": (True, _of_customer(customer_alerts_finding)),
    "placement": (True, lambda a: placement_finding(a.policies, read_values(a.question), a.now.date())),
    "access": (True, lambda a: field_access_finding(a.policies, a.question, a.asker)),
    "views": (True, _views),
    "alerts": (True, _alerts),
    "duty": (True, _duty),  # who covers a tier's accounts
    # owners over a tier's cap on accounts ("am I over my cap?": the asker alone)
    "caps": (True, lambda a: caps_finding(a.session, a.policies, a.asker if asks_own(a.question) else None)),
}


def needs_policies(compute: str) -> bool:
    """Whether a computation reads the policies (a plain handbook without them gets the playbooks' answer and a note
    saying so); the playbooks' own list and review dates, the staff roster, erasures and channels do not."""
    handler = _HANDLERS.get(compute)
    return handler is None or handler[0]


# Targets for a tier: the customer's, or the one the question names; evaluated guarded (a policy file a
# maintainer is editing must not take the answer down with it: the playbooks answer instead).
_FOR_TIER: dict[str, TierHandler] = {"promises": _promises, "escalation": _escalation, "sla": _sla}


def finding(
    services: Services,
    session: Session,
    policy: Intent,
    u: Understanding,
    card: CustomerCard | None,
    question: str,
    asker: str,
    for_tier: str | None = None,
) -> PolicyFinding | None:
    """What ``policy`` computes for this question, or None. ``for_tier``: the tier to answer for (one of several
    the question names), else the customer's or the question's one tier."""
    tier = for_tier or (card.tier if card else u.slots.tier)
    a = Inputs(services, session, u, card, question, asker, tier)
    compute = policy.compute or ""
    if compute in _HANDLERS:
        needs_policies, handler = _HANDLERS[compute]
        return handler(a) if a.policies.configured or not needs_policies else None
    evaluate = _FOR_TIER.get(compute)
    if evaluate is None:
        return None
    try:
        return _untiered(a, compute) if tier is None else evaluate(a, tier)
    except Exception:
        log.exception("policy evaluation failed; answering from the playbooks alone")
        return None


def policy_findings(
    services: Services, session: Session, u: Understanding, card: CustomerCard | None, question: str, asker: str
) -> list[PolicyFinding]:
    """Escalation or SLA targets (or both, when both are asked) computed for this customer or the tier the
    question names; each other policy intent's computation."""
    policy = [i for i in u.asked.intents if i.kind == "policy"]
    named = u.slots.tiers
    if card is None and len(named) > 1 and policy and policy[0].compute in ("escalation", "sla"):
        # tiers compared ("compare platinum and gold escalation"): each named tier's answer, in the order named
        found = (finding(services, session, i, u, None, question, asker, t) for t in named for i in policy)
    else:
        found = (finding(services, session, i, u, card, question, asker) for i in policy)
    return [f for f in found if f is not None]
