"""Which customer a channel belongs to: ``channels.yaml`` (``customer:``), ``/rapport channel link|unlink``,
confirmed proposals; and what a channel's state is when a message arrives.

A channel is *linked* to one customer (its golden record), *unlinked*, in *conflict* (links to two
customers: nothing is tracked until an admin fixes it), or *erased* (it was linked, and the customer was
erased since: erasure deletes the link row, the channel's facts remember it was linked). Only admins link and
unlink; every change is audited (``channels.linked`` / ``channels.unlinked``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.alerts.models import RESOLVED as ALERT_RESOLVED
from bot.alerts.models import Alert
from bot.channels.directory import Directory
from bot.channels.facts import from_info, observe
from bot.channels.lines import conversation_lines
from bot.channels.models import (
    OPEN,
    PENDING,
    RESOLVED,
    ChannelLink,
    ChannelProposal,
    Conversation,
    SharedChannel,
)
from bot.channels.views import ChannelStatus, LinkedCustomer, ProposalLine
from bot.customers.linking import link_customers
from bot.customers.normalize import name_key, normalize_domain
from bot.governance.audit import record
from bot.services import Services
from bot.store.models import Customer, CustomerIdentifier

LINKED, UNLINKED, CONFLICT, ERASED = "linked", "unlinked", "conflict", "erased"


@dataclass(frozen=True)
class LinkedTo:
    """The customer a channel's messages are about (its golden record)."""

    id: int
    name: str
    tier: str
    timezone: str
    owner: str | None
    arr: float


@dataclass(frozen=True)
class Resolution:
    state: str  # linked | unlinked | conflict | erased
    customer: LinkedTo | None = None
    candidates: tuple[LinkedTo, ...] = ()


def golden(session: Session, customer_id: int) -> Customer | None:
    """The record a (possibly merged) customer id stands for now."""
    c = session.get(Customer, customer_id)
    for _ in range(5):
        if c is None or not c.merged_into_id:
            return c
        c = session.get(Customer, c.merged_into_id)
    return c


def _linked_to(c: Customer) -> LinkedTo:
    return LinkedTo(c.id, c.name, c.tier, c.timezone or "UTC", c.owner_slack_id, float(c.arr or 0))


def resolve(session: Session, channel: str, shared: SharedChannel | None = None) -> Resolution:
    """The channel's customer, or why there is none (one indexed look-up for unlinked channels)."""
    ids = list(session.scalars(select(ChannelLink.customer_id).where(ChannelLink.channel_id == channel)))
    if not ids:
        shared = shared if shared is not None else session.get(SharedChannel, channel)
        return Resolution(ERASED if shared is not None and shared.linked else UNLINKED)
    current: dict[int, LinkedTo] = {}
    for cid in ids:
        c = golden(session, cid)
        if c is not None:
            current[c.id] = _linked_to(c)
    if len(current) > 1:
        return Resolution(CONFLICT, None, tuple(sorted(current.values(), key=lambda x: x.name)))
    if not current:
        return Resolution(ERASED)
    (only,) = current.values()
    return Resolution(LINKED, only, (only,))


def find_customers(session: Session, ref: str) -> list[Customer]:
    """Customers ``ref`` names exactly: an external id, a domain, or a name (legal suffix ignored); else the
    customers a question naming it would link to."""
    text = ref.strip()
    if not text:
        return []
    ident = CustomerIdentifier
    probes = [("external_id", text.lower()), ("domain", normalize_domain(text)), ("name", name_key(text))]
    ids: set[int] = set()
    for kind, value in probes:
        if value:
            ids |= set(session.scalars(select(ident.customer_id).where(ident.kind == kind, ident.value == value)))
    if not ids:
        linked = link_customers(session, text)
        ids = {c.id for c in linked.customers[:1]} | {c.id for group in linked.ambiguous for c in group}
    found = {c.id: c for c in (golden(session, i) for i in ids) if c is not None}
    return sorted(found.values(), key=lambda c: c.name)


