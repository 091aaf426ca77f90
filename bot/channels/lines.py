"""Conversations as the views show them: customer, priority, the clock's SLA time so far against its target."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels.clock import Clock
from bot.channels.models import Conversation
from bot.channels.views import ConversationLine
from bot.policies.primitives import PRIORITIES
from bot.policies.sla import BusinessHours
from bot.store.models import Customer


def clock_of(conv: Conversation, hours: BusinessHours) -> Clock:
    """The clock a conversation runs against, as recorded when it started (or its priority last rose)."""
    return Clock(
        conv.tier,
        conv.priority if conv.priority in PRIORITIES else "P3",
        dt.timedelta(seconds=conv.target_seconds),
        conv.coverage,
        conv.timezone,
        hours,
    )


def conversation_lines(
    session: Session, rows: Sequence[Conversation], now: dt.datetime, hours: BusinessHours
) -> list[ConversationLine]:
    names = dict(
        session.execute(
            select(Customer.id, Customer.name).where(Customer.id.in_({r.customer_id for r in rows} or {0}))
        ).all()
    )
    out = []
    for conv in rows:
        end = conv.first_response_at or now
        out.append(
            ConversationLine(
                id=conv.id,
                channel=conv.channel_id,
                thread_ts=conv.thread_ts,
                customer_id=conv.customer_id,
                customer=str(names.get(conv.customer_id, "")),
                tier=conv.tier,
                priority=conv.priority,
                state=conv.state,
                started_at=conv.started_at,
                due_at=conv.due_at,
                target=dt.timedelta(seconds=conv.target_seconds),
                elapsed=clock_of(conv, hours).elapsed(conv.started_at, end),
                excerpt=conv.excerpt,
                first_response_at=conv.first_response_at,
                coverage=conv.coverage,
            )
        )
    return out
