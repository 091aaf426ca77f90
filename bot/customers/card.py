"""The customer context card: everything staff need about an account, redacted for the viewer.

This module is the only writer of the ``customer.viewed`` audit event: every path that shows a card (an
answer, ``/rapport customer``, an alert's button) goes through :func:`record_view`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.customers.linking import link_customers
from bot.customers.sla import SlaClock, sla_clock
from bot.governance.audit import record
from bot.governance.redaction import redact
from bot.policies import Policies
from bot.services import Services
from bot.store.models import Contact, Customer, Note, Order, SurveyResponse, Ticket

OPEN_STATUSES = ("open", "pending")
# What a last contact is made of: a ticket opened, an order placed, a note, call or meeting logged (the card's last
# contact, the book's "gone quiet" list).
CONTACT_EVENTS = ((Ticket, Ticket.opened_at), (Order, Order.ordered_at), (Note, Note.created_at))


@dataclass(frozen=True)
class TicketLine:
    id: int
    subject: str
    priority: str
    status: str
    opened_at: dt.datetime
    clock: SlaClock | None


@dataclass(frozen=True)
class CustomerCard:
    """Field name -> value, already redacted; ``hidden`` lists the fields the viewer may not see."""

    customer_id: int
    name: str
    tier: str
    owner: str | None
    fields: dict[str, Any]
    tickets: list[TicketLine] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)

    @property
    def has_sensitive(self) -> bool:
        return bool(self.fields.get("_sensitive_shown"))


def viewer_roles(policies: Policies, user_id: str) -> list[str]:
    staff = policies.staff(user_id)
    return list(staff.roles) if staff else []


def customer_record(
    session: Session, policies: Policies, customer: Customer, now: dt.datetime, recent: int = 3
) -> tuple[dict[str, Any], list[TicketLine]]:
    """Every card field, unredacted. Only :func:`build_card` (which redacts) should expose it."""
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == customer.id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.opened_at)
        .limit(10)
    ).all()
    lines = []
    for t in tickets:
        try:
            clock = sla_clock(
                policies, customer.tier, customer.timezone, t.id, t.priority, t.opened_at, t.first_response_at, now
            )
        except Exception:  # unknown tier/priority in source data: show the ticket without a clock
            clock = None
        lines.append(TicketLine(t.id, t.subject, t.priority, t.status, t.opened_at, clock))
    lasts = (session.scalar(select(func.max(at)).where(t.customer_id == customer.id)) for t, at in CONTACT_EVENTS)
    last_contact = max((d for d in lasts if d), default=None)
    contact = session.scalar(
        select(Contact).where(Contact.customer_id == customer.id).order_by(Contact.is_primary.desc()).limit(1)
    )
    notes = session.scalars(
        select(Note).where(Note.customer_id == customer.id).order_by(Note.created_at.desc()).limit(recent)
    ).all()
    recent_tickets = session.scalars(
        select(Ticket).where(Ticket.customer_id == customer.id).order_by(Ticket.opened_at.desc()).limit(recent)
    ).all()
    overdue = session.scalar(
        select(func.count()).select_from(Order).where(Order.customer_id == customer.id, Order.status == "overdue")
    )
    sentiments = [t.sentiment for t in recent_tickets]
    nps = session.scalars(
        select(SurveyResponse)
        .where(SurveyResponse.customer_id == customer.id, SurveyResponse.survey == "nps")
        .order_by(SurveyResponse.responded_at.desc())
        .limit(1)
    ).first()
    record: dict[str, Any] = {
        "name": customer.name,
        "tier": tier_text(policies, customer.tier),
        "segment": customer.segment,
        "region": customer.region,
        "time_zone": customer.timezone,
        "owner": customer.owner_slack_id,
        "renewal_date": customer.renewal_date,
        "open_tickets": len(lines),
        "last_contact": last_contact,
        "recent_interactions": [
            f"{t.opened_at:%Y-%m-%d} {t.priority} {t.subject} ({t.status})" for t in recent_tickets
        ],
        "preferences": customer.comm_preferences or {},
        "consent": {
            "outreach": customer.consent_outreach,
            "marketing": customer.consent_marketing,
            "data processing": customer.consent_data_processing,
        },
        "lifetime_value": customer.lifetime_value,
        "arr": customer.arr,
        "contact_name": contact_label(contact) if contact else None,
        "contact_email": contact.email if contact else None,
        "contact_phone": contact.phone if contact else None,
        "notes": [f"{n.created_at:%Y-%m-%d} {n.kind}: {n.body}" for n in notes],
        "sentiment": round(sum(sentiments) / len(sentiments), 2) if sentiments else None,
        "nps": nps_text(nps.score, nps.responded_at) if nps else None,
        "health_score": customer.health_score,
        "payment_status": f"{overdue} overdue invoice(s)" if overdue else "current",
        # the discount requests live with the approvals (a feature above this layer): bot.ask.discounts reads
        # them for a role the redaction below lets see this field
        "discount_history": [],
    }
    return record, lines


def nps_text(score: int, responded: dt.datetime | dt.date) -> str:
    """The latest NPS answer as the card shows it: "9 (promoter, 2026-11-12)"; 0-6 detractor, 7-8 passive."""
    kind = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    return f"{score} ({kind}, {responded:%Y-%m-%d})"


def contact_label(contact: Contact) -> str:
    """'Dana Fischer (VP Operations)': the contact's name, with their title when the record has one."""
    return f"{contact.name} ({contact.title})" if contact.title else contact.name


