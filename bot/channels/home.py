"""App Home's customer conversations, and one customer's: the unanswered conversations of the accounts a staff
member owns, and a customer's open ones, each with its first-response clock (:mod:`bot.channels.lines`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bot.channels.lines import conversation_lines
from bot.channels.models import ANSWERED, OPEN, Conversation
from bot.channels.views import ConversationLine, HomeConversations
from bot.services import Services

MAX_LINES = 10


def _unanswered(user: str) -> tuple[ColumnElement[bool], ...]:
    c = Conversation.__table__.c
    return c.owner == user, c.state == OPEN


def waiting_count(session: Session, user: str) -> int:
    """How many customer conversations of the accounts ``user`` owns wait for a first reply."""
    return int(session.scalar(select(func.count()).where(*_unanswered(user))) or 0)


def home_conversations(services: Services, user: str) -> HomeConversations | None:
    """App Home: the unanswered customer conversations of the accounts ``user`` owns (None: there are none)."""
    with services.sessions() as session:
        total = waiting_count(session, user)
        if not total:
            return None
        rows = session.scalars(
            select(Conversation).where(*_unanswered(user)).order_by(Conversation.due_at).limit(MAX_LINES)
        ).all()
        lines = conversation_lines(session, rows, services.clock(), services.policies.sla.business_hours)
    return HomeConversations(user, tuple(lines), total)


def customer_conversations(session: Session, services: Services, customer_id: int) -> list[ConversationLine]:
    """A customer's conversations still open (unanswered first, the soonest due first), with their clocks."""
    rows = session.scalars(
        select(Conversation)
        .where(Conversation.customer_id == customer_id, Conversation.state.in_((OPEN, ANSWERED)))
        .order_by(Conversation.state.desc(), Conversation.due_at)
        .limit(MAX_LINES)
    ).all()
    return conversation_lines(session, rows, services.clock(), services.policies.sla.business_hours)
