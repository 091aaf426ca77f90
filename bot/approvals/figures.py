"""Approval figures over a window, as the KPI pack reports them (``playbooks/governance/kpis-per-tier.md``: approval
volume, approval rate and median turnaround, standard pathway against exception): requests made, decided and
approved, and the hours from request to decision.

Kept with the approvals' record, not in the KPI pack, so that Ask can state the same figures ("how many discounts
did we approve this month?"): the pack (bot.kpi) imports Ask, so Ask cannot import the pack.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, case, func, literal, select

from bot.approvals.models import APPROVED, AUTO_APPROVED, FINAL_STATES, ApprovalRequest
from bot.store.sql import median, ranked, seconds_between

STANDARD, EXCEPTION = "standard", "exception"  # auto-approved by the rules, or decided by people


@dataclass(frozen=True)
class Pathway:
    pathway: str  # standard | exception
    requests: int  # created in the window
    decided: int  # decided in the window
    approved: int  # of the decided
    median_turnaround_hours: float | None
    mean_turnaround_hours: float | None

    @property
    def approval_rate(self) -> float | None:
        return self.approved / self.decided if self.decided else None


def approval_pathways(
    engine: Engine, since: dt.datetime, until: dt.datetime, request_type: str | None = None
) -> list[Pathway]:
    """Both pathways over ``[since, until)``: requests made in it, and those decided in it with how many were
    approved and the hours from request to decision (median, mean); of one ``request_type`` when given."""
    r = ApprovalRequest.__table__.c
    of_type = (r.request_type == request_type,) if request_type else ()
    pathway = case((r.state == AUTO_APPROVED, literal(STANDARD)), else_=literal(EXCEPTION)).label("pathway")
    created_q = (
        select(pathway, func.count()).where(r.created_at >= since, r.created_at < until, *of_type).group_by(pathway)
    )
    decided = (
        select(
            pathway,
            case((r.state.in_((APPROVED, AUTO_APPROVED)), 1), else_=0).label("approved"),
            (seconds_between(r.created_at, r.decided_at) / 3600.0).label("hours"),
        )
        .where(r.state.in_(FINAL_STATES), r.decided_at >= since, r.decided_at < until, *of_type)
        .subquery()
    )
    ranks = ranked(decided, "pathway", "hours")
    d = ranks.c
    decided_q = select(
        d.pathway, func.count(), func.sum(d.approved), func.avg(d.hours), median(ranks, "hours")
    ).group_by(d.pathway)
    with engine.connect() as conn:
        created = {str(p): int(n) for p, n in conn.execute(created_q)}
        done = {str(row[0]): row[1:] for row in conn.execute(decided_q)}
    out = []
    for name in (STANDARD, EXCEPTION):
        n, approved, mean, med = done.get(name, (0, 0, None, None))
        out.append(
            Pathway(
                name,
                created.get(name, 0),
                int(n),
                int(approved or 0),
                float(med) if med is not None else None,
                float(mean) if mean is not None else None,
            )
        )
    return out


def discount_rates(engine: Engine, since: dt.datetime, until: dt.datetime) -> dict[str, tuple[int, float]]:
    """The discounts approved (by people or the rules) and decided in ``[since, until)``, by the tier they were
    asked for: how many gave a percentage, and their mean percentage (the deal desk's "discount rate by tier")."""
    r = ApprovalRequest.__table__.c
    q = (
        select(r.tier, func.count(), func.avg(r.percent))
        .where(
            r.request_type == "discount",
            r.state.in_((APPROVED, AUTO_APPROVED)),
            r.decided_at >= since,
            r.decided_at < until,
            r.percent.is_not(None),
        )
        .group_by(r.tier)
    )
    with engine.connect() as conn:
        return {str(tier or "unknown"): (int(n), float(mean)) for tier, n, mean in conn.execute(q)}
