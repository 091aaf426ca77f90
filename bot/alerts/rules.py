"""Alert rules compiled to SQLAlchemy Core SELECTs, evaluated inside the database.

Each compiled rule is one SELECT over ``customers`` (segment filter + the kind's condition as
``EXISTS``/correlated aggregates or one grouped pass over the kind's rows, using the per-customer indexes),
returning one row per matching customer: ``customer_id``. What the match is worth (priority) and why it
fired (the evidence, :mod:`bot.alerts.evidence`) are computed afterwards for the few new matches only.

Some kinds also have a *holds* query: customers for whom an already open alert's condition is still true
although the rule would not fire anew (a complaint whose ticket is still open after the look-back window).
An open alert is resolved only when neither query returns its customer.

Nothing is iterated in Python: the database returns only the matches, so memory does not grow with the
book of business. Times are bound parameters computed once per evaluation (``EvalContext.now``), which
keeps the SQL portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    or_,
    select,
)

from bot.alerts import catalog
from bot.alerts.clock import business_cutoff
from bot.policies import AlertRule, Policies
from bot.policies.alerts import (
    ComplaintRule,
    EventsRule,
    HealthDropRule,
    InactivityRule,
    PaymentOverdueRule,
    RenewalAtRiskRule,
    Segment,
    SlaBreachRule,
    SlaImminentRule,
    UsageDropRule,
    UsageGrowthRule,
)
from bot.store.models import Customer, HealthScore, Note, Order, Ticket, UsageEvent

OPEN_TICKET_STATES = ("open", "pending")


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


def _customers(*where: ColumnElement[bool]) -> Select[Any]:
    return select(Customer.__table__.c.id.label("customer_id")).where(*where)


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
    return _customers(*segment_filter(rule.segment), *conds)


def complaint_ticket(rule: ComplaintRule) -> ColumnElement[bool]:
    """A ticket that counts as a complaint for ``rule`` (category or sentiment), whenever it was opened."""
    t = Ticket.__table__.c
    return or_(t.category.in_(rule.params.categories), t.sentiment <= rule.params.max_sentiment)


def _complaint(rule: ComplaintRule, ctx: EvalContext) -> Select[Any]:
    c, t = Customer.__table__.c, Ticket.__table__.c
    since = ctx.now - rule.params.lookback
    hit = and_(t.customer_id == c.id, t.opened_at >= since, complaint_ticket(rule))
    # One grouped pass over the window's matching tickets; correlated subqueries per customer cost 2.5x a plain
    # DISTINCT on PostgreSQL at 1M customers.
    return (
        select(c.id.label("customer_id"))
        .select_from(Ticket.__table__.join(Customer.__table__, hit))
        .where(*segment_filter(rule.segment))
        .group_by(c.id)
    )


def _complaint_holds(rule: ComplaintRule, ctx: EvalContext, candidates: Any) -> Select[Any]:
    """A complaint alert stays open while one of the customer's complaint tickets is still open."""
    t = Ticket.__table__.c
    return (
        select(t.customer_id)
        .where(t.customer_id.in_(candidates), t.status.in_(OPEN_TICKET_STATES), complaint_ticket(rule))
        .distinct()
    )


def sla_terms(ctx: EvalContext, targets: Sequence[str], fraction: float | None) -> ColumnElement[bool]:
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
    hit = and_(t.customer_id == c.id, t.status.in_(OPEN_TICKET_STATES), sla_terms(ctx, rule.params.targets, fraction))
    return _customers(*segment_filter(rule.segment), exists().where(hit))


def usage_windows(window_days: int, baseline_days: int, today: dt.date) -> tuple[dt.date, dt.date]:
    """(first day of the recent window, first day of the baseline window)."""
    recent_from = today - dt.timedelta(days=window_days)
    return recent_from, recent_from - dt.timedelta(days=baseline_days)


def _usage_change(rule: UsageDropRule | UsageGrowthRule, ctx: EvalContext) -> Select[Any]:
    """One pass over the two windows of usage per customer (GROUP BY), both sums in the same scan. The daily
    averages are compared without division: recent/window vs baseline/baseline_days."""
    c, u = Customer.__table__.c, UsageEvent.__table__.c
    p = rule.params
    recent_from, base_from = usage_windows(p.window_days, p.baseline_days, ctx.today)
    recent = cast(func.sum(case((u.day >= recent_from, u.quantity), else_=0)), Float)
    baseline = cast(func.sum(case((u.day < recent_from, u.quantity), else_=0)), Float)
    if isinstance(rule, UsageDropRule):
        keep = (100 - p.percent) / 100
        having = [baseline > 0, recent * p.baseline_days < keep * baseline * p.window_days]
    else:
        # Growth is judged only against a whole baseline: an account whose usage history starts inside the
        # baseline window (new, or a product keeping a month) would otherwise read as growing. MIN(day) is
        # cheap where counting distinct days is not (1M customers: 38 s -> 8 s on SQLite).
        grow = (100 + p.percent) / 100
        having = [
            func.min(u.day) <= base_from,
            baseline > 0,
            baseline >= rule.params.min_baseline_daily * p.baseline_days,
            recent * p.baseline_days >= grow * baseline * p.window_days,
        ]
    return (
        select(c.id.label("customer_id"))
        .join_from(Customer.__table__, UsageEvent.__table__, u.customer_id == c.id)
        .where(*segment_filter(rule.segment), u.day >= base_from)
        .group_by(c.id)
        .having(*having)
    )


