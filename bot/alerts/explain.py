"""``explain``: for one customer, every rule's verdict with each condition (the customer's value against the
threshold, segment included), the priority it would have, and the alert history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from bot.alerts.evidence import Evidence, describe, measure, rule_text, show
from bot.alerts.models import Alert
from bot.alerts.rules import EvalContext, compile_rule, customer_timezones
from bot.alerts.views import Condition
from bot.policies import AlertRule, Policies
from bot.policies.alerts import Segment
from bot.store.models import Customer


@dataclass(frozen=True)
class RuleVerdict:
    rule: str
    in_segment: bool
    matches: bool  # the compiled rule fires for this customer now
    why: str
    conditions: tuple[Condition, ...] = ()
    priority: float = 0.0
    band: str = ""
    alert_state: str | None = None
    alert_since: dt.datetime | None = None
    next_possible: dt.datetime | None = None  # cooldown end, when no alert is open


@dataclass(frozen=True)
class Explanation:
    customer_id: int
    customer: str
    tier: str
    verdicts: tuple[RuleVerdict, ...]


def find_customer(engine: Engine, text: str) -> tuple[int, str, str] | None:
    """By id, exact name (case-insensitive) or name prefix; the highest-value match wins."""
    c = Customer.__table__.c
    with engine.connect() as conn:
        if text.isdigit():
            row = conn.execute(select(c.id, c.name, c.tier).where(c.id == int(text))).first()
        else:
            row = conn.execute(
                select(c.id, c.name, c.tier)
                .where(c.name.ilike(text.replace("%", r"\%") + "%"), c.merged_into_id.is_(None))
                .order_by((c.name.ilike(text)).desc(), c.lifetime_value.desc())
                .limit(1)
            ).first()
    return (int(row.id), str(row.name), str(row.tier)) if row else None


def segment_conditions(segment: Segment, customer: Any) -> list[Condition]:
    out = []
    if customer.merged_into_id is not None:
        out.append(Condition("record", f"merged into #{customer.merged_into_id}", "not merged", False))
    if segment.tiers:
        out.append(Condition("tier", customer.tier, "in " + ", ".join(segment.tiers), customer.tier in segment.tiers))
    if segment.regions:
        out.append(
            Condition("region", customer.region, "in " + ", ".join(segment.regions), customer.region in segment.regions)
        )
    if segment.min_lifetime_value is not None:
        ltv = float(customer.lifetime_value or 0)
        out.append(
            Condition(
                "lifetime value",
                f"${ltv:,.0f}",
                f"≥ ${segment.min_lifetime_value:,.0f}",
                ltv >= segment.min_lifetime_value,
            )
        )
    if segment.min_arr is not None:
        arr = float(customer.arr or 0)
        out.append(Condition("ARR", f"${arr:,.0f}", f"≥ ${segment.min_arr:,.0f}", arr >= segment.min_arr))
    return out


def in_segment(segment: Segment, customer: Any) -> bool:
    """Whether the customer is in the rule's segment (every condition of :func:`segment_conditions` met)."""
    return all(c.met for c in segment_conditions(segment, customer))


def conditions(ev: Evidence) -> list[Condition]:
    return [Condition(f.label, show(f), rule_text(f), bool(f.met)) for f in ev.conditions]


def explain(engine: Engine, policies: Policies, customer_id: int, now: dt.datetime) -> Explanation:
    c, a = Customer.__table__.c, Alert.__table__.c
    verdicts = []
    ranking = policies.alerts.ranking
    with engine.connect() as conn:
        customer = conn.execute(select(Customer.__table__).where(c.id == customer_id)).one()
        ctx = EvalContext(now, policies, customer_timezones(conn))
        for rule in policies.alerts.rules:
            segment = segment_conditions(rule.segment, customer)
            in_seg = all(x.met for x in segment)
            sub = compile_rule(rule, ctx).subquery()
            hit = conn.execute(select(sub.c.customer_id).where(sub.c.customer_id == customer_id)).first() is not None
            ev = measure(conn, rule, ctx, [customer_id])[customer_id]
            if not in_seg:
                why = "not in the rule's segment: " + "; ".join(
                    f"{x.label} {x.value} not {x.rule}" for x in segment if not x.met
                )
            else:
                why = (
                    describe(ev)
                    if hit
                    else "does not fire: "
                    + "; ".join(f"{x.label} {x.value} (needs {x.rule})" for x in conditions(ev) if not x.met)
                )
            last = conn.execute(
                select(a.state, a.created_at)
                .where(a.rule == rule.name, a.customer_id == customer_id)
                .order_by(a.created_at.desc())
                .limit(1)
            ).first()
            nxt = None
            if last is not None and last.state == "resolved" and last.created_at + rule.cooldown > now:
                nxt = last.created_at + rule.cooldown
            priority = ranking.score(rule.severity, customer.tier, float(customer.arr or 0))
            verdicts.append(
                RuleVerdict(
                    rule.name,
                    in_seg,
                    hit,
                    why,
                    tuple(segment + conditions(ev)),
                    priority,
                    _band(rule, ranking, priority),
                    last.state if last else None,
                    last.created_at if last else None,
                    nxt,
                )
            )
    return Explanation(customer_id, str(customer.name), str(customer.tier), tuple(verdicts))


def _band(rule: AlertRule, ranking: Any, priority: float) -> str:
    band = ranking.band(priority)
    return band.name if rule.urgent else f"{band.name}, digest rule"
