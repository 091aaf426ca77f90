"""KPI figures over a window ``[since, until)``, computed in the database with set-based SQL.

Definitions (the digest, the HTML report and the tests all use these):

* **Tier** of a ticket is the tier of its customer's golden record (``coalesce(merged_into_id, id)``), and
  customers per tier count golden records only, so merged duplicates neither split nor double a customer.
* **Handled tickets**: tickets resolved in the window (``resolved_at`` in ``[since, until)``).
* **Cost-to-serve per customer** of a tier: the handling effort of its handled tickets, priced, divided by the
  tier's customers. The helpdesk export has no handling time, so effort is a per-priority proxy
  (:data:`EFFORT_HOURS`: a P1 costs eight times a P4), priced at :data:`HOURLY_COST` USD per hour.
* **Resolution time**: ``resolved_at - opened_at`` of handled tickets, median and mean, in hours.
* **No repeat contact** (``fcr_rate``; the playbook's first-contact resolution is in :mod:`bot.kpi.pack`): share
  of handled tickets after which the same customer record opened no other ticket of the same category
  before ``resolved_at + 7 days`` (a repeat contact means the first did not resolve it).
  Only tickets opened before ``until`` are seen, so a figure does not change once published.
* **Alert ack rate**: alerts created in the window (tier as recorded on the alert) acknowledged before
  ``until`` (``acked_at`` set by the Ack button), overall and for urgent alerts; median minutes to ack.
* **Approval pathways**: *standard* = a request an auto-approve rule settled (``auto_approved``); *exception*
  = a request routed to a human approval chain. **Exception rate** = exception requests / requests created in
  the window. **Turnaround** = ``decided_at - created_at`` of requests decided in the window, per pathway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, and_, case, exists, func, select
from sqlalchemy.orm import aliased

from bot.alerts.models import Alert
from bot.approvals.figures import EXCEPTION, Pathway, approval_pathways
from bot.store.models import Customer, Ticket
from bot.store.sql import epoch_seconds, median, ranked, seconds_between

EFFORT_HOURS: Mapping[str, float] = {"P1": 6.0, "P2": 3.0, "P3": 1.5, "P4": 0.75}
DEFAULT_EFFORT_HOURS = 1.5  # a priority outside P1..P4 (an import glitch) costs like a P3
HOURLY_COST = 60.0  # USD per support hour, fully loaded
REPEAT_WINDOW = dt.timedelta(days=7)


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide by (shown as "-", never as 0%)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class TierService:
    tier: str
    customers: int
    tickets_resolved: int
    handling_hours: float
    median_resolution_hours: float | None
    mean_resolution_hours: float | None
    first_contact_resolved: int
    hourly_cost: float = HOURLY_COST

    @property
    def cost_usd(self) -> float:
        return self.handling_hours * self.hourly_cost

    @property
    def cost_per_customer(self) -> float | None:
        return ratio(self.cost_usd, self.customers)

    @property
    def fcr_rate(self) -> float | None:
        return ratio(self.first_contact_resolved, self.tickets_resolved)


@dataclass(frozen=True)
class TierAlerts:
    tier: str
    alerts: int
    acked: int
    urgent: int
    urgent_acked: int
    escalated: int
    median_minutes_to_ack: float | None

    @property
    def ack_rate(self) -> float | None:
        return ratio(self.acked, self.alerts)

    @property
    def urgent_ack_rate(self) -> float | None:
        return ratio(self.urgent_acked, self.urgent)


@dataclass(frozen=True)
class Kpis:
    since: dt.datetime
    until: dt.datetime
    service: list[TierService] = field(default_factory=list)
    alerts: list[TierAlerts] = field(default_factory=list)
    approvals: list[Pathway] = field(default_factory=list)

    @property
    def tickets_resolved(self) -> int:
        return sum(t.tickets_resolved for t in self.service)

    @property
    def fcr_rate(self) -> float | None:
        n = self.tickets_resolved
        return sum(t.first_contact_resolved for t in self.service) / n if n else None

    @property
    def cost_usd(self) -> float:
        return sum(t.cost_usd for t in self.service)

    @property
    def alerts_total(self) -> int:
        return sum(a.alerts for a in self.alerts)

    @property
    def ack_rate(self) -> float | None:
        n = self.alerts_total
        return sum(a.acked for a in self.alerts) / n if n else None

    @property
    def urgent_ack_rate(self) -> float | None:
        n = sum(a.urgent for a in self.alerts)
        return sum(a.urgent_acked for a in self.alerts) / n if n else None

    @property
    def approval_requests(self) -> int:
        return sum(p.requests for p in self.approvals)

    @property
    def exception_rate(self) -> float | None:
        n = self.approval_requests
        exc = sum(p.requests for p in self.approvals if p.pathway == EXCEPTION)
        return exc / n if n else None

    def pathway(self, name: str) -> Pathway | None:
        return next((p for p in self.approvals if p.pathway == name), None)


def window(until: dt.datetime, days: int) -> tuple[dt.datetime, dt.datetime]:
    if days < 1:
        raise ValueError("the window is at least one day")
    return until - dt.timedelta(days=days), until


def _ordered(found: Sequence[str], preferred: Sequence[str]) -> list[str]:
    return [t for t in preferred if t in found] + sorted(t for t in found if t not in preferred)


def service_by_tier(
    engine: Engine,
    since: dt.datetime,
    until: dt.datetime,
    tiers: Sequence[str] = (),
    effort: Mapping[str, float] = EFFORT_HOURS,
    hourly_cost: float = HOURLY_COST,
) -> list[TierService]:
    tk = Ticket.__table__.c
    member, golden = aliased(Customer), aliased(Customer)
    repeat = aliased(Ticket)
    repeated = exists().where(
        repeat.customer_id == tk.customer_id,
        repeat.category == tk.category,
        repeat.id != tk.id,
        repeat.opened_at > tk.opened_at,
        repeat.opened_at < until,
        epoch_seconds(repeat.opened_at) <= epoch_seconds(tk.resolved_at) + REPEAT_WINDOW.total_seconds(),
    )
    # The golden record's tier, looked up per handled ticket: a week holds a few thousand of them, so index
    # lookups beat hashing the whole customer table (PostgreSQL 100k customers: ~100 ms vs ~170 ms).
    golden_tier = (
        select(golden.tier)
        .select_from(member)
        .join(golden, golden.id == func.coalesce(member.merged_into_id, member.id))
        .where(member.id == tk.customer_id)
        .scalar_subquery()
    )
    handled = (
        select(
            golden_tier.label("tier"),
            case(effort, value=tk.priority, else_=DEFAULT_EFFORT_HOURS).label("effort"),
            (seconds_between(tk.opened_at, tk.resolved_at) / 3600.0).label("hours"),
            case((repeated, 0), else_=1).label("fcr"),
        )
        .select_from(Ticket.__table__)
        .where(tk.resolved_at >= since, tk.resolved_at < until)
        .subquery()
    )
    r = ranked(handled, "tier", "hours")
    totals_q = select(
        r.c.tier, func.count(), func.sum(r.c.effort), func.avg(r.c.hours), func.sum(r.c.fcr), median(r, "hours")
    ).group_by(r.c.tier)
    customers_q = select(Customer.tier, func.count()).where(Customer.merged_into_id.is_(None)).group_by(Customer.tier)
    with engine.connect() as conn:
        customers = {str(t): int(n) for t, n in conn.execute(customers_q)}
        totals = {str(row[0]): row[1:] for row in conn.execute(totals_q)}
    out = []
    for tier in _ordered(list({*customers, *totals}), tiers):
        n, hours, mean, fcr, med = totals.get(tier, (0, 0.0, None, 0, None))
        out.append(
            TierService(
                tier=tier,
                customers=customers.get(tier, 0),
                tickets_resolved=int(n),
                handling_hours=float(hours or 0.0),
                median_resolution_hours=float(med) if med is not None else None,
                mean_resolution_hours=float(mean) if mean is not None else None,
                first_contact_resolved=int(fcr or 0),
                hourly_cost=hourly_cost,
            )
        )
    return out


def alerts_by_tier(
    engine: Engine, since: dt.datetime, until: dt.datetime, tiers: Sequence[str] = ()
) -> list[TierAlerts]:
    a = Alert.__table__.c
    acked = and_(a.acked_at.is_not(None), a.acked_at < until)
    created = (
        select(
            a.tier.label("tier"),
            case((acked, 1), else_=0).label("acked"),
            case((a.urgent, 1), else_=0).label("urgent"),
            case((and_(a.urgent, acked), 1), else_=0).label("urgent_acked"),
            case((and_(a.escalated_at.is_not(None), a.escalated_at < until), 1), else_=0).label("escalated"),
            case((acked, seconds_between(a.created_at, a.acked_at) / 60.0), else_=None).label("minutes"),
        )
        .where(a.created_at >= since, a.created_at < until)
        .subquery()
    )
    r = ranked(created, "tier", "minutes")
    c = r.c
    totals_q = select(
        c.tier,
        func.count(),
        func.sum(c.acked),
        func.sum(c.urgent),
        func.sum(c.urgent_acked),
        func.sum(c.escalated),
        median(r, "minutes"),
    ).group_by(c.tier)
    with engine.connect() as conn:
        totals = {str(row[0]): row[1:] for row in conn.execute(totals_q)}
    out = []
    for tier in _ordered(list(totals), tiers):
        *counts, med = totals[tier]
        n, acked_n, urgent_n, urgent_acked_n, escalated_n = (int(x or 0) for x in counts)
        minutes = float(med) if med is not None else None
        out.append(TierAlerts(tier, n, acked_n, urgent_n, urgent_acked_n, escalated_n, minutes))
    return out


def compute(
    engine: Engine,
    since: dt.datetime,
    until: dt.datetime,
    tiers: Sequence[str] = (),
    effort: Mapping[str, float] = EFFORT_HOURS,
    hourly_cost: float = HOURLY_COST,
) -> Kpis:
    """Every KPI over ``[since, until)``; ``tiers`` orders the tiers (policy order, highest first)."""
    if since >= until:
        raise ValueError("the window is empty: since must be before until")
    return Kpis(
        since,
        until,
        service_by_tier(engine, since, until, tiers, effort, hourly_cost),
        alerts_by_tier(engine, since, until, tiers),
        approval_pathways(engine, since, until),
    )
