"""Tickets from customer messages: 🎫 by a staff member, or a detected complaint.

A ticket is a row of the customer record's ``tickets`` (source ``slack``), so it enters the SLA alert rules
and the KPIs like any helpdesk ticket; ``channel_tickets`` keeps the link back to the Slack message and, when a
helpdesk writer is configured, the ticket's id there. One ticket per message: a second 🎫 is told the first.
The ticket's first response is the conversation's (a staff reply in the thread), as tracking records it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels.helpdesk import HelpdeskError, HelpdeskTicket, HelpdeskWriter
from bot.channels.links import LinkedTo
from bot.channels.models import ChannelTicket, Conversation
from bot.channels.text import plain
from bot.channels.views import TicketMade
from bot.customers.sla import human, sla_clock
from bot.governance.audit import record
from bot.policies import Policies
from bot.services import Services
from bot.store.models import Ticket

log = logging.getLogger(__name__)
SUBJECT = 200


@dataclass(frozen=True)
class Source:
    """The message a ticket is made from."""

    channel: str
    ts: str
    text: str
    files: tuple[str, ...] = ()
    posted_at: dt.datetime | None = None


def subject_of(text: str, files: tuple[str, ...] = ()) -> str:
    first = plain((text or "").strip().split("\n", 1)[0], SUBJECT)
    if first:
        return first
    return plain("(file: " + ", ".join(files[:3]) + ")", SUBJECT) if files else "(no text)"


def existing(session: Session, channel: str, ts: str) -> ChannelTicket | None:
    return session.scalar(
        select(ChannelTicket).where(ChannelTicket.channel_id == channel, ChannelTicket.message_ts == ts)
    )


def create(
    session: Session,
    source: Source,
    customer: LinkedTo,
    conversation: Conversation | None,
    priority: str,
    actor: str,
    reason: str,
    permalink: str,
    now: dt.datetime,
    category: str = "question",
    sentiment: float = 0.0,
) -> tuple[Ticket, ChannelTicket]:
    """The ticket and its link row, in the caller's transaction (audited ``channels.ticket_created``)."""
    opened = source.posted_at or now
    answered = conversation.first_response_at if conversation is not None else None
    ticket = Ticket(
        customer_id=customer.id,
        source="slack",
        external_id=f"slack:{source.channel}:{source.ts}"[:80],
        subject=subject_of(source.text, source.files),
        priority=priority,
        status="open",
        category=category,
        sentiment=sentiment,
        opened_at=opened,
        first_response_at=answered if answered is not None and answered >= opened else None,
    )
    session.add(ticket)
    session.flush()
    link = ChannelTicket(
        ticket_id=ticket.id,
        customer_id=customer.id,
        conversation_id=conversation.id if conversation is not None else None,
        channel_id=source.channel,
        message_ts=source.ts,
        permalink=permalink[:300],
        reason=reason,
        created_by=actor,
        created_at=now,
    )
    session.add(link)
    session.flush()
    record(
        session,
        actor,
        "channels.ticket_created",
        "ticket",
        ticket.id,
        {"channel": source.channel, "ts": source.ts, "reason": reason, "priority": priority},
    )
    return ticket, link


def write_to_helpdesk(
    services: Services, writer: HelpdeskWriter | None, link_id: int, source: Source, priority: str
) -> str:
    """Create the ticket in the helpdesk too (after the record's transaction committed); a note for the
    staff member when it failed (the record's ticket stands either way)."""
    if writer is None:
        return ""
    with services.sessions() as session:
        link = session.get(ChannelTicket, link_id)
        if link is None:
            return ""
        body = f"{plain(source.text, 4000)}\n\nFrom Slack: {link.permalink or source.channel}"
        ticket = HelpdeskTicket(
            subject_of(source.text, source.files), body, priority, f"slack:{source.channel}:{source.ts}"
        )
    try:
        helpdesk_id = writer.create(ticket)
    except HelpdeskError as exc:
        log.warning("helpdesk ticket for %s/%s not created: %s", source.channel, source.ts, exc)
        return f"Not created in the helpdesk ({exc}); it is on the customer record."
    with services.sessions.begin() as session:
        row = session.get(ChannelTicket, link_id)
        if row is not None:
            row.helpdesk_id = helpdesk_id[:80]
    return ""


def made(
    policies: Policies, ticket: Ticket, link: ChannelTicket, customer: LinkedTo, now: dt.datetime, already: bool
) -> TicketMade:
    """What the staff member who reacted is told: the ticket and its SLA clock."""
    try:
        clock = sla_clock(
            policies,
            customer.tier,
            customer.timezone,
            ticket.id,
            ticket.priority,
            ticket.opened_at,
            ticket.first_response_at,
            now,
        )
        clock_text = (
            f"{clock.milestone}: {human(clock.elapsed)} of {human(clock.target)} "
            f"({ticket.priority}, {clock.coverage.replace('_', ' ')}) · {clock.state.replace('_', ' ')}"
        )
    except Exception:  # an unknown tier or priority from source data: the ticket without its clock
        clock_text = f"{ticket.priority}: no SLA clock for tier {customer.tier!r}"
    return TicketMade(
        ticket_id=ticket.id,
        customer=customer.name,
        subject=ticket.subject,
        priority=ticket.priority,
        permalink=link.permalink,
        clock_text=clock_text,
        helpdesk_id=link.helpdesk_id,
        already=already,
    )
