"""A customer's tickets over the last year, open or not: "show me X's last 3 tickets", "how many tickets has X
opened this year?", "X's ticket history", "how long do X's tickets take to resolve?". How many in :data:`DAYS`
days, by priority, how many still open, the median wall-clock time to first response and to resolution of those
answered and resolved, and the latest :data:`SHOWN` (date, priority, subject, status); the open ones and their
clocks are the open-tickets answer."""

from __future__ import annotations

import datetime as dt
import statistics

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot import mrkdwn
from bot.ask.dates import day
from bot.customers.card import OPEN_STATUSES
from bot.customers.sla import human
from bot.store.models import Ticket

DAYS = 365
SHOWN = 5


def ticket_history(session: Session, customer_id: int, name: str, now: dt.datetime) -> str:
    """``name``: the customer as the answer says it (bold, escaped). The subject is the customer's text: inert."""
    since = now - dt.timedelta(days=DAYS)
    window: tuple[ColumnElement[bool], ...] = (Ticket.customer_id == customer_id, Ticket.opened_at >= since)
    by_priority = dict(
        session.execute(select(Ticket.priority, func.count()).where(*window).group_by(Ticket.priority)).all()
    )
    still_open = session.scalar(select(func.count()).where(*window, Ticket.status.in_(OPEN_STATUSES))) or 0
    latest = session.scalars(
        select(Ticket).where(Ticket.customer_id == customer_id).order_by(Ticket.opened_at.desc()).limit(SHOWN)
    ).all()
    total = sum(by_priority.values())
    if total == 0:
        head = f"{name} opened no tickets in the last 12 months"
    else:
        split = ", ".join(f"{n} {mrkdwn.escape(p)}" for p, n in sorted(by_priority.items()))
        head = f"{name} opened {total} ticket{'' if total == 1 else 's'} in the last 12 months ({split})"
        head += f", {still_open} still open" if still_open else ", none still open"
        head += _medians(session, window)
    if not latest:
        return f"{head}." if total else f"{name} has no tickets on record."
    lines = [
        f"• #{t.id} {day(t.opened_at)} {mrkdwn.escape(t.priority)} _{mrkdwn.escape(t.subject)[:80]}_ "
        f"({mrkdwn.escape(t.status)})"
        for t in latest
    ]
    return f"{head}; the latest {len(lines)}:\n" + "\n".join(lines)


def _medians(session: Session, window: tuple[ColumnElement[bool], ...]) -> str:
    """ "; median first response 2h 10m (12 answered), resolution 1d 4h (11 resolved)": wall-clock, as the export
    records them (the SLA clocks count business hours for some tiers; these say how long the customer waited)."""
    rows = session.execute(select(Ticket.opened_at, Ticket.first_response_at, Ticket.resolved_at).where(*window)).all()
    said = []
    for label, done, at in (("first response", "answered", 1), ("resolution", "resolved", 2)):
        waits = [(end - r[0]).total_seconds() for r in rows if (end := r[at]) is not None and end >= r[0]]
        if waits:
            said.append(f"{label} {human(dt.timedelta(seconds=statistics.median(waits)))} ({len(waits)} {done})")
    return f"; median {', '.join(said)}" if said else ""
