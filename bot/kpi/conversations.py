"""Customer-channel KPIs: first-response time and breach rate of conversations, per tier and per owner.

Kept apart from :mod:`bot.kpi.metrics` (the weekly digest calls :func:`conversation_kpis` and renders its own
section), so the digest's rework and this can move independently.

Definitions, over conversations that *started* in ``[since, until)`` (``bot.channels``), withdrawn ones (the
customer deleted their only message) left out:

* **First-response time**: the SLA time (calendar for 24x7 tiers, the customer's business hours otherwise)
  from the customer's message to the first staff reply, median and 90th percentile in minutes, over the
  conversations answered before ``until``.
* **Breach rate**: breached / conversations, where a conversation is *breached* when its first-response
  clock ran out before ``until`` without a reply in time (answered after ``due_at``, or still unanswered at
  ``due_at``, including ones resolved by ✅ after it). A conversation still within its target at ``until`` is
  not breached (yet).
* **Owner**: the account owner when the conversation started (``—`` when the account had none).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, and_, case, func, or_, select

from bot.channels.models import Conversation
from bot.kpi.format import minutes, pct
from bot.store.sql import median, ranked

NO_OWNER = "—"


@dataclass(frozen=True)
class ConversationRow:
    group: str  # a tier, or an owner's user id
    conversations: int
    answered: int
    breached: int
    median_minutes: float | None  # first response, SLA time
    p90_minutes: float | None

    @property
    def breach_rate(self) -> float | None:
        return self.breached / self.conversations if self.conversations else None


@dataclass(frozen=True)
class ConversationKpis:
    since: dt.datetime
    until: dt.datetime
    by_tier: tuple[ConversationRow, ...]
    by_owner: tuple[ConversationRow, ...]

    @property
    def conversations(self) -> int:
        return sum(r.conversations for r in self.by_tier)

    @property
    def breached(self) -> int:
        return sum(r.breached for r in self.by_tier)


def _rows(engine: Engine, since: dt.datetime, until: dt.datetime, key: str) -> list[ConversationRow]:
    c = Conversation.__table__.c
    answered = and_(c.first_response_at.is_not(None), c.first_response_at < until)
    breached = and_(
        c.due_at < until,
        or_(
            c.first_response_at > c.due_at,
            and_(c.first_response_at.is_(None), or_(c.resolved_at.is_(None), c.resolved_at > c.due_at)),
        ),
    )
    group = func.coalesce(c.owner, NO_OWNER) if key == "owner" else c.tier
    base = (
        select(
            group.label("g"),
            case((answered, c.response_seconds / 60.0), else_=None).label("minutes"),
            case((answered, 1), else_=0).label("answered"),
            case((breached, 1), else_=0).label("breached"),
        )
        .where(
            c.started_at >= since,
            c.started_at < until,
            or_(c.resolved_how.is_(None), c.resolved_how != "withdrawn"),
        )
        .subquery()
    )
    rows = ranked(base, "g", "minutes")
    rn, n = rows.c._rn, rows.c._n
    p90_pos = func.floor(n * 0.9 + 0.999999)  # nearest rank: ceil(0.9 n)
    query = select(
        rows.c.g,
        func.count(),
        func.sum(rows.c.answered),
        func.sum(rows.c.breached),
        median(rows, "minutes"),
        func.max(case((and_(rn == p90_pos, rn <= n), rows.c.minutes), else_=None)),
    ).group_by(rows.c.g)
    with engine.connect() as conn:
        found = conn.execute(query).all()
    return [
        ConversationRow(
            str(g),
            int(total),
            int(ans or 0),
            int(br or 0),
            float(med) if med is not None else None,
            float(p90) if p90 is not None else None,
        )
        for g, total, ans, br, med, p90 in found
    ]


def conversation_kpis(
    engine: Engine, since: dt.datetime, until: dt.datetime, tiers: list[str] | None = None
) -> ConversationKpis:
    """Per tier (in ``tiers`` order, highest first) and per owner (most conversations first)."""
    order = {t: i for i, t in enumerate(tiers or [])}
    by_tier = sorted(_rows(engine, since, until, "tier"), key=lambda r: (order.get(r.group, len(order)), r.group))
    by_owner = sorted(_rows(engine, since, until, "owner"), key=lambda r: (-r.conversations, r.group))
    return ConversationKpis(since, until, tuple(by_tier), tuple(by_owner))


CONVERSATION_HEADER = ["", "conversations", "answered", "median 1st reply", "p90", "breached", "breach rate"]


def conversation_table_rows(rows: tuple[ConversationRow, ...], limit: int = 12) -> list[list[str]]:
    """Rows for :func:`bot.kpi.format.text_table` (owners as user ids: the table is in a code block)."""
    return [
        [
            r.group,
            f"{r.conversations:,}",
            f"{r.answered:,}",
            minutes(r.median_minutes),
            minutes(r.p90_minutes),
            f"{r.breached:,}",
            pct(r.breach_rate),
        ]
        for r in rows[:limit]
    ]
