"""How we kept a customer's SLA lately: each ticket opened in the window asked (else the last :data:`DAYS` days),
its first response and its resolution against the tier's targets, on the clock the card runs
(``bot.customers.sla``: 24x7 or the customer's business hours), so "did we breach the SLA for X last month?" has
the tickets' own numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.ask.dates import Window
from bot.customers.sla import SlaClock, human, sla_clock
from bot.policies import Policies
from bot.store.models import Customer, Ticket

DAYS = 30
MAX_TICKETS = 200  # a customer's month of tickets; more is a data problem, not an answer


@dataclass(frozen=True)
class Kept:
    """One ticket's targets: the clock of each milestone reached (or still running, for first response)."""

    id: int
    priority: str
    answered: bool  # a first response was given (else its clock still runs)
    first_response: SlaClock
    resolution: SlaClock | None  # None: not resolved yet


@dataclass(frozen=True)
class SlaRecord:
    window: str  # as said: "in the last 30 days", "this year (2026)"
    tickets: list[Kept]

    @property
    def first_breached(self) -> list[Kept]:
        return [k for k in self.tickets if k.first_response.state == "breached"]

    @property
    def resolution_breached(self) -> list[Kept]:
        return [k for k in self.tickets if k.resolution is not None and k.resolution.state == "breached"]


def sla_record(
    session: Session, policies: Policies, customer: Customer, now: dt.datetime, window: Window | None = None
) -> SlaRecord | None:
    """The tickets opened in the window the question names ("this year"), else the last DAYS days, against their
    targets; None for a tier no SLA policy knows."""
    if customer.tier not in policies.tier_names:
        return None
    since, until, label = window or (now - dt.timedelta(days=DAYS), None, f"in the last {DAYS} days")
    query = select(Ticket).where(Ticket.customer_id == customer.id, Ticket.opened_at >= since)
    if until is not None:
        query = query.where(Ticket.opened_at < until)
    rows = session.scalars(query.order_by(Ticket.opened_at).limit(MAX_TICKETS)).all()
    kept: list[Kept] = []
    for t in rows:
        # first response: until it was given (or now, still running); resolution: once resolved
        clock = partial(sla_clock, policies, customer.tier, customer.timezone, t.id, t.priority, t.opened_at)
        try:
            first = clock(None, t.first_response_at or now)
            resolved = clock(t.first_response_at or t.opened_at, t.resolved_at) if t.resolved_at else None
        except Exception:  # an unknown priority in source data: no target to hold it to
            continue
        kept.append(Kept(t.id, t.priority, t.first_response_at is not None, first, resolved))
    return SlaRecord(label, kept)


def breach_line(k: Kept, clock: SlaClock) -> str:
    """ "#123 P1: 45m against 15m"."""
    return f"#{k.id} {mrkdwn.escape(k.priority)}: {human(clock.elapsed)} against {human(clock.target)}"


def said(record: SlaRecord, name: str) -> str:
    """The record as a sentence or two: how many tickets met each target, and the late ones with their numbers."""
    n = len(record.tickets)
    if not n:
        return f"{name} opened no tickets {record.window}."
    late = record.first_breached
    waiting = [k for k in record.tickets if not k.answered and k.first_response.state != "breached"]
    parts = [f"first response within target on {n - len(late) - len(waiting)}"]
    if late:
        shown = ", ".join(breach_line(k, k.first_response) for k in late[:3])
        parts.append(f"late on {len(late)} ({shown}{', ...' if len(late) > 3 else ''})")
    if waiting:
        parts.append(f"{len(waiting)} still waiting within target")
    resolved = [k for k in record.tickets if k.resolution is not None]
    slow = record.resolution_breached
    fixes = f"resolution within target on {len(resolved) - len(slow)} of the {len(resolved)} resolved"
    if not resolved:
        fixes = "none resolved yet"
    if slow:
        shown = ", ".join(breach_line(k, k.resolution) for k in slow[:3] if k.resolution is not None)
        fixes += f", late on {len(slow)} ({shown}{', ...' if len(slow) > 3 else ''})"
    tickets = f"{n} ticket{'s' if n != 1 else ''}"
    return f"{name} opened {tickets} {record.window}: {'; '.join(parts)}; {fixes}."
