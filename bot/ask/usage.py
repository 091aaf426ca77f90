"""How a customer uses the product: the usage rules of ``alerts.yaml`` (a drop, and growth as an expansion signal)
evaluated for them now by the alerts' own evidence (:func:`bot.alerts.evidence.measure`: the recent daily usage
against the baseline before it), so the answer and the alert cannot disagree ("Is X using the product?", "what's
X's usage trend?")."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.alerts.evidence import Evidence, measure, show
from bot.alerts.explain import in_segment
from bot.alerts.rules import EvalContext
from bot.ask.customer_alerts import rule_section
from bot.ask.dates import day
from bot.ask.facts import name_of
from bot.ask.policy import PolicyFinding
from bot.customers.card import CustomerCard
from bot.policies import Policies
from bot.policies.alerts import UsageDropRule, UsageGrowthRule
from bot.store.models import Customer, UsageEvent


def usage_finding(session: Session, policies: Policies, card: CustomerCard, now: dt.datetime) -> PolicyFinding | None:
    """Each usage rule's numbers and verdict for this customer; None without a usage rule."""
    rules = [r for r in policies.alerts.rules if isinstance(r, UsageDropRule | UsageGrowthRule)]
    if not rules:
        return None
    who = name_of(card)
    last = session.scalar(
        select(func.max(UsageEvent.day)).where(UsageEvent.customer_id == card.customer_id, UsageEvent.quantity > 0)
    )
    if last is None:
        return PolicyFinding(
            f"{who} has no product usage on record.",
            card.tier,
            citation_query=rule_section(rules[0].name),
            citation_title="alerts",
        )
    ctx = EvalContext(now, policies)
    customer = session.get(Customer, card.customer_id)
    lines: list[str] = []
    fired = ""
    for rule in rules:
        ev = measure(session.connection(), rule, ctx, [card.customer_id])[card.customer_id]
        applies = customer is not None and in_segment(rule.segment, customer)
        verdict = "fires" if ev.fires and applies else "does not fire" if applies else "is not for their segment"
        lines.append(f"• *{mrkdwn.escape(rule.name)}* {verdict}: {_numbers(ev)}")
        fired = fired or (rule.name if ev.fires and applies else "")
    metrics = session.scalars(
        select(UsageEvent.metric).where(UsageEvent.customer_id == card.customer_id).distinct().limit(2)
    ).all()
    # what a day's count counts, when the source records one measure ("active users"): "8/day" alone says nothing
    counted = f" ({mrkdwn.escape(metrics[0].replace('_', ' '))} a day)" if len(metrics) == 1 and metrics[0] else ""
    head = f"{who}'s product usage{counted}, last active on {day(last)}:"
    return PolicyFinding(
        "\n".join([head, *lines]),
        card.tier,
        citation_query=rule_section(fired or rules[0].name),
        citation_title="alerts",
    )


def _numbers(ev: Evidence) -> str:
    """ "5.3/day in the last 7 days vs 25.3/day in the 28 days before (down 79%; rule: 40%+ down)": the change said
    with its own sign (an alert's line says only the direction it fires on)."""
    f = ev.fact
    change = f("change")
    moved = rule = ""
    if change is not None and change.value is not None:
        value = float(change.value)
        moved = f"{'down' if value < 0 else 'up'} {abs(value):.0f}%"
    if change is not None and change.threshold is not None:
        rule = f"rule: {abs(float(change.threshold)):.0f}%+ {'down' if ev.kind == 'usage_drop' else 'up'}"
    said = "; ".join(x for x in (moved, rule) if x)

    def s(key: str) -> str:
        fact = f(key)
        return show(fact) if fact is not None else "?"

    return (
        f"{s('recent_daily')}/day in the last {s('window')} vs {s('baseline_daily')}/day in the "
        f"{s('baseline_window')} before ({said})"
    )
