"""Alert rules compiled to SQLAlchemy Core SELECTs, evaluated inside the database.

Each compiled rule is one SELECT over ``customers`` (segment filter + the kind's condition as
``EXISTS``/correlated aggregates that use the per-customer indexes), returning exactly these columns:

``customer_id``, ``rank`` (lifetime value: what the cap keeps first), ``e1``, ``e2`` (numbers) and
``e3`` (text): the evidence, whose meaning per kind is :data:`EVIDENCE` and :func:`summary`.

Nothing is iterated in Python: the database returns only the matches, so memory does not grow with the
book of business. Times are bound parameters computed once per evaluation (``EvalContext.now``), which
keeps the SQL portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
)

from bot.alerts.clock import business_cutoff
from bot.policies import AlertRule, Policies
from bot.policies.alerts import (
    ComplaintRule,
    InactivityRule,
    PaymentOverdueRule,
    RenewalAtRiskRule,
    Segment,
    SlaBreachRule,
    SlaImminentRule,
    UsageDropRule,
)
from bot.store.models import Customer, Note, Order, Ticket, UsageEvent

OPEN_TICKET_STATES = ("open", "pending")

EVIDENCE: dict[str, tuple[str, str, str]] = {
    "inactivity": ("days", "", "signals"),
    "complaint": ("tickets", "worst_sentiment", "categories"),
    "sla_breach": ("tickets", "", "clocks"),
    "sla_imminent": ("tickets", "percent_elapsed", "clocks"),
    "usage_drop": ("recent_daily", "baseline_daily", ""),
    "renewal_at_risk": ("days_to_renewal", "", "renewal_date"),
    "payment_overdue": ("orders", "", "days"),
}


@dataclass(frozen=True)
class EvalContext:
    """Everything a compiled rule depends on besides the rule itself."""

    now: dt.datetime
    policies: Policies
    timezones: Sequence[str] = field(default_factory=tuple)  # distinct customer time zones (business-hours SLA)

    @property
    def today(self) -> dt.date:
        return self.now.date()


def customer_timezones(conn: Any) -> list[str]:
    """Distinct customer time zones: a few dozen at most, needed for business-hours SLA cutoffs."""
    c = Customer.__table__.c
    return sorted(str(tz) for tz in conn.execute(select(c.timezone).distinct()).scalars() if tz)


def segment_filter(segment: Segment) -> list[ColumnElement[bool]]:
    c = Customer.__table__.c
    where: list[ColumnElement[bool]] = [c.merged_into_id.is_(None)]
    if segment.tiers:
        where.append(c.tier.in_(segment.tiers))
    if segment.regions:
        where.append(c.region.in_(segment.regions))
    if segment.min_lifetime_value is not None:
        where.append(c.lifetime_value >= segment.min_lifetime_value)
    if segment.min_arr is not None:
        where.append(c.arr >= segment.min_arr)
    return where


def _base(*cols: Any) -> Select[Any]:
    c = Customer.__table__.c
    e1, e2, e3 = (cols + (None, None, None))[:3]
    return select(
        c.id.label("customer_id"),
        cast(c.lifetime_value, Float).label("rank"),
        cast(e1 if e1 is not None else null(), Float).label("e1"),
        cast(e2 if e2 is not None else null(), Float).label("e2"),
        cast(e3 if e3 is not None else null(), String).label("e3"),
    )


def _inactivity(rule: InactivityRule, ctx: EvalContext) -> Select[Any]:
    c = Customer.__table__.c
    cutoff = ctx.now - dt.timedelta(days=rule.params.days)
    conds: list[ColumnElement[bool]] = []
    sig = rule.params.signals
    if "orders" in sig:
        o = Order.__table__.c
        conds.append(~exists().where(o.customer_id == c.id, o.ordered_at >= cutoff))
    if "usage" in sig:
        u = UsageEvent.__table__.c
        conds.append(~exists().where(u.customer_id == c.id, u.day >= cutoff.date(), u.quantity > 0))
    if "contact" in sig:
        n, t = Note.__table__.c, Ticket.__table__.c
        conds.append(~exists().where(n.customer_id == c.id, n.created_at >= cutoff))
        conds.append(~exists().where(t.customer_id == c.id, t.opened_at >= cutoff))
    return _base(literal(rule.params.days), None, literal(",".join(sig))).where(*segment_filter(rule.segment), *conds)


def _complaint(rule: ComplaintRule, ctx: EvalContext) -> Select[Any]:
    c, t = Customer.__table__.c, Ticket.__table__.c
    since = ctx.now - rule.params.lookback
    hit = and_(
        t.customer_id == c.id,
        t.opened_at >= since,
        or_(t.category.in_(rule.params.categories), t.sentiment <= rule.params.max_sentiment),
    )
    # One grouped pass over the window's matching tickets gives the evidence too (count, worst sentiment);
    # correlated count/min subqueries per customer cost 2.5x a plain DISTINCT on PostgreSQL at 1M customers.
    return (
        select(
            c.id.label("customer_id"),
            cast(c.lifetime_value, Float).label("rank"),
            cast(func.count(), Float).label("e1"),
            cast(func.min(t.sentiment), Float).label("e2"),
            cast(literal(",".join(rule.params.categories)), String).label("e3"),
        )
        .select_from(Ticket.__table__.join(Customer.__table__, hit))
        .where(*segment_filter(rule.segment))
        .group_by(c.id, c.lifetime_value)
    )


def _sla_terms(ctx: EvalContext, targets: Sequence[str], fraction: float | None) -> ColumnElement[bool]:
    """One predicate over (customer c, ticket t): a running clock past ``fraction`` of its target.

    ``fraction=None`` means breached (elapsed > target). Otherwise: elapsed > fraction*target but not yet
    breached on that clock. Business-hours tiers get one cutoff per customer time zone.
    """
    c, t = Customer.__table__.c, Ticket.__table__.c
    pol = ctx.policies
    bh = pol.sla.business_hours
    terms: list[ColumnElement[bool]] = []
    for tier_name, tier_sla in pol.sla.targets.items():
        zones: list[str | None] = [None] if tier_sla.coverage == "24x7" else list(ctx.timezones) or ["UTC"]
        for tz in zones:
            for prio in ("P1", "P2", "P3", "P4"):
                target = tier_sla.target(prio)  # type: ignore[arg-type]
                clocks: list[ColumnElement[bool]] = []
                for clock in targets:
                    goal: dt.timedelta = getattr(target, clock)
                    running = t.first_response_at.is_(None) if clock == "first_response" else t.resolved_at.is_(None)

                    def cut(span: dt.timedelta, tz: str | None = tz) -> dt.datetime:
                        if tz is None:
                            return ctx.now - span
                        return business_cutoff(ctx.now, span, tz, bh.start, bh.end, tuple(bh.days))

                    if fraction is None:
                        clocks.append(and_(running, t.opened_at < cut(goal)))
                    else:
                        clocks.append(and_(running, t.opened_at < cut(goal * fraction), t.opened_at >= cut(goal)))
                where = [c.tier == tier_name, t.priority == prio, or_(*clocks)]
                if tz is not None:
                    where.append(c.timezone == tz)
                terms.append(and_(*where))
    return or_(*terms) if terms else false()


def _sla(rule: SlaBreachRule | SlaImminentRule, ctx: EvalContext) -> Select[Any]:
    c, t = Customer.__table__.c, Ticket.__table__.c
    fraction = rule.params.percent_elapsed / 100 if isinstance(rule, SlaImminentRule) else None
    hit = and_(t.customer_id == c.id, t.status.in_(OPEN_TICKET_STATES), _sla_terms(ctx, rule.params.targets, fraction))
    count = select(func.count()).where(hit).scalar_subquery()
    pct = literal(rule.params.percent_elapsed) if isinstance(rule, SlaImminentRule) else None
    return _base(count, pct, literal(",".join(rule.params.targets))).where(
        *segment_filter(rule.segment), exists().where(hit)
    )


def _usage_drop(rule: UsageDropRule, ctx: EvalContext) -> Select[Any]:
    """One pass over the two windows of usage per customer (GROUP BY), both sums in the same scan."""
    c, u = Customer.__table__.c, UsageEvent.__table__.c
    p = rule.params
    recent_from = ctx.today - dt.timedelta(days=p.window_days)
    base_from = recent_from - dt.timedelta(days=p.baseline_days)
    recent = func.sum(case((u.day >= recent_from, u.quantity), else_=0))
    baseline = func.sum(case((u.day < recent_from, u.quantity), else_=0))
    # Averages per day of each window; the drop compares them without division.
    keep = (100 - p.percent) / 100
    return (
        select(
            c.id.label("customer_id"),
            cast(c.lifetime_value, Float).label("rank"),
            (cast(recent, Float) / p.window_days).label("e1"),
            (cast(baseline, Float) / p.baseline_days).label("e2"),
            cast(null(), String).label("e3"),
        )
        .join_from(Customer.__table__, UsageEvent.__table__, u.customer_id == c.id)
        .where(*segment_filter(rule.segment), u.day >= base_from)
        .group_by(c.id, c.lifetime_value)
        .having(baseline > 0, cast(recent, Float) * p.baseline_days < keep * cast(baseline, Float) * p.window_days)
    )


def _renewal(rule: RenewalAtRiskRule, ctx: EvalContext) -> Select[Any]:
    c = Customer.__table__.c
    until = ctx.today + dt.timedelta(days=rule.params.days)
    return _base(None, None, cast(c.renewal_date, String)).where(
        *segment_filter(rule.segment),
        c.renewal_date >= ctx.today,
        c.renewal_date <= until,
        c.health_score <= rule.params.max_health,
    )


def _payment_overdue(rule: PaymentOverdueRule, ctx: EvalContext) -> Select[Any]:
    c, o = Customer.__table__.c, Order.__table__.c
    due_before = ctx.now - dt.timedelta(days=rule.params.days)
    overdue = and_(o.customer_id == c.id, o.paid_at.is_(None), o.status != "refunded", o.due_at < due_before)
    # One grouped pass over overdue orders (as for complaints): the per-customer sum/count subqueries cost 2x.
    q = (
        select(
            c.id.label("customer_id"),
            cast(c.lifetime_value, Float).label("rank"),
            cast(func.count(), Float).label("e1"),
            cast(null(), Float).label("e2"),
            cast(literal(str(rule.params.days)), String).label("e3"),
        )
        .select_from(Order.__table__.join(Customer.__table__, overdue))
        .where(*segment_filter(rule.segment))
        .group_by(c.id, c.lifetime_value)
    )
    if rule.params.min_amount > 0:
        q = q.having(func.sum(o.amount) >= rule.params.min_amount)
    return q


_COMPILERS: dict[type, Callable[[Any, EvalContext], Select[Any]]] = {
    InactivityRule: _inactivity,
    ComplaintRule: _complaint,
    SlaBreachRule: _sla,
    SlaImminentRule: _sla,
    UsageDropRule: _usage_drop,
    RenewalAtRiskRule: _renewal,
    PaymentOverdueRule: _payment_overdue,
}


def compile_rule(rule: AlertRule, ctx: EvalContext) -> Select[Any]:
    """The rule as one SELECT of (customer_id, rank, e1, e2, e3), one row per matching customer."""
    return _COMPILERS[type(rule)](rule, ctx)


def summary(kind: str, e1: float | None, e2: float | None, e3: str | None, now: dt.datetime | None = None) -> str:
    """One line saying why the rule fired, from the evidence columns. No sensitive values (amounts, health)."""
    if kind == "inactivity":
        return f"No {(e3 or 'activity').replace(',', ', ')} in the last {int(e1 or 0)} days"
    if kind == "complaint":
        return f"{int(e1 or 0)} complaint ticket(s) in the lookback window"
    if kind == "sla_breach":
        return f"{int(e1 or 0)} open ticket(s) past their SLA target ({(e3 or '').replace(',', ', ')})"
    if kind == "sla_imminent":
        return f"{int(e1 or 0)} open ticket(s) past {int(e2 or 0)}% of their SLA target"
    if kind == "usage_drop":
        drop = 100 * (1 - (e1 or 0) / e2) if e2 else 0
        return f"Usage down {drop:.0f}% against the trailing baseline"
    if kind == "renewal_at_risk":
        when = e3 or "soon"
        if now is not None and e3:
            with contextlib.suppress(ValueError):
                when = f"{e3} (in {(dt.date.fromisoformat(e3[:10]) - now.date()).days} days)"
        return f"Renewal {when} with health below the policy threshold"
    if kind == "payment_overdue":
        return f"{int(e1 or 0)} invoice(s) unpaid more than {e3} days past due"
    return kind
