"""The "Customer context" shortcut on a message: the live relationship view, shown only to the staff member who
asked, never in the channel.

For the message's customer (the channel's, else the one its text names): the customer card redacted for the
viewer (its view audited as every card's), the open conversations with their first-response clocks, the open
tickets with theirs, recent interactions, and the playbook passage for the message (the Ask pipeline on its
text, for that customer's tier). Here, in Ask, because it runs the Ask pipeline over the channels feature's
records (Ask reads channels; channels never imports Ask).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.ask.service import Answer, AskService
from bot.channels.home import customer_conversations
from bot.channels.links import LINKED, resolve
from bot.channels.people import on_roster
from bot.channels.text import plain
from bot.channels.views import ConversationLine
from bot.customers.card import CustomerCard, TicketLine, view_card
from bot.customers.linking import link_customers
from bot.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerContext:
    """The "Customer context" shortcut: card, clocks, tickets, recent interactions, playbook."""

    channel: str
    customer: str
    card: CustomerCard | None
    conversations: tuple[ConversationLine, ...]
    tickets: tuple[TicketLine, ...]
    answer: Answer | None = None  # the Ask pipeline on the message's text (a passage, cited)
    message: str = ""  # the message the shortcut was used on (plain)
    note: str = ""


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
        lines = customer_conversations(session, services, customer_id)
    return CustomerContext(channel, card.name, card, tuple(lines), tuple(card.tickets), answer, message, note)
