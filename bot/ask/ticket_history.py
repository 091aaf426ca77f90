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
from bot.ask.dates import Window, day
from bot.customers.card import OPEN_STATUSES
from bot.customers.sla import human
from bot.store.models import Ticket

DAYS = 365
SHOWN = 5


def ticket_history(
    session: Session, customer_id: int, name: str, now: dt.datetime, window: Window | None = None
) -> str:
    """``name``: the customer as the answer says it (bold, escaped); ``window``: the past the question names ("last
    quarter"), else the last 12 months. The subject is the customer's text: inert."""
    since, until, said = window or (now - dt.timedelta(days=DAYS), None, "in the last 12 months")
    bounds: tuple[ColumnElement[bool], ...] = (Ticket.customer_id == customer_id, Ticket.opened_at >= since)
    if until is not None:
        bounds += (Ticket.opened_at < until,)
    by_priority = dict(
        session.execute(select(Ticket.priority, func.count()).where(*bounds).group_by(Ticket.priority)).all()
    )
    still_open = session.scalar(select(func.count()).where(*bounds, Ticket.status.in_(OPEN_STATUSES))) or 0
    total = sum(by_priority.values())
    # the latest of the window named; of all the record when it names none or holds none
    shown = bounds if window is not None and total else (Ticket.customer_id == customer_id,)
    latest = session.scalars(select(Ticket).where(*shown).order_by(Ticket.opened_at.desc()).limit(SHOWN)).all()
    if total == 0:
        head = f"{name} opened no tickets {said}"
    else:
        split = ", ".join(f"{n} {mrkdwn.escape(p)}" for p, n in sorted(by_priority.items()))
        head = f"{name} opened {total} ticket{'' if total == 1 else 's'} {said} ({split})"
        head += f", {still_open} still open" if still_open else ", none still open"
        head += _medians(session, bounds)
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
