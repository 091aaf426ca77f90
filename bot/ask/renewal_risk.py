"""Is this customer's renewal at risk? The renewal-at-risk alert rules of ``alerts.yaml``, evaluated for them now
by the alerts' own evidence (:func:`bot.alerts.evidence.measure`, the numbers an alert would show), so the answer
and the alert cannot disagree. A value the asker's role may not see (the health score) is said to be restricted,
as on the card, and a verdict that rests on it is not given."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.alerts.evidence import Fact, measure, rule_text, show
from bot.alerts.explain import in_segment
from bot.alerts.rules import EvalContext
from bot.ask.dates import day
from bot.ask.facts import name_of
from bot.ask.policy import PolicyFinding, mention
from bot.customers.card import CustomerCard
from bot.policies import Policies
from bot.policies.alerts import RenewalAtRiskRule
from bot.store.models import Customer

CITATION = "when the renewal is at risk alert fires health score threatens to churn"


def _said(fact: Fact | None, hidden: frozenset[str]) -> str:
    """``days to renewal 30 (rule: ≤ 90 days)``; the rule left out when the reader may not see the value."""
    if fact is None:
        return ""
    limit = rule_text(fact, hidden)
    return f"{fact.label} {show(fact, hidden)}" + (f" (rule: {limit})" if limit else "")


def renewal_risk_finding(
    session: Session, policies: Policies, card: CustomerCard, now: dt.datetime
) -> PolicyFinding | None:
    """The verdict of each renewal-at-risk rule for this customer, with its numbers; None without such a rule."""
    rules = [r for r in policies.alerts.rules if isinstance(r, RenewalAtRiskRule)]
    customer = session.get(Customer, card.customer_id)
    if not rules or customer is None:
        return None
    hidden = frozenset(card.hidden)
    who = name_of(card)
    lines: list[str] = []
    sensitive = False  # a value of a sensitive field (the health score) stated: the answer goes to the asker only
    for rule in rules:
        name = f"*{mrkdwn.escape(rule.name)}*"
        ev = measure(session.connection(), rule, EvalContext(now, policies), [card.customer_id])[card.customer_id]
        facts = {f.key: f for f in ev.facts}
        renews, soon, health = facts.get("renewal_date"), facts.get("days_to_renewal"), facts.get("health")
        when = f"renews {day(dt.date.fromisoformat(str(renews.value)))}" if renews and renews.value else ""
        numbers = "; ".join(
            x for x in (when or "no renewal date on record", _said(soon, hidden), _said(health, hidden)) if x
        )
        sensitive = sensitive or any(
            f is not None and f.field is not None and f.field not in hidden and f.value is not None
            for f in (soon, health)
        )
        if not in_segment(rule.segment, customer):
            # no alert fires for them, but the owner still wants the rule's numbers (how near, how healthy)
            tiers = mrkdwn.listed(rule.segment.tiers) if rule.segment.tiers else "its segment"
            lines.append(f"{who} ({mrkdwn.escape(card.tier)}) is outside the {name} rule ({tiers}): {numbers}.")
        elif soon is not None and not soon.met:  # not near enough, whatever the health score
            lines.append(f"{who}'s renewal is not at risk by the {name} rule ({numbers}).")
        elif health is not None and health.field in hidden:
            lines.append(
                f"{who}'s renewal is within the {name} rule's window ({numbers}); whether it is at risk rests on the "
                f"health score, restricted for your role: ask {mention(card.owner)}."
            )
        elif ev.fires:
            lines.append(f"{who}'s renewal is at risk: the {name} rule fires ({numbers}).")
        else:
            lines.append(f"{who}'s renewal is not at risk by the {name} rule ({numbers}).")
    return PolicyFinding(
        " ".join(lines), card.tier, citation_query=CITATION, citation_title="renewal", sensitive=sensitive
    )
