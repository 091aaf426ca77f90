"""A customer's past renewals, as the CRM records them (``renewals``: renewed or churned, with the ARR before and
after), newest first: "did they renew last year?", "how much did they grow at the last renewal?". The ARR figures
are the ``arr`` field's (sensitive in roles.yaml): bot.ask.facts states them only to roles that see it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Renewal

SHOWN = 3  # decisions listed


@dataclass(frozen=True)
class PastRenewal:
    outcome: str  # renewed | churned (or the source's own word)
    term_end: dt.date | None  # the renewal date the decision was for
    decided: dt.date
    arr_before: Decimal | None
    arr_after: Decimal | None


def past_renewals(session: Session, customer_id: int) -> list[PastRenewal]:
    rows = session.scalars(
        select(Renewal).where(Renewal.customer_id == customer_id).order_by(Renewal.decided_at.desc()).limit(SHOWN)
    ).all()
    return [_past(r) for r in rows]


def first_renewal(session: Session, customer_id: int) -> PastRenewal | None:
    """The earliest renewal decision on record: the best evidence of how long they have been a customer (a
    synced record's own dates are when we synced it, not when they signed)."""
    row = session.scalars(
        select(Renewal).where(Renewal.customer_id == customer_id).order_by(Renewal.decided_at).limit(1)
    ).first()
    return _past(row) if row is not None else None


def _past(r: Renewal) -> PastRenewal:
    return PastRenewal(r.outcome, r.renewal_date, r.decided_at.date(), r.arr_before, r.arr_after)


def arr_change(before: Decimal | None, after: Decimal | None) -> str:
    """ "$88,256 → $91,132 (+3.3%)"; "" without both figures."""
    if before is None or after is None:
        return ""
    moved = f" ({(after - before) * 100 / before:+.1f}%)" if before else ""
    return f"${before:,.0f} → ${after:,.0f}{moved}"
