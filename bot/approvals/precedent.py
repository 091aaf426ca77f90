"""Similar past decisions shown to approvers: same type and tier, similar amount or percentage."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.approvals.models import FINAL_STATES, ApprovalRequest
from bot.approvals.results import Precedent

AMOUNT_BAND = 0.5  # within +-50% of the amount
PERCENT_BAND = 5.0  # within +-5 percentage points
SCAN = 300  # recent decided requests of the same type and tier considered


def _distance(req: ApprovalRequest, amount: Decimal | None, percent: float | None) -> float | None:
    """None when not similar; else a closeness score (smaller is closer)."""
    score = 0.0
    if amount is not None:
        if req.amount is None:
            return None
        ref = float(amount) or 1.0
        rel = abs(float(req.amount) - float(amount)) / ref
        if rel > AMOUNT_BAND:
            return None
        score += rel
    if percent is not None:
        if req.percent is None or abs(req.percent - percent) > PERCENT_BAND:
            return None
        score += abs(req.percent - percent) / 100
    return score


def find_precedents(
    session: Session,
    request_type: str,
    tier: str | None,
    amount: Decimal | None,
    percent: float | None,
    *,
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[Precedent]:
    stmt = (
        select(ApprovalRequest)
        .where(ApprovalRequest.request_type == request_type, ApprovalRequest.state.in_(FINAL_STATES))
        .order_by(ApprovalRequest.created_at.desc())
        .limit(SCAN)
    )
    stmt = stmt.where(ApprovalRequest.tier == tier) if tier is not None else stmt.where(ApprovalRequest.tier.is_(None))
    if exclude_id is not None:
        stmt = stmt.where(ApprovalRequest.id != exclude_id)
    scored: list[tuple[float, int, ApprovalRequest]] = []
    for i, row in enumerate(session.scalars(stmt)):
        d = _distance(row, amount, percent)
        if d is not None:
            scored.append((d, i, row))  # i: recency breaks ties
    scored.sort(key=lambda t: (t[0], t[1]))
    return [Precedent(r.id, r.customer_name, r.amount, r.percent, r.state, r.decided_at) for _, _, r in scored[:limit]]
