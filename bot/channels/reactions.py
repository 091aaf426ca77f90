"""Reactions on messages in a customer channel: ✅ resolves, 🚨/‼️ raise the priority, 🎫 makes a ticket.

Which emoji do what is ``customer_channels`` in ``channels.yaml``. ✅ on any message of a conversation (the
customer's question, or the staff answer the customer ticks) resolves it. A priority reaction by anyone but a
bot shortens an unanswered clock. 🎫 is for staff, on a customer's message: on a staff message (or by a
customer) it is ignored. The staff member is answered privately; nothing is ever posted in the channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from bot.alerts.actions import refresh_messages
from bot.channels.directory import Directory
from bot.channels.helpdesk import HelpdeskError, writer_for
from bot.channels.links import LINKED, end_conversations, resolve
from bot.channels.models import OPEN, ChannelMessage, ChannelTicket, Conversation
from bot.channels.people import BOT, CUSTOMER, STAFF, who
from bot.channels.text import words_priority
from bot.channels.tickets import Source, create, existing, made, write_to_helpdesk
from bot.channels.tracking import raise_priority, ts_time
from bot.channels.views import TicketMade
from bot.services import Services
from bot.store.models import Ticket

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reacted:
    channel: str
    ts: str  # the message reacted to
    user: str  # who reacted
    name: str  # the emoji's name, without colons (skin tones stripped)
    item_user: str | None = None  # the message's author, as the event says
    home_team: str | None = None


@dataclass(frozen=True)
class Outcome:
    action: str  # ignored | resolved | raised | ticket
    reason: str = ""
    ticket: TicketMade | None = None  # tell the reactor privately


def react(services: Services, r: Reacted, directory: Directory) -> Outcome:
    cfg = services.policies.channels.customer_channels
    name = r.name.split("::", 1)[0]
    if name in cfg.ticket_reactions:
        return ticket(services, r, directory)
    if name in cfg.resolve_reactions:
        return _resolve(services, r, directory)
    if name in cfg.priority_reactions:
        return _raise(services, r, directory, cfg.priority_reactions[name])
    return Outcome("ignored", "not a reaction Rapport acts on")


def _conversation_of(session: Session, channel: str, ts: str) -> tuple[ChannelMessage | None, Conversation | None]:
    msg = session.scalar(select(ChannelMessage).where(ChannelMessage.channel_id == channel, ChannelMessage.ts == ts))
    if msg is not None:
        return msg, session.get(Conversation, msg.conversation_id)
    conv = session.scalar(
        select(Conversation).where(Conversation.open_key == f"{channel}:{ts}")
    )  # the root of a conversation whose thread began with a staff message
    return None, conv


def _resolve(services: Services, r: Reacted, directory: Directory) -> Outcome:
    now = services.clock()
    with services.sessions() as session, session.begin():
        if resolve(session, r.channel).state != LINKED:
            return Outcome("ignored", "not a linked customer channel")
        person = who(session, services.policies, directory, r.user, now, home_team=r.home_team)
        if person.kind == BOT:
            return Outcome("ignored", "a bot reacted")
        _, conv = _conversation_of(session, r.channel, r.ts)
        if conv is None or conv.open_key is None:
            return Outcome("ignored", "not part of an open conversation")
        alerts = end_conversations(session, Conversation.id == conv.id, now, "reaction", r.user)
        session.execute(
            update(Ticket)
            .where(Ticket.id.in_(_tickets_of(conv.id)), Ticket.status.in_(("open", "pending")))
            .values(status="solved", resolved_at=now)
        )
    for alert_id in alerts:
        refresh_messages(services.engine, services.notifier, alert_id)
    return Outcome("resolved")


def _tickets_of(conversation_id: int) -> Select[Any]:
    return select(ChannelTicket.ticket_id).where(ChannelTicket.conversation_id == conversation_id)


def _raise(services: Services, r: Reacted, directory: Directory, priority: str) -> Outcome:
    now = services.clock()
    with services.sessions() as session, session.begin():
        if resolve(session, r.channel).state != LINKED:
            return Outcome("ignored", "not a linked customer channel")
        if who(session, services.policies, directory, r.user, now, home_team=r.home_team).kind == BOT:
            return Outcome("ignored", "a bot reacted")
        msg, conv = _conversation_of(session, r.channel, r.ts)
        if conv is None or conv.state != OPEN or (msg is not None and not msg.from_customer):
            return Outcome("ignored", "not an unanswered customer message")
        raised = raise_priority(services.policies, conv, priority, "reaction")
    return Outcome("raised" if raised else "ignored", "" if raised else "already as urgent, or answered")


def ticket(services: Services, r: Reacted, directory: Directory) -> Outcome:
    """🎫 by staff on a customer's message: a ticket on the record (and in the helpdesk when configured)."""
    now = services.clock()
    cfg = services.policies.channels.customer_channels
    with services.sessions() as session, session.begin():
        res = resolve(session, r.channel)
        if res.state != LINKED or res.customer is None:
            return Outcome("ignored", "not a linked customer channel")
        if who(session, services.policies, directory, r.user, now, home_team=r.home_team).kind != STAFF:
            return Outcome("ignored", "tickets are made by staff")
        found = existing(session, r.channel, r.ts)
        if found is not None:
            t = session.get(Ticket, found.ticket_id)
            if t is not None:
                return Outcome("ticket", "already", made(services.policies, t, found, res.customer, now, True))
        msg, conv = _conversation_of(session, r.channel, r.ts)
        if msg is not None and not msg.from_customer:
            return Outcome("ignored", "a staff message")
        text = conv.excerpt if conv is not None and conv.started_ts == r.ts else ""
        files: tuple[str, ...] = ()
        slack = directory.message(r.channel, r.ts)
        if slack is not None:
            text = str(slack.get("text") or text)
            files = tuple(str(f.get("name") or f.get("title") or "file") for f in slack.get("files") or [])
            author = str(slack.get("user") or r.item_user or "")
            team = str(slack.get("user_team") or slack.get("team") or "") or None
            if (
                msg is None
                and who(session, services.policies, directory, author, now, team, r.home_team).kind != CUSTOMER
            ):
                return Outcome("ignored", "a staff message")
        elif msg is None and conv is None:
            return Outcome("ignored", "message not found")
        posted_at = msg.posted_at if msg is not None else ts_time(r.ts)
        priority = (
            conv.priority if conv is not None else words_priority(text, cfg.priority_words) or cfg.default_priority
        )
        source = Source(r.channel, r.ts, text, files, posted_at)
        permalink = directory.permalink(r.channel, r.ts) or ""
        t, link = create(session, source, res.customer, conv, priority, r.user, "reaction", permalink, now)
        outcome = made(services.policies, t, link, res.customer, now, False)
        link_id, customer = link.id, res.customer
    try:
        writer = writer_for(services)
    except HelpdeskError as exc:
        log.error("%s", exc)
        writer, note = None, f"Helpdesk not configured correctly ({exc}); the ticket is on the record."
    else:
        note = write_to_helpdesk(services, writer, link_id, source, priority)
    if writer is not None or note:
        with services.sessions() as session:
            t2, link2 = session.get(Ticket, outcome.ticket_id), session.get(ChannelTicket, link_id)
            if t2 is not None and link2 is not None:
                outcome = made(services.policies, t2, link2, customer, now, False)
    return Outcome("ticket", "", replace(outcome, note=note))