def add_link(
    session: Session, channel: str, customer: Customer, source: str, actor: str, now: dt.datetime
) -> ChannelLink:
    link = ChannelLink(channel_id=channel, customer_id=customer.id, source=source, linked_by=actor, linked_at=now)
    session.add(link)
    observe(session, channel, now).linked = True
    session.execute(
        update(ChannelProposal)
        .where(ChannelProposal.channel_id == channel, ChannelProposal.state == PENDING)
        .values(state="superseded", decided_by=actor, decided_at=now)
    )
    record(session, actor, "channels.linked", "channel", channel, {"customer_id": customer.id, "source": source})
    return link


def link(
    services: Services,
    channel: str,
    ref: str,
    actor: str,
    directory: Directory,
    home_team: str | None = None,
    source: str = "admin",
) -> ChannelStatus:
    """``/rapport channel link CUSTOMER`` in the channel: admins only; one customer per channel."""
    if source == "admin" and not services.policies.is_admin(actor):
        return status(services, channel, "Only Rapport admins (CS leads) link channels to customers.", ok=False)
    if not ref.strip():
        return status(services, channel, "Which customer? `/rapport channel link Northwave Foods`", ok=False)
    info = directory.channel_info(channel)
    now = services.clock()
    with services.sessions() as session, session.begin():
        found = find_customers(session, ref)
        if not found:
            msg = f"No customer matches “{ref[:80]}”. Try its CRM id or domain."
        elif len(found) > 1:
            names = ", ".join(f"{c.name} ({c.tier})" for c in found[:5])
            msg = f"Several customers match: {names}. Give its CRM id or domain."
        else:
            (customer,) = found
            current = resolve(session, channel)
            if current.customer is not None and current.customer.id == customer.id:
                msg = f"This channel is already linked to {customer.name}."
            elif current.state in (LINKED, CONFLICT):
                names = ", ".join(c.name for c in current.candidates)
                msg = f"This channel is linked to {names}. `/rapport channel unlink` first."
            else:
                if info is not None:
                    from_info(session, channel, info, now, home_team)
                add_link(session, channel, customer, source, actor, now)
                msg = f"Linked to {customer.name} ({customer.tier}): customer messages here now start clocks."
                return _status(session, services, channel, msg, now)
    return status(services, channel, msg, ok=False)


def unlink(services: Services, channel: str, actor: str) -> tuple[ChannelStatus, list[int]]:
    """Remove every link of the channel (admins only); its open conversations end (``unlinked``) and their
    breach alerts resolve. Returns the status and the alerts whose messages need a refresh."""
    if not services.policies.is_admin(actor):
        return status(services, channel, "Only Rapport admins (CS leads) unlink channels.", ok=False), []
    now = services.clock()
    with services.sessions() as session, session.begin():
        removed = list(session.scalars(select(ChannelLink.customer_id).where(ChannelLink.channel_id == channel)))
        shared = session.get(SharedChannel, channel)
        if not removed and not (shared and shared.linked):
            return _status(session, services, channel, "This channel is not linked to a customer.", now, ok=False), []
        session.execute(delete(ChannelLink).where(ChannelLink.channel_id == channel))
        observe(session, channel, now).linked = False
        alerts = end_conversations(session, Conversation.channel_id == channel, now, "unlinked", actor)
        record(session, actor, "channels.unlinked", "channel", channel, {"customers": removed})
        return _status(session, services, channel, "Unlinked: messages here no longer start clocks.", now), alerts


def end_conversations(session: Session, where: object, now: dt.datetime, how: str, actor: str) -> list[int]:
    """Resolve the open conversations matching ``where`` and their breach alerts; the alert ids."""
    c = Conversation.__table__.c
    rows = session.execute(select(c.id, c.alert_id).where(where, c.open_key.is_not(None))).all()  # type: ignore[arg-type]
    if not rows:
        return []
    ids = [r.id for r in rows]
    session.execute(
        update(Conversation)
        .where(c.id.in_(ids))
        .values(state=RESOLVED, open_key=None, resolved_at=now, resolved_how=how, resolved_by=actor)
    )
    return resolve_alerts(session, [r.alert_id for r in rows if r.alert_id], now)


