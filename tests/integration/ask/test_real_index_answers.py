"""A playbook filtered to some tiers (front matter ``tiers``) is not searched for another tier's customer, so a
rule for every tier must be found elsewhere: the real index (real model, embedded Chroma) on a copy of the
playbooks, asked about customers of two tiers. The same real index answers a how-to that names a customer, and
a playbook asked about as a whole."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.ask.direct import ACROSS_THE_BOOK, WHICH_CUSTOMER
from bot.ask.service import AskService
from bot.customers.normalize import name_key
from bot.notify import RecordingNotifier
from bot.policies import Policies
from bot.slack.commands import EXAMPLES
from bot.store.db import session_scope
from bot.store.models import Customer, CustomerIdentifier

from .conftest import NOW, REPO, Clock, build_services

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from retrieval import open_index

    root = tmp_path_factory.mktemp("tiers")
    shutil.copytree(REPO / "playbooks", root / "playbooks", ignore=shutil.ignore_patterns("policies"))
    built = open_index(root / "playbooks", chroma_path=root / "chroma")
    assert built.sync().errors == []
    return built


@pytest.mark.parametrize("tier", ["bronze", "gold"])
def test_a_churn_threat_is_answered_for_a_customer_of_any_tier(
    engine: Engine, policies: Policies, index: Any, tier: str
) -> None:
    # was: declined at 3% for a bronze customer (the renewal runbook, which says "a customer of any tier who
    # threatens to churn", is filtered to platinum and gold)
    services = _with_customer(engine, policies, index, tier)
    a = AskService(services).answer("Glacierwood Dental wants to cancel, what do I do?", "U0AMGOLD", "C0SUPPORT")
    assert a.answered and a.customer is not None, a.confidence
    assert "the owner tells the CS lead within 1 business day" in a.text, a.text


def test_a_how_to_naming_a_customer_is_searched_with_a_customer_in_its_place(
    engine: Engine, policies: Policies, index: Any
) -> None:
    # was: declined at 35%: the name dropped, "is unhappy with the last release, what can I offer them?" had no
    # subject and the search drifted off service recovery; "a customer is unhappy ..." finds it
    services = _with_customer(engine, policies, index, "gold")
    ask = AskService(services).answer
    unhappy = ask("Glacierwood Dental is unhappy with the last release, what can I offer them?", "U0AMGOLD")
    assert unhappy.answered and unhappy.customer is not None, unhappy.confidence
    assert unhappy.citations[0].path == "service/service-recovery.md", unhappy.citations
    assert "Gold: Credit up to 1,000 USD" in unhappy.text, unhappy.text  # the remedy for their tier
    # was: declined at 26%
    kickoff = ask("What should the kickoff with Glacierwood Dental cover?", "U0AMGOLD")
    assert kickoff.answered and "Kickoff meeting within 10 business days" in kickoff.text, kickoff.text


def _with_customer(
    engine: Engine, policies: Policies, index: Any, tier: str, name: str = "Glacierwood Dental Ltd"
) -> Any:
    services = build_services(engine, policies, RecordingNotifier(), Clock(NOW), index)
    with session_scope(services.sessions) as s:
        c = Customer(
            name=name,
            tier=tier,
            region="na",
            owner_slack_id="U0AMGOLD",
            renewal_date=dt.date(2027, 3, 1),
            arr=Decimal(9000),
            lifetime_value=Decimal(30000),
        )
        s.add(c)
        s.flush()
        s.add(CustomerIdentifier(customer_id=c.id, kind="name", value=name_key(c.name)))
    return services


def test_a_playbook_asked_about_as_a_whole_answers_with_its_opening_and_its_parts(
    engine: Engine, policies: Policies, index: Any
) -> None:
    # was: "what's the discount policy?" quoted its *Reporting* section; "explain the escalation policy" the
    # alerts handbook
    services = build_services(engine, policies, RecordingNotifier(), Clock(NOW), index)
    ask = AskService(services).answer
    policy = ask("what's the discount policy?", "U0AMGOLD")
    assert policy.citations[0].path == "commercial/discount-and-pricing-policy.md", policy.citations
    assert policy.text.startswith("How much discount an account team may give"), policy.text
    assert "*Discount and pricing policy* in order: Principles · Approval thresholds" in policy.text
    assert policy.text.endswith("Ask me about any part."), policy.text
    matrix = ask("explain the escalation policy", "U0AMGOLD")
    assert matrix.citations[0].path == "service/escalation-matrix.md", matrix.citations
    # a question in particular is still the route for it
    gold = ask("what's the discount policy for gold customers?", "U0AMGOLD")
    assert gold.text.startswith("For a gold customer, a discount: up to 10%"), gold.text


def test_a_situation_no_priority_word_names_gets_the_priority_definitions(
    engine: Engine, policies: Policies, index: Any
) -> None:
    # was: "... says nobody can log in, what priority is that?" quoted the onboarding runbook's "Sales promises that
    # nobody in delivery heard about" and the service-recovery remedies (the situation's words, searched alone)
    services = _with_customer(engine, policies, index, "gold")
    ask = AskService(services).answer
    for question in (
        "Glacierwood Dental says nobody can log in, what priority is that?",
        "The customer says nobody can log in, what priority is that?",
    ):
        a = ask(question, "U0SUPAGT1")
        assert a.citations[0].heading_path.endswith("Priority definitions"), (question, a.citations)
        assert a.text.startswith("Priority: P1 · Meaning: Production down"), (question, a.text)
    # a priority word still computes the priority, with their tier's targets
    down = ask("Glacierwood Dental says checkout is down for all users, what priority is that?", "U0SUPAGT1")
    assert down.text.startswith("That is a *P1*: _down_ is one of its words"), down.text


def test_a_topic_told_in_other_words_is_searched_with_the_playbooks_term(
    engine: Engine, policies: Policies, index: Any
) -> None:
    # was: "X hasn't replied in weeks, what should I do?" got the frequency caps first ("no more than 3 proactive
    # messages"), whose words are nearer; intents.yaml names the playbooks' term for it, "gone quiet"
    services = _with_customer(engine, policies, index, "gold")
    quiet = AskService(services).answer("Glacierwood Dental hasn't replied in weeks, what should I do?", "U0AMGOLD")
    assert quiet.answered and quiet.citations[0].heading_path.endswith("gone-quiet"), quiet.citations
    # ... and "isn't responding" too (was: declined at 40%)
    silent = AskService(services).answer("Glacierwood Dental isn't responding to emails, what should I do?", "U0AMGOLD")
    assert silent.answered and silent.citations[0].heading_path.endswith("gone-quiet"), silent.citations
    assert "personal outreach within 2 business days" in quiet.text, quiet.text
    # was: declined at 36% ("can't meet" against the section's "about to be missed")
    missed = AskService(services).answer("What do I do if I can't meet the SLA on a ticket?", "U0SUPAGT1")
    assert missed.answered and missed.citations[0].heading_path.endswith("When a target is about to be missed")
    assert "updates the ticket and the customer before the target passes" in missed.text, missed.text
    # was: the exception register's recording steps ("times out" is not the handbook's "timeout" as a word)
    timeout = AskService(services).answer("what happens if my approval request times out?", "U0AMGOLD")
    assert 'after "timeout" the step is escalated to the person or group shown' in timeout.text, timeout.text
    # was: the GDPR and CCPA deadlines ("decide a request" read as a privacy request's)
    decide = AskService(services).answer("how long do I have to decide a request?", "U0DEALDSK")
    assert 'after "reminder after" the approvers are reminded' in decide.text, decide.text
    # was: the customer-channel clock's rules (their "outage" words), not what to do after one
    asked = "we had an outage yesterday for a gold customer, what should I do?"
    outage = AskService(services).answer(asked, "U0AMGOLD")
    assert "*Acknowledge within 4 business hours*" in outage.text, outage.text
    # was: the discount policy's rules (the words of what was sent: "a price list")
    wrong = AskService(services).answer("we emailed the wrong customer a price list, what now?", "U0PRIVACY")
    assert wrong.citations[0].heading_path.endswith("Misdirected messages"), wrong.citations
    # was: declined at 21% ("mistakes" against the matrix's "Anti-patterns we have seen")
    mistakes = AskService(services).answer("what mistakes do people make when escalating?", "U0AMGOLD")
    assert mistakes.answered and mistakes.citations[0].heading_path.endswith("Anti-patterns we have seen")
    assert "Escalating by DM to a favourite engineer" in mistakes.text, mistakes.text


EXAMPLE = re.compile(r"`([^`/][^`]*)`")


@pytest.mark.parametrize("question", EXAMPLE.findall(EXAMPLES))
def test_every_question_the_help_suggests_is_answered(
    engine: Engine, policies: Policies, index: Any, question: str
) -> None:
    # the help is what a new user tries first: none of its examples may get "I don't know", the list's help text
    # or "which customer?"
    services = _with_customer(engine, policies, index, "gold", "Northwave Foods Inc")
    a = AskService(services).answer(question, "U0CSLEAD", "C0SUPPORT")
    assert a.answered, (question, a.confidence)
    assert a.text not in (ACROSS_THE_BOOK, WHICH_CUSTOMER) and not a.text.startswith("I list customers"), a.text
