"""Relationship outcomes over a window ``[since, until)`` (issue 19 item 4): does the intimacy pay off? Read from
the record (renewal decisions, notes, complaint tickets) by the KPI report and digest (``bot.kpi``) and by Ask
("what's our churn rate this quarter?", ``bot.ask.outcomes``).

Definitions (renewal decisions come from the CRM through ``entity: renewal`` sources, table ``renewals``; tier =
the golden record's tier now):

* **Renewed / churned**: decisions with ``decided_at`` in the window; **churn rate** = churned / decided.
* **Expansion**: ARR after - ARR before, summed over renewals (a churn's ARR after is 0, so it counts as the
  whole ARR lost). **NRR** = sum(ARR after) / sum(ARR before); **GRR** = sum(min(after, before)) / sum(before),
  each against the tier's ``net_revenue_retention`` / ``gross_revenue_retention`` targets (``tiers.yaml``).
* **Relationship depth**: whether the tier's promised check-in cadence (``proactive_checkin_every_days``) was
  kept before the decision: a touch (a note of kind call, meeting or email) within that many days before
  ``decided_at`` is *kept*, none is *lapsed*; a tier without a cadence is *no cadence*. Touches and business
  reviews (meetings) in the 365 days before the decision are averaged per decision.
* **Service recovery**: complaint tickets (the categories of ``alerts.yaml``'s complaint rules) resolved in the
  window, median hours from opened to resolved, by tier and by depth (a touch within the cadence before the
  complaint was opened).

Decisions and complaints in a window are few (a book renews once a year), so their rows are read and grouped
here; the touches are looked up per row by the notes index (``customer_id, created_at``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, null, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import ScalarSelect

from bot.policies import Policies
from bot.store.models import Customer, Note, Renewal, Ticket
from bot.store.sql import epoch_seconds

TOUCH_KINDS = ("call", "meeting", "email")
REVIEW_KIND = "meeting"
KEPT, LAPSED, NO_CADENCE = "kept", "lapsed", "no cadence"
YEAR = dt.timedelta(days=365)


@dataclass
class OutcomeRow:
    group: str  # a tier, or "tier / depth"
    renewed: int = 0
    churned: int = 0
    arr_before: float = 0.0
    arr_after: float = 0.0
    arr_kept: float = 0.0  # sum of min(after, before)
    touches: int = 0
    reviews: int = 0
    recoveries: list[float] = field(default_factory=list)  # complaint-to-resolution hours

    @property
    def decided(self) -> int:
        return self.renewed + self.churned

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.decided if self.decided else None

    @property
    def renewal_rate(self) -> float | None:
        return self.renewed / self.decided if self.decided else None

    @property
    def expansion(self) -> float:
        return self.arr_after - self.arr_before

    @property
    def nrr(self) -> float | None:
        return self.arr_after / self.arr_before if self.arr_before else None

    @property
    def grr(self) -> float | None:
        return self.arr_kept / self.arr_before if self.arr_before else None

    @property
    def touches_per_decision(self) -> float | None:
        return self.touches / self.decided if self.decided else None

    @property
    def recovery_hours(self) -> float | None:
        return statistics.median(self.recoveries) if self.recoveries else None


def total(rows: tuple[OutcomeRow, ...], group: str = "all") -> OutcomeRow:
    """The rows added up (the whole book's figures from the tiers' rows)."""
    out = OutcomeRow(group)
    for row in rows:
        out.renewed += row.renewed
        out.churned += row.churned
        out.arr_before += row.arr_before
        out.arr_after += row.arr_after
        out.arr_kept += row.arr_kept
        out.touches += row.touches
        out.reviews += row.reviews
        out.recoveries.extend(row.recoveries)
    return out


def percent(value: float | None) -> str:
    """A rate as the report and Ask say it ("97%"); "-" when there is nothing to rate."""
    return "-" if value is None else f"{value:.0%}"


def beside_target(
    value: float, target: float, missed: bool, show: Callable[[float], str], finer: Callable[[float], str]
) -> str:
    """``value`` as ``show`` says it beside its target, or as ``finer`` does when it misses the target yet would read
    the same: "94.7% (target 95%, missed)", not "95% (target 95%, missed)", which reads as a contradiction."""
    said = show(value)
    return finer(value) if missed and said == show(target) else said


def signed_usd(value: float) -> str:
    """A change of ARR as the report and Ask say it: "+$1,000", "-$54,579"."""
    return f"{'+' if value >= 0 else '-'}${abs(value):,.0f}"


@dataclass(frozen=True)
class Outcomes:
    since: dt.datetime
    until: dt.datetime
    by_tier: tuple[OutcomeRow, ...]
    by_depth: tuple[OutcomeRow, ...]
    targets: dict[str, tuple[float | None, float | None]]  # tier -> (GRR target, NRR target)


def complaint_categories(policies: Policies) -> tuple[str, ...]:
    found = {c for r in policies.alerts.rules if r.kind == "complaint" for c in r.params.categories}  # type: ignore[union-attr]
    return tuple(sorted(found)) or ("complaint",)


def _last_touch(customer_id: Any, before: Any) -> ScalarSelect[Any]:
    n = Note.__table__.c
    return (
        select(func.max(n.created_at))
        .where(n.customer_id == customer_id, n.kind.in_(TOUCH_KINDS), n.created_at <= before)
        .scalar_subquery()
    )


def _count_notes(customer_id: Any, before: Any, kinds: tuple[str, ...]) -> ScalarSelect[Any]:
    n = Note.__table__.c
    return (
        select(func.count())
        .where(n.customer_id == customer_id, n.kind.in_(kinds), n.created_at <= before)
        .where(epoch_seconds(n.created_at) > epoch_seconds(before) - YEAR.total_seconds())  # portable interval
        .scalar_subquery()
    )


def _depth(tier: str, last: dt.datetime | None, at: dt.datetime, cadence: dict[str, int | None]) -> str:
    days = cadence.get(tier)
    if not days:
        return NO_CADENCE
    return KEPT if last is not None and at - last <= dt.timedelta(days=days) else LAPSED


def outcomes(
    engine: Engine, policies: Policies, since: dt.datetime, until: dt.datetime, *, depth: bool = True
) -> Outcomes:
    """``depth=False``: the renewal decisions' figures by tier alone, without relationship depth or service recovery
    (``by_depth`` empty, no recoveries): what Ask states, without a note look-up per decision."""
    if since >= until:
        raise ValueError("the window is empty: since must be before until")
    member, golden = aliased(Customer), aliased(Customer)
    r, tk = Renewal.__table__.c, Ticket.__table__.c
    gid = func.coalesce(member.merged_into_id, member.id)
    decisions = (
        select(
            golden.tier,
            r.outcome,
            r.arr_before,
            r.arr_after,
            r.decided_at,
            *(
                (
                    _last_touch(r.customer_id, r.decided_at),
                    _count_notes(r.customer_id, r.decided_at, TOUCH_KINDS),
                    _count_notes(r.customer_id, r.decided_at, (REVIEW_KIND,)),
                )
                if depth
                else (null(), null(), null())
            ),
        )
        .select_from(Renewal.__table__)
        .join(member, member.id == r.customer_id)
        .join(golden, golden.id == gid)
        .where(r.decided_at >= since, r.decided_at < until)
    )
    complaints = (
        select(golden.tier, tk.opened_at, tk.resolved_at, _last_touch(tk.customer_id, tk.opened_at))
        .select_from(Ticket.__table__)
        .join(member, member.id == tk.customer_id)
        .join(golden, golden.id == gid)
        .where(tk.resolved_at >= since, tk.resolved_at < until, tk.category.in_(complaint_categories(policies)))
    )
    cadence = {t.name: t.promises.proactive_checkin_every_days for t in policies.tiers.tiers}
    tiers: dict[str, OutcomeRow] = {}
    depths: dict[str, OutcomeRow] = {}

    def rows_for(tier: str, how_deep: str) -> tuple[OutcomeRow, ...]:
        if not depth:
            return (tiers.setdefault(tier, OutcomeRow(tier)),)
        key = f"{tier} / {how_deep}"
        return tiers.setdefault(tier, OutcomeRow(tier)), depths.setdefault(key, OutcomeRow(key))

    with engine.connect() as conn:
        for tier, outcome, before, after, at, last, touches, reviews in conn.execute(decisions):
            b = float(before or 0)
            a = 0.0 if outcome == "churned" else float(after if after is not None else before or 0)
            for row in rows_for(str(tier), _depth(str(tier), last, at, cadence) if depth else ""):
                row.renewed += outcome == "renewed"
                row.churned += outcome == "churned"
                row.arr_before += b
                row.arr_after += a
                row.arr_kept += min(a, b)
                row.touches += int(touches or 0)
                row.reviews += int(reviews or 0)
        for tier, opened, resolved, last in conn.execute(complaints) if depth else ():
            hours = (resolved - opened).total_seconds() / 3600
            for row in rows_for(str(tier), _depth(str(tier), last, opened, cadence)):
                row.recoveries.append(hours)
    order = {name: i for i, name in enumerate(policies.tier_names)}

    def rank(row: OutcomeRow) -> tuple[int, str]:
        return order.get(row.group.split(" / ")[0], len(order)), row.group

    targets = {
        t.name: (t.targets.gross_revenue_retention, t.targets.net_revenue_retention) if t.targets else (None, None)
        for t in policies.tiers.tiers
    }
    return Outcomes(
        since, until, tuple(sorted(tiers.values(), key=rank)), tuple(sorted(depths.values(), key=rank)), targets
    )
