"""Which alerts reach the asker: the rules of alerts.yaml for the tiers they own accounts in, urgent or digest."""

from __future__ import annotations

import pytest

from bot.ask.alert_rules import (
    alert_rules_finding,
    asks_of_owners,
    asks_unacked,
    asks_which_alerts,
    owner_rules_finding,
    unacked_finding,
)
from bot.policies import Policies, load_policies

from ...conftest import REPO


@pytest.fixture(scope="module")
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


@pytest.mark.parametrize(
    ("question", "which"),
    [
        ("what alerts will I get?", True),
        ("which kinds of alerts does Rapport send me?", True),
        ("what Rapport alerts do account owners receive?", True),
        ("why did I get an alert at 3am?", False),  # when, not which: the delivery rules answer
        ("what should I do when I get a gone-quiet alert?", False),
    ],
)
def test_which_alerts_is_told_from_when_they_arrive(question: str, which: bool) -> None:
    assert asks_which_alerts(question) is which


def _lines(summary: str) -> dict[str, str]:
    return {line.split(": ", 1)[0].rstrip(":"): line for line in summary.splitlines()}


def test_an_owner_of_gold_accounts_gets_the_rules_for_gold(policies: Policies) -> None:
    said = alert_rules_finding(policies, "U0AMGOLD", {"gold": 3}).summary
    lines = _lines(said)
    assert lines["These alerts reach you as the owner of 3 accounts (3 gold)"]
    urgent = lines["• Urgent, may interrupt you outside quiet hours"]
    digest = lines["• In your 08:30 digest"]
    assert "`sla-breach` (every tier)" in urgent and "`high-value-complaint` (Platinum and Gold)" in urgent
    assert "`renewal-at-risk` (Platinum and Gold)" in digest
    assert "`high-value-gone-quiet` (Platinum and Gold, lifetime value 250,000+)" in digest
    # silver and bronze rules are someone else's: not listed, counted
    assert "`complaint`" not in urgent + digest and "`growth-account-gone-quiet`" not in urgent + digest
    assert "2 other rules cover tiers you own no accounts in." in said
    assert "<#C0SVCALRT> (`complaint`, `sla-breach`, `sla-imminent-high-touch`)" in said


def test_one_rule_left_out_is_said_in_the_singular(policies: Policies) -> None:
    said = alert_rules_finding(policies, "U0AMGOLD", {"platinum": 1, "gold": 1, "bronze": 1}).summary
    assert "\n1 other rule covers tiers you own no accounts in.\n" in said  # growth-account-gone-quiet (silver)


def test_someone_who_owns_no_accounts_is_told_so_and_where_alerts_are_posted(policies: Policies) -> None:
    said = alert_rules_finding(policies, "U0SUPLEAD", {}).summary
    assert said.startswith("You own no accounts on record, so no alert reaches you as an owner.")
    assert "Urgent" not in said and "Alerts are posted in <#C0ACCTALRT>" in said


@pytest.mark.parametrize(
    ("question", "owners"),
    [
        ("which alerts go to the account owner?", True),
        ("what Rapport alerts do account owners receive?", True),
        ("what alerts will I get as an owner?", False),  # the asker's own book
        ("what alerts will I get?", False),
    ],
)
def test_alerts_asked_of_owners_in_general_are_told_from_the_askers_own(question: str, owners: bool) -> None:
    assert asks_of_owners(question) is owners


def test_the_alerts_that_reach_an_owner_are_listed_whoever_asks(policies: Policies) -> None:
    # was: "which customer do you mean?" ("the account owner" read as one customer's owner)
    said = owner_rules_finding(policies).summary
    lines = _lines(said)
    assert said.startswith("These alerts go to the owner of each account the rule covers:")
    urgent = lines["• Urgent, may interrupt them outside quiet hours"]
    digest = lines["• In their 08:30 digest"]
    assert "`sla-breach` (every tier)" in urgent and "`complaint` (Silver and Bronze)" in digest
    assert "`growth-account-gone-quiet` (Silver)" in digest  # every tier's rules: no one's book narrows them
    assert "Alerts are also posted in <#C0ACCTALRT>" in said


@pytest.mark.parametrize(
    ("question", "unacked"),
    [
        ("what happens if nobody acknowledges an alert?", True),  # was: the "Acting on an alert" bullets
        ("what happens if I don't ack an alert?", True),
        ("do unacknowledged alerts escalate?", True),  # was: the asker's open alerts
        ("which of my alerts are unacknowledged?", False),  # the open alerts themselves
        ("how do I acknowledge an alert?", False),
    ],
)
def test_an_alert_left_unacknowledged_is_told_from_the_open_ones(question: str, unacked: bool) -> None:
    assert asks_unacked(question) is unacked


def test_an_unacknowledged_alert_escalates_per_rule_as_alerts_yaml_says(policies: Policies) -> None:
    said = unacked_finding(policies).summary
    lines = said.splitlines()
    assert lines[0].startswith("An alert nobody acknowledges is posted again in its rule's escalation channel")
    escalating = [r for r in policies.alerts.rules if policies.alerts.escalation_after(r) is not None]
    assert len(lines) == len(escalating) + 2 and escalating  # one line per rule that escalates, none for others
    assert "• `sla-breach`: after 2h in <#C0ESCALATE>" in said  # urgent: the default delay
    assert "• `renewal-at-risk`: after 1d in <#C0CSLEADS>" in said  # its own delay
