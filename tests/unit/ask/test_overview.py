"""A playbook asked about as a whole is found by its title."""

from __future__ import annotations

import pytest

from bot.ask.overview import asks_whole, named_document
from retrieval.types import DocMeta

DOCS = [
    DocMeta("commercial/discount-and-pricing-policy.md", "Discount and pricing policy"),
    DocMeta("service/escalation-matrix.md", "Escalation matrix (severity x tier)"),
    DocMeta("governance/alerts-handbook.md", "Alerts handbook"),
    DocMeta("commercial/renewal-runbook.md", "Renewal runbook for high-touch accounts"),
    DocMeta("governance/data-handling-and-privacy.md", "Data handling, retention and privacy (GDPR/CCPA)"),
]


@pytest.mark.parametrize(
    ("question", "path"),
    [
        ("what's the discount policy?", "commercial/discount-and-pricing-policy.md"),
        ("explain the escalation policy", "service/escalation-matrix.md"),  # the topic names it, not the kind
        ("Tell me about our renewal runbook", "commercial/renewal-runbook.md"),
        ("summarize the data retention policy", "governance/data-handling-and-privacy.md"),
        ("give me an overview of the alerts handbook", "governance/alerts-handbook.md"),
    ],
)
def test_a_playbook_named_as_a_whole_is_found_by_its_title(question: str, path: str) -> None:
    assert asks_whole(question)
    found = named_document(question, DOCS)
    assert found is not None and found.path == path


@pytest.mark.parametrize(
    "question",
    [
        "what's the discount policy for gold customers?",  # something in particular: the route answers it
        "who approves a discount?",
        "what is the expense policy?",  # no title names it: the search, and "I don't know"
    ],
)
def test_a_question_in_particular_or_about_no_playbook_names_none(question: str) -> None:
    assert named_document(question, DOCS) is None


def test_only_the_playbooks_the_channel_may_cite() -> None:
    assert named_document("what's the discount policy?", DOCS, paths=["service/escalation-matrix.md"]) is None
