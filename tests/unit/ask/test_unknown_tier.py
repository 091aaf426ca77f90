"""A customer whose stored tier is a source's own word (``Enterprise``) is said to have no policy, never answered
with generic text or another tier's rules (issue 19)."""

from __future__ import annotations

from pathlib import Path

from bot.ask.policy import escalation_finding, promises_finding
from bot.customers.card import CustomerCard, tier_text, unknown_tier
from bot.policies import load_policies

POLICIES = load_policies(Path(__file__).resolve().parents[3] / "playbooks" / "policies")


def test_the_card_names_a_tier_no_policy_file_knows() -> None:
    assert tier_text(POLICIES, "gold") == "gold"
    assert unknown_tier(POLICIES, "gold") is None
    assert tier_text(POLICIES, "Enterprise").startswith("Enterprise (tier 'Enterprise' is not in tiers.yaml, so no SLA")


def test_an_escalation_question_says_the_tier_is_unknown_and_who_to_go_to() -> None:
    card = CustomerCard(1, "Company_1 <!channel>", "Enterprise", "U0AMPLAT", {})
    finding = escalation_finding(POLICIES, card, "Company_1 has an urgent ticket open, who do we escalate to?")
    assert finding is not None
    assert "tier 'Enterprise' is not in tiers.yaml" in finding.summary
    assert "<@U0AMPLAT>" in finding.summary
    assert "<!channel>" not in finding.summary  # the customer's name is data: escaped
    assert finding.escalate_to == "U0AMPLAT"


def test_a_promise_question_says_the_tier_is_unknown() -> None:
    finding = promises_finding(POLICIES, ["Enterprise"], "does it get an executive sponsor?", "*Company_1*")
    assert finding.summary.startswith("*Company_1*: tier 'Enterprise' is not in tiers.yaml")
    assert "executive sponsor" not in finding.summary  # nothing promised to a tier no policy file knows
