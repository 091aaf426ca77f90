"""``explain``: for one customer, every rule's verdict (segment, condition, evidence) and its alert history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, and_, select

from bot.alerts.models import Alert
from bot.alerts.rules import EvalContext, compile_rule, customer_timezones, segment_filter, summary
from bot.policies import Policies
from bot.store.models import Customer


@dataclass(frozen=True)
class RuleVerdict:
    rule: str
    in_segment: bool
    matches: bool
    why: str
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


def explain(engine: Engine, policies: Policies, customer_id: int, now: dt.datetime) -> Explanation:
    c, a = Customer.__table__.c, Alert.__table__.c
    verdicts = []
    with engine.connect() as conn:
        name, tier = conn.execute(select(c.name, c.tier).where(c.id == customer_id)).one()
        ctx = EvalContext(now, policies, customer_timezones(conn))
        for rule in policies.alerts.rules:
            in_seg = bool(conn.scalar(select(c.id).where(c.id == customer_id, and_(*segment_filter(rule.segment)))))
            sub = compile_rule(rule, ctx).subquery()
            hit = conn.execute(select(sub).where(sub.c.customer_id == customer_id)).first() if in_seg else None
            last = conn.execute(
                select(a.state, a.created_at)
                .where(a.rule == rule.name, a.customer_id == customer_id)
                .order_by(a.created_at.desc())
                .limit(1)
            ).first()
            if not in_seg:
                why = "not in the rule's segment"
            elif hit is None:
                why = "in segment; condition not met"
            else:
                why = summary(rule.kind, hit.e1, hit.e2, hit.e3, now)
            nxt = None
            if last is not None and last.state == "resolved" and last.created_at + rule.cooldown > now:
                nxt = last.created_at + rule.cooldown
            verdicts.append(
                RuleVerdict(
                    rule.name,
                    in_seg,
                    hit is not None,
                    why,
                    last.state if last else None,
                    last.created_at if last else None,
                    nxt,
                )
            )
    return Explanation(customer_id, str(name), str(tier), tuple(verdicts))
