"""Who may see a customer field, computed from roles.yaml: the rule the card and the record answers apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ask.access import field_access_finding
from bot.policies import Policies, load_policies

REPO = Path(__file__).resolve().parents[3]
PUBLIC = (
    "name, tier, segment, region, time zone, owner, renewal date, open tickets, last contact, recent interactions, "
    "contact preferences, consent"
)
LOGISTICS = "contact name and contact phone"


@pytest.fixture(scope="module")
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


def said(policies: Policies, question: str, asker: str = "U0CSLEAD") -> str:
    found = field_access_finding(policies, question, asker)
    assert found is not None, question
    return found.summary


def test_a_sensitive_field_names_every_role_that_sees_it(policies: Policies) -> None:
    text = said(policies, "who can see customer phone numbers?")
    seers = [r.replace("_", " ") for r, role in policies.roles.roles.items() if "contact_phone" in role.sees]
    assert text.startswith("*Contact phone* is sensitive: only ")
    assert all(r in text for r in seers) and "finance" not in text and "restricted" in text


def test_a_public_field_is_seen_by_everyone(policies: Policies) -> None:
    assert said(policies, "who can see the renewal date?") == "*Renewal date* is public: every staff member sees it."


def test_a_role_and_a_field_get_yes_or_no(policies: Policies) -> None:
    no = said(policies, "can support agents see health scores?")
    assert no.startswith("No: the *support agent* role does not see *health score* (support lead, account manager")
    yes = said(policies, "can a support agent see the contact email?")
    assert yes == "Yes: the *support agent* role sees *contact email*."


def test_i_is_the_askers_own_roles(policies: Policies) -> None:
    assert said(policies, "can I see ARR?", asker="U0AMPLAT") == "Yes: you see *ARR*."  # an account manager
    assert said(policies, "can I see ARR?", asker="U0LOGLEAD").startswith("No: you do not see *ARR* (")  # logistics
    # two roles (executive, finance): what either sees, said once
    both = said(policies, "what fields can I see?", asker="U0CFO")
    assert (
        both.startswith("You see the public fields (name, tier, segment, ")
        and "; of the sensitive ones: lifetime value, ARR" in both
        and "\n" not in both
    )


def test_a_person_mentioned_is_their_roles(policies: Policies) -> None:
    # "can @Dana see ARR?" in Slack: the mentioned person's roles (cs lead), not the asker's
    yes = said(policies, "can <@U0CSLEAD> see ARR?", asker="U0LOGLEAD")
    assert yes == "Yes: Dana Whitfield (cs lead) sees *ARR*."  # named, not a live mention of what the asker typed
    logistics = said(policies, "what can <@U0LOGDSP> see?")
    assert logistics == (
        f"Fatima Zahra (logistics) sees the public fields ({PUBLIC}); of the sensitive ones: {LOGISTICS}."
    )
    assert said(policies, "can <@U0NOBODY> see ARR?").startswith("*ARR* is sensitive")  # not on the roster


def test_a_role_alone_lists_what_it_sees(policies: Policies) -> None:
    assert said(policies, "what fields can logistics see?") == (
        f"The *logistics* role sees the public fields ({PUBLIC}); of the sensitive ones: {LOGISTICS}."
    )


def test_the_contact_name_is_not_the_customer_name(policies: Policies) -> None:
    # "name" lies inside "contact name": the field asked is the contact's, not the public customer name
    text = said(policies, "who can see the contact name?")
    assert text.startswith("*Contact name* is sensitive") and "public" not in text


def test_nothing_named_is_left_to_the_playbooks(policies: Policies) -> None:
    assert field_access_finding(policies, "who can see the escalation channel?", "U0CSLEAD") is None