def _renewal(rule: RenewalAtRiskRule, ctx: EvalContext) -> Select[Any]:
    c = Customer.__table__.c
    until = ctx.today + dt.timedelta(days=rule.params.days)
    return _customers(
        *segment_filter(rule.segment),
        c.renewal_date >= ctx.today,
        c.renewal_date <= until,
        c.health_score <= rule.params.max_health,
    )


def overdue_order(rule: PaymentOverdueRule, now: dt.datetime) -> ColumnElement[bool]:
    o = Order.__table__.c
    return and_(o.paid_at.is_(None), o.status != "refunded", o.due_at < now - dt.timedelta(days=rule.params.days))


def _payment_overdue(rule: PaymentOverdueRule, ctx: EvalContext) -> Select[Any]:
    c, o = Customer.__table__.c, Order.__table__.c
    overdue = and_(o.customer_id == c.id, overdue_order(rule, ctx.now))
    # One grouped pass over overdue orders (as for complaints): the per-customer sum/count subqueries cost 2x.
    q = (
        select(c.id.label("customer_id"))
        .select_from(Order.__table__.join(Customer.__table__, overdue))
        .where(*segment_filter(rule.segment))
        .group_by(c.id)
    )
    if rule.params.min_amount > 0:
        q = q.having(func.sum(o.amount) >= rule.params.min_amount)
    return q


def health_days(rule: HealthDropRule, ctx: EvalContext) -> tuple[dt.date, dt.date]:
    """(latest day a current snapshot may have, latest day the reference snapshot may have)."""
    return ctx.today, ctx.today - dt.timedelta(days=rule.params.days)


def _health_drop(rule: HealthDropRule, ctx: EvalContext) -> Select[Any]:
    """Latest snapshot against the last one at least ``days`` older, each found through the (customer, day)
    index; a customer with two snapshots on one day counts once (GROUP BY)."""
    c = Customer.__table__.c
    now_h, then_h = HealthScore.__table__.alias("h_now"), HealthScore.__table__.alias("h_then")
    h = HealthScore.__table__.c
    today, ref_day = health_days(rule, ctx)

    def last_day(on_or_before: dt.date) -> Any:
        return (
            select(func.max(h.day)).where(h.customer_id == c.id, h.day <= on_or_before).correlate(Customer.__table__)
        ).scalar_subquery()

    where = [
        *segment_filter(rule.segment),
        now_h.c.day == last_day(today),
        then_h.c.day == last_day(ref_day),
    ]
    q = (
        select(c.id.label("customer_id"))
        .select_from(Customer.__table__)
        .join(now_h, now_h.c.customer_id == c.id)
        .join(then_h, then_h.c.customer_id == c.id)
        .where(*where)
        .group_by(c.id)
        .having(func.max(then_h.c.score) - func.min(now_h.c.score) >= rule.params.points)
    )
    if rule.params.max_score is not None:
        q = q.having(func.min(now_h.c.score) <= rule.params.max_score)
    return q


def _events(rule: EventsRule, ctx: EvalContext) -> Select[Any]:
    """One grouped pass over the entity's rows in the window that pass the field tests."""
    p = rule.params
    c = Customer.__table__.c
    spec = catalog.ENTITIES[p.entity]
    e = spec.table.c
    hit = and_(
        e.customer_id == c.id,
        catalog.time_column(p.entity) >= ctx.now - p.within,
        catalog.matches(p.entity, p.where, ctx.now),
    )
    q = (
        select(c.id.label("customer_id"))
        .select_from(spec.table.join(Customer.__table__, hit))
        .where(*segment_filter(rule.segment))
        .group_by(c.id)
    )
    having: list[ColumnElement[bool]] = []
    if p.min_count > 1:
        having.append(func.count() >= p.min_count)
    if p.sum is not None and p.min_sum is not None:
        having.append(func.sum(spec.column(p.sum, ctx.now)) >= p.min_sum)
    return q.having(*having) if having else q


def _events_holds(rule: EventsRule, ctx: EvalContext, candidates: Any) -> Select[Any] | None:
    p = rule.params
    if p.open_while is None:
        return None
    e = catalog.ENTITIES[p.entity].table.c
    return (
        select(e.customer_id)
        .where(
            e.customer_id.in_(candidates),
            catalog.matches(p.entity, p.where, ctx.now),
            catalog.matches(p.entity, p.open_while, ctx.now),
        )
        .distinct()
    )


_COMPILERS: dict[type, Callable[[Any, EvalContext], Select[Any]]] = {
    InactivityRule: _inactivity,
    ComplaintRule: _complaint,
    SlaBreachRule: _sla,
    SlaImminentRule: _sla,
    UsageDropRule: _usage_change,
    UsageGrowthRule: _usage_change,
    RenewalAtRiskRule: _renewal,
    PaymentOverdueRule: _payment_overdue,
    HealthDropRule: _health_drop,
    EventsRule: _events,
}
_HOLDS: dict[type, Callable[[Any, EvalContext, Any], Select[Any] | None]] = {
    ComplaintRule: _complaint_holds,
    EventsRule: _events_holds,
}


def compile_rule(rule: AlertRule, ctx: EvalContext) -> Select[Any]:
    """The rule as one SELECT of ``customer_id``, one row per matching customer."""
    return _COMPILERS[type(rule)](rule, ctx)


def compile_holds(rule: AlertRule, ctx: EvalContext, candidates: Any) -> Select[Any] | None:
    """Customers among ``candidates`` (a subquery of customer ids with an open alert) whose alert's condition
    still holds although the rule does not fire anew; None when firing is the only condition."""
    holds = _HOLDS.get(type(rule))
    return holds(rule, ctx, candidates) if holds else None
