"""Why this customer alerts: every rule of ``alerts.yaml`` evaluated for them now, by the alerts' own evidence
(:func:`bot.alerts.evidence.measure`, the numbers an alert shows), and the latest alerts raised for them, so the
answer and the alert cannot disagree ("Why did I get an alert for X?", "Is anything firing for X?"). Values the
asker's role may not see are said to be restricted, as on the card and on the alert itself."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.alerts.evidence import describe, measure
from bot.alerts.explain import in_segment
from bot.alerts.models import Alert
from bot.alerts.rules import EvalContext
from bot.ask.dates import day
from bot.ask.facts import name_of
from bot.ask.policy import PolicyFinding
from bot.customers.card import CustomerCard
from bot.policies import Policies
from bot.store.models import Customer

HISTORY = 3  # latest alerts said


def rule_section(rule: str) -> str:
    """What cites a rule's own section of the alerts handbook ("### sla-breach"), which says what to do about it:
    worded as the section reads (a query of the rule's name and "when the alert fires" ranked a neighbour first)."""
    return f"what to do about an {rule} alert"


def customer_alerts_finding(
    session: Session, policies: Policies, card: CustomerCard, now: dt.datetime
) -> PolicyFinding | None:
    """The rules that fire for this customer now, with their numbers, then the latest alerts raised for them."""
    customer = session.get(Customer, card.customer_id)
    if customer is None or not policies.alerts.rules:
        return None
    hidden = frozenset(card.hidden)
    who = name_of(card)
    ctx = EvalContext(now, policies)
    firing: list[str] = []
    sensitive = False  # a sensitive value stated (ARR, the health score): the answer goes to the asker only
    first = ""
    for rule in policies.alerts.rules:
        if not in_segment(rule.segment, customer):
            continue
        ev = measure(session.connection(), rule, ctx, [card.customer_id])[card.customer_id]
        if not ev.fires:
            continue
        first = first or rule.name
        # the evidence may quote the source (a contact's name, an order id): inert, as on the alert card
        firing.append(
            f"• *{mrkdwn.escape(rule.name)}* ({mrkdwn.escape(rule.severity)}): {mrkdwn.escape(describe(ev, hidden))}"
        )
        sensitive = sensitive or any(
            f.field is not None and f.field not in hidden and f.value is not None for f in ev.facts
        )
    lines = [f"Alert rules that fire for {who} now:", *firing] if firing else [f"No alert rule fires for {who} now."]
    latest = session.execute(
        select(Alert.rule, Alert.state, Alert.created_at)
        .where(Alert.customer_id == card.customer_id)
        .order_by(Alert.created_at.desc())
        .limit(HISTORY)
    ).all()
    if latest:
        said = "; ".join(
            f"*{mrkdwn.escape(r.rule)}* on {day(r.created_at.date())} ({mrkdwn.escape(r.state)})" for r in latest
        )
        lines.append(f"Latest alerts raised for them: {said}.")
    else:
        lines.append("No alert has been raised for them.")
    query = rule_section(first) if first else "alert rules what each alert means"
    return PolicyFinding(
        "\n".join(lines),
        card.tier,
        citation_query=query,
        citation_title="alerts",
        sensitive=sensitive,
    )
