"""The live relationship view: "Customer context" on a message, and the App Home section.

For the message's customer (the channel's, else the one its text names): the customer card redacted for the
viewer (its view audited as every card's), the open conversations with their first-response clocks, the open
tickets with theirs, recent interactions, and the playbook passage for the message (the Ask pipeline on its
text, for that customer's tier). Shown only to the staff member who asked, never in the channel.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from bot.ask.service import Answer, AskService
from bot.channels.lines import conversation_lines
from bot.channels.links import LINKED, resolve
from bot.channels.models import ANSWERED, OPEN, Conversation
from bot.channels.people import on_roster
from bot.channels.text import plain
from bot.channels.views import CustomerContext, HomeConversations
from bot.customers.card import view_card
from bot.customers.linking import link_customers
from bot.services import Services

log = logging.getLogger(__name__)
MAX_LINES = 10


def customer_context(services: Services, channel: str, text: str, viewer: str) -> CustomerContext:
    """What the "Customer context" shortcut shows ``viewer`` about the message ``text`` in ``channel``."""
    message = plain(text, 500)
    with services.sessions() as session:
        if not on_roster(session, services.policies, viewer):
            return CustomerContext(channel, "", None, (), (), None, message, "Customer context is for staff.")
        res = resolve(session, channel)
        customer_id = res.customer.id if res.state == LINKED and res.customer is not None else None
        if customer_id is None and text.strip():
            linked = link_customers(session, text)
            customer_id = linked.primary.id if linked.primary else None
    if customer_id is None:
        note = "This channel is not linked to a customer and the message names none (`/rapport channel link`)."
        return CustomerContext(channel, "", None, (), (), None, message, note)
    answer: Answer | None = None
    note = ""
    if text.strip():
        try:
            answer = AskService(services).answer(text, viewer, channel, customer_id=customer_id)
        except Exception:  # the playbooks may be unavailable: the record still helps
            log.exception("customer context: no playbook passage for the message")
            note = "The playbooks could not be searched just now; the customer record is below."
    card = answer.customer if answer is not None and answer.customer is not None else None
    if card is None:
        card = view_card(services, customer_id, viewer, via="customer_context")
    with services.sessions() as session:
        rows = session.scalars(
            select(Conversation)
            .where(Conversation.customer_id == customer_id, Conversation.state.in_((OPEN, ANSWERED)))
            .order_by(Conversation.state.desc(), Conversation.due_at)
            .limit(MAX_LINES)
        ).all()
        lines = conversation_lines(session, rows, services.clock(), services.policies.sla.business_hours)
    return CustomerContext(channel, card.name, card, tuple(lines), tuple(card.tickets), answer, message, note)


def home_conversations(services: Services, user: str) -> HomeConversations | None:
    """App Home: the unanswered customer conversations of the accounts ``user`` owns (None: there are none)."""
    c = Conversation.__table__.c
    with services.sessions() as session:
        where = (c.owner == user, c.state == OPEN)
        total = int(session.scalar(select(func.count()).where(*where)) or 0)
        if not total:
            return None
        rows = session.scalars(select(Conversation).where(*where).order_by(c.due_at).limit(MAX_LINES)).all()
        lines = conversation_lines(session, rows, services.clock(), services.policies.sla.business_hours)
    return HomeConversations(user, tuple(lines), total)