def unknown_tier(policies: Policies, tier: str) -> str | None:
    """Why a stored tier is not one the policies know (a source's own word, e.g. ``Enterprise``), else None."""
    if tier in policies.tier_names:
        return None
    if not policies.configured:  # a plain handbook: no tiers.yaml to map the word in
        return "this handbook configures no tiers (no `policies/` folder), so no SLA, escalation or alert rule applies"
    return (
        f"tier {tier!r} is not in tiers.yaml, so no SLA, escalation or alert rule applies; map it in sources.yaml "
        "(values: tier) and sync again"
    )


def tier_text(policies: Policies, tier: str) -> str:
    """The tier as the card shows it: the name, or the name and why no rule applies to it."""
    problem = unknown_tier(policies, tier)
    return tier if problem is None else f"{tier} ({problem})"


def build_card(session: Session, policies: Policies, customer_id: int, viewer: str, now: dt.datetime) -> CustomerCard:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise LookupError(f"no customer with id {customer_id}")
    record, tickets = customer_record(session, policies, customer, now)
    roles = viewer_roles(policies, viewer)
    shown = redact(record, roles, policies)
    hidden = sorted(k for k in record if k not in shown)
    shown["_sensitive_shown"] = any(k in policies.sensitive_fields for k in shown)
    return CustomerCard(customer.id, customer.name, customer.tier, customer.owner_slack_id, shown, tickets, hidden)


VIEWED_ACTION = "customer.viewed"  # the audit action of a card shown (the access log reads it: bot.ask.views)


def record_view(session: Session, viewer: str, card: CustomerCard, via: str) -> None:
    """Audit that ``viewer`` was shown ``card`` (which fields, never their values), in the caller's transaction."""
    fields = sorted(k for k in card.fields if not k.startswith("_"))
    record(session, viewer, VIEWED_ACTION, "customer", card.customer_id, {"fields": fields, "via": via})


def view_card(services: Services, customer_id: int, viewer: str, via: str) -> CustomerCard:
    """The card of one customer for ``viewer``, audited. ``LookupError`` if the customer no longer exists."""
    with services.sessions() as session, session.begin():
        card = build_card(session, services.policies, customer_id, viewer, services.clock())
        record_view(session, viewer, card, via)
    return card


@dataclass(frozen=True)
class CardLookup:
    """A card found by name, domain or id, or why none was shown (nothing matched, or several did)."""

    card: CustomerCard | None
    message: str = ""


def find_card(services: Services, text: str, viewer: str, via: str = "slash") -> CardLookup:
    if not text.strip():
        return CardLookup(None, "Which customer? e.g. `/rapport customer Northwave Foods`")
    with services.sessions() as session, session.begin():
        linked = link_customers(session, text)
        if not linked.primary and linked.ambiguous:
            names = ", ".join(f"{c.name} ({c.tier})" for c in linked.ambiguous[0][:5])
            return CardLookup(None, f"Several customers match: {names}. Add a detail (domain or id).")
        if not linked.primary:
            return CardLookup(None, f"I couldn't find a customer matching “{text[:80]}”. Try a domain or CRM id.")
        card = build_card(session, services.policies, linked.primary.id, viewer, services.clock())
        record_view(session, viewer, card, via)
    return CardLookup(card)
