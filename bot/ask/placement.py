"""Which tier values place a customer in ("what tier is a customer with $300k ARR?"): tiers.yaml's thresholds, by
the rule the segmentation review applies (:meth:`bot.policies.Policies.tier_for_value`), for values the question
states rather than a record's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bot.ask.dates import day
from bot.ask.facts import money, takes
from bot.ask.policy import PolicyFinding
from bot.policies import Policies

CITATION = "placement highest tier lifetime value ARR threshold"
_LABELS = {"arr": "ARR", "lifetime_value": "lifetime value"}


def placement_finding(policies: Policies, values: dict[str, Decimal], today: dt.date) -> PolicyFinding:
    """The tier ``values`` (ARR, lifetime value) place a customer in, and what that tier takes; with one of the two
    values only, that the other may place them higher."""
    if not values:
        return PolicyFinding(
            "Give the lifetime value or ARR (e.g. `what tier is a customer with $300k ARR?`) and I'll say which tier "
            "it places a customer in.",
            "",
        )
    placed = policies.tier_for_value(float(values.get("lifetime_value", 0)), float(values.get("arr", 0)))
    said = " and ".join(f"{_LABELS[k]} of {money(v)}" for k, v in values.items())
    lines = [f"A customer with {said} places in *{placed.title()}*, which takes {takes(policies, placed)}."]
    missing = [_LABELS[k] for k in _LABELS if k not in values]
    if missing and policies.tier_names.index(placed) > 0:
        lines.append(f"Their {missing[0]} may place them higher (either threshold is enough).")
    review = policies.tiers.segmentation.next_review(today)
    lines.append(f"The segmentation review on {day(review)} sets the tier, counting the last 12 months of orders too.")
    return PolicyFinding(" ".join(lines), placed, citation_query=CITATION, citation_title="tier")
