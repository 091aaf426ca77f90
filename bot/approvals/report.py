"""``rapport approvals report``: volume, turnaround and approval rate by type/tier and requester, and recurring
exceptions (the same kind of request approved again and again) that should become a standard option."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.approvals.models import APPROVED, AUTO_APPROVED, PENDING, ApprovalRequest

DECIDED_YES = (APPROVED, AUTO_APPROVED)


@dataclass(frozen=True)
class Row:
    key: str
    requests: int
    decided: int
    approved: int
    median_hours: float | None

    @property
    def approval_rate(self) -> float | None:
        return self.approved / self.decided if self.decided else None


@dataclass(frozen=True)
class Recurring:
    request_type: str
    tier: str | None
    band: str  # e.g. "10-15%" or "$10k-$20k"
    approved: int
    suggestion: str


@dataclass
class Report:
    since: dt.datetime
    total: int = 0
    by_type_tier: list[Row] = field(default_factory=list)
    by_requester: list[Row] = field(default_factory=list)
    recurring: list[Recurring] = field(default_factory=list)


def _rows(groups: dict[str, list[ApprovalRequest]]) -> list[Row]:
    out = []
    for key, reqs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        decided = [r for r in reqs if r.state != PENDING]
        hours = [(r.decided_at - r.created_at).total_seconds() / 3600 for r in decided if r.decided_at]
        out.append(
            Row(
                key,
                len(reqs),
                len(decided),
                sum(r.state in DECIDED_YES for r in decided),
                statistics.median(hours) if hours else None,
            )
        )
    return out


def _band(r: ApprovalRequest) -> str | None:
    if r.percent is not None:
        lo = math.floor(r.percent / 5) * 5
        return f"{lo}-{lo + 5}%"
    if r.amount is not None:
        amt = float(r.amount)
        if amt <= 0:
            return "$0"
        lo = 10 ** math.floor(math.log10(amt))
        return f"${lo:,.0f}-${lo * 10:,.0f}"
    return None


def build_report(session: Session, since: dt.datetime, recurring_min: int = 5, min_rate: float = 0.9) -> Report:
    reqs: Iterable[ApprovalRequest] = session.scalars(
        select(ApprovalRequest).where(ApprovalRequest.created_at >= since).order_by(ApprovalRequest.id)
    )
    by_tt: dict[str, list[ApprovalRequest]] = defaultdict(list)
    by_req: dict[str, list[ApprovalRequest]] = defaultdict(list)
    bands: dict[tuple[str, str | None, str], list[ApprovalRequest]] = defaultdict(list)
    total = 0
    for r in reqs:
        total += 1
        by_tt[f"{r.request_type} / {r.tier or '-'}"].append(r)
        by_req[r.requester].append(r)
        band = _band(r)
        if band and r.state not in (PENDING, AUTO_APPROVED):  # auto-approvals are already standard
            bands[(r.request_type, r.tier, band)].append(r)
    recurring = []
    for (t, tier, band), rs in sorted(bands.items(), key=lambda kv: -len(kv[1])):
        yes = sum(x.state == APPROVED for x in rs)
        if yes >= recurring_min and yes / len(rs) >= min_rate:
            recurring.append(
                Recurring(
                    t,
                    tier,
                    band,
                    yes,
                    f"{yes} of {len(rs)} {t} requests at {band} for {tier or 'any'} tier were approved by hand: "
                    "consider a standard option (an auto-approve rule in playbooks/policies/approvals.yaml)",
                )
            )
    return Report(since, total, _rows(by_tt), _rows(by_req), recurring)


def format_report(rep: Report) -> str:
    def table(title: str, rows: list[Row]) -> list[str]:
        lines = [title, f"  {'':32} {'requests':>8} {'decided':>8} {'approved':>9} {'median h':>9}"]
        for r in rows:
            rate = f"{r.approval_rate:.0%}" if r.approval_rate is not None else "-"
            med = f"{r.median_hours:.1f}" if r.median_hours is not None else "-"
            lines.append(f"  {r.key[:32]:32} {r.requests:>8} {r.decided:>8} {rate:>9} {med:>9}")
        return lines

    out = [f"Approvals since {rep.since:%Y-%m-%d}: {rep.total} requests", ""]
    out += table("By type / tier", rep.by_type_tier) + [""]
    out += table("By requester", rep.by_requester) + [""]
    out.append("Recurring exceptions")
    out += [f"  - {r.suggestion}" for r in rep.recurring] or ["  none"]
    return "\n".join(out)
