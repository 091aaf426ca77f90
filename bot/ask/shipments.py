"""A customer's latest shipments, as the logistics system records them, newest promise first: "has X's order
shipped?", "is X's delivery late?". A shipment not delivered by its promised date is said to be late, by as much,
as the shipment-delay alert reads it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.ask.dates import day
from bot.store.models import Shipment

SHOWN = 3
OPEN = ("pending", "shipped")  # not yet delivered (nor cancelled, nor returned)


def shipment_lines(session: Session, customer_id: int, now: dt.datetime) -> list[str]:
    """The newest SHOWN shipments as lines: "SHP-1 (order SO-9) shipped 5 Dec 2026 by UPS, promised 14 Dec 2026"."""
    rows = session.scalars(
        select(Shipment).where(Shipment.customer_id == customer_id).order_by(Shipment.promised_at.desc()).limit(SHOWN)
    ).all()
    return [shipment_line(r, now) for r in rows]


def shipment_line(r: Shipment, now: dt.datetime) -> str:
    name = mrkdwn.escape(r.external_id or f"#{r.id}")
    order = f" (order {mrkdwn.escape(r.order_external_id)})" if r.order_external_id else ""
    status = mrkdwn.escape(r.status)
    when = {"shipped": r.shipped_at, "delivered": r.delivered_at}.get(r.status)
    said = f"{status} {day(when)}" if when else status
    carrier = f" by {mrkdwn.escape(r.carrier)}" if r.carrier else ""
    promised = r.promised_at if r.promised_at.tzinfo else r.promised_at.replace(tzinfo=dt.UTC)
    late = ""
    if r.status in OPEN and promised < now:
        late = f", *late* by {(now - promised).days or 1} day(s)"
    return f"{name}{order}: {said}{carrier}, promised {day(promised)}{late}"