def resolve_alerts(session: Session, alert_ids: list[int], now: dt.datetime) -> list[int]:
    """Breach alerts whose conversation was answered or ended: resolved (the condition is no longer true)."""
    if not alert_ids:
        return []
    a = Alert.__table__.c
    return list(
        session.scalars(
            update(Alert)
            .where(a.id.in_(alert_ids), a.open_key.is_not(None))
            .values(state=ALERT_RESOLVED, open_key=None, resolved_at=now)
            .returning(a.id)
        )
    )


def status(services: Services, channel: str, message: str = "", ok: bool = True) -> ChannelStatus:
    with services.sessions() as session:
        return _status(session, services, channel, message, services.clock(), ok=ok)


def _status(
    session: Session, services: Services, channel: str, message: str, now: dt.datetime, ok: bool = True
) -> ChannelStatus:
    shared = session.get(SharedChannel, channel)
    res = resolve(session, channel, shared)
    rows = session.execute(
        select(ChannelLink, Customer)
        .join(Customer, Customer.id == ChannelLink.customer_id)
        .where(ChannelLink.channel_id == channel)
        .order_by(ChannelLink.linked_at)
    ).all()
    customers = tuple(LinkedCustomer(c.id, c.name, c.tier, lk.source, lk.linked_by) for lk, c in rows)
    proposals = tuple(
        ProposalLine(p.id, c.id, c.name, c.tier, p.reason)
        for p, c in session.execute(
            select(ChannelProposal, Customer)
            .join(Customer, Customer.id == ChannelProposal.customer_id)
            .where(ChannelProposal.channel_id == channel, ChannelProposal.state == PENDING)
        ).all()
    )
    open_rows = session.scalars(
        select(Conversation)
        .where(Conversation.channel_id == channel, Conversation.state == OPEN)
        .order_by(Conversation.due_at)
        .limit(20)
    ).all()
    return ChannelStatus(
        channel=channel,
        name=shared.name if shared is not None else "",
        state=res.state,
        shared_externally=bool(shared is not None and shared.is_ext_shared),
        customers=customers,
        conversations=tuple(conversation_lines(session, open_rows, now, services.policies.sla.business_hours)),
        proposals=proposals,
        message=message,
        ok=ok,
    )


def sync_policy_links(services: Services) -> list[tuple[str, str, str]]:
    """Make ``channels.yaml``'s ``customer:`` links true in the store. Returns the problems found as
    (channel, kind, text): a customer that no longer matches (erased or renamed), or matches several."""
    now = services.clock()
    problems: list[tuple[str, str, str]] = []
    wanted = {c.id: c for c in services.policies.channels.channels if c.kind == "customer" and c.customer}
    with services.sessions() as session, session.begin():
        for channel in wanted.values():
            ref = channel.customer or ""
            found = find_customers(session, ref)
            observe(session, channel.id, now, name=channel.name)
            if len(found) != 1:
                kind = "unresolved" if not found else "ambiguous"
                what = (
                    "matches no customer (erased, renamed or not synced yet)"
                    if not found
                    else ("matches several customers: " + ", ".join(c.name for c in found[:5]))
                )
                problems.append((channel.id, kind, f"channels.yaml links #{channel.name} to “{ref}”, which {what}."))
                continue
            exists_ = session.scalar(
                select(func.count()).where(ChannelLink.channel_id == channel.id, ChannelLink.customer_id == found[0].id)
            )
            if not exists_:
                add_link(session, channel.id, found[0], "yaml", "system:channels.yaml", now)
        stale = session.scalars(
            select(ChannelLink).where(ChannelLink.source == "yaml", ChannelLink.channel_id.not_in(list(wanted) or [""]))
        ).all()
        for lk in stale:
            session.delete(lk)
            record(session, "system:channels.yaml", "channels.unlinked", "channel", lk.channel_id, {"source": "yaml"})
            remaining = session.scalar(
                select(func.count()).where(ChannelLink.channel_id == lk.channel_id, ChannelLink.id != lk.id)
            )
            if not remaining:
                observe(session, lk.channel_id, now).linked = False
    return problems
