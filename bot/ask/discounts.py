"""A customer's discount history: the discount requests made for them (bot.approvals), newest first, with what
was decided, as the deal desk reads precedent before the next one. ``discount_history`` is a sensitive field
(roles.yaml): the record redacts it like any other, and bot.ask.facts states it only to roles that see it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.approvals.models import (
    APPROVED,
    AUTO_APPROVED,
    CHANGES_REQUESTED,
    EXPIRED,
    PENDING,
    REJECTED,
    ApprovalRequest,
)
from bot.ask.dates import day

SHOWN = 5  # requests listed; the rest are counted
_STATES = {
    APPROVED: "approved",
    AUTO_APPROVED: "auto-approved",
    REJECTED: "rejected",
    CHANGES_REQUESTED: "changes requested",
    EXPIRED: "expired",
    PENDING: "pending",
}


def history(session: Session, customer_id: int) -> tuple[list[str], int]:
    """The newest SHOWN discount requests for the customer as lines ("12 Mar 2026: 15% ($18,000), approved,
    request #41"), and how many there are in all."""
    where = (ApprovalRequest.customer_id == customer_id, ApprovalRequest.request_type == "discount")
    total = int(session.scalar(select(func.count()).select_from(ApprovalRequest).where(*where)) or 0)
    rows = session.scalars(
        select(ApprovalRequest).where(*where).order_by(ApprovalRequest.created_at.desc()).limit(SHOWN)
    ).all()
    lines = []
    for r in rows:
        size = [f"{r.percent:g}%"] if r.percent is not None else []
        if r.amount is not None:
            size.append(f"${r.amount:,.0f}")
        what = f"{size[0]} ({size[1]})" if len(size) == 2 else size[0] if size else "a discount"
        lines.append(f"{day(r.created_at)}: {what}, {_STATES.get(r.state, r.state)}, request #{r.id}")
    return lines, total
