"""Reading a bound on a record value from a question (bot.ask.thresholds)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.ask.thresholds import negative_bound, overdue_days, owed_bound, owes, renewals_at_risk, threshold


@pytest.mark.parametrize(
    ("question", "field", "below", "value", "inclusive"),
    [
        ("show me customers with a health score below 40", "health_score", True, "40", False),
        ("gold accounts with ARR over $100k", "arr", False, "100000", False),
        ("which of my accounts have a lifetime value of at least 1m?", "lifetime_value", False, "1000000", True),
        ("customers with health < 30", "health_score", True, "30", False),
        ("which customers have arr of at most 9,000", "arr", True, "9000", True),
        # an amount said of the renewals or accounts themselves: their ARR (was: no bound, every renewal listed)
        ("which renewals over $100k are coming up in the next 90 days?", "arr", False, "100000", False),
        ("customers worth more than 200k", "arr", False, "200000", False),
    ],
)
def test_a_bound_names_its_value_side_and_number(
    question: str, field: str, below: bool, value: str, inclusive: bool
) -> None:
    found = threshold(question)
    assert found is not None
    assert (found.field, found.below, found.value, found.inclusive) == (field, below, Decimal(value), inclusive)


def test_the_rest_keeps_what_else_is_asked() -> None:
    found = threshold("list gold customers with a health score under 50 renewing next month")
    assert found is not None and "gold customers" in found.rest and "renewing next month" in found.rest
    assert "50" not in found.rest


@pytest.mark.parametrize(
    "question",
    [
        "customers over 30 days overdue",
        "what is the health score of Acme?",
        "top 5 customers by ARR",
        "customers renewing in over 30 days",
    ],
)
def test_no_bound_is_read_where_none_is_said(question: str) -> None:
    assert threshold(question) is None


def test_customers_behind_on_payments_are_asked_in_several_ways() -> None:
    for question in (
        "which customers have overdue invoices?",
        "who hasn't paid their invoices?",
        "accounts with late payments",
        "which gold customers are behind on payments?",
        # overdue or late *on* payments (was: the help for lists)
        "which customers are overdue on payments?",
        "which accounts are late with their invoices?",
        # late *paying*, said of them (was: the payment alert rule and the expedite steps)
        "which customers are late paying?",
        "who pays late?",
        "any slow payers in emea?",
        "which platinum customers are overdue?",  # was: the help for lists
    ):
        assert owes(question), question
    assert not owes("how do we handle a late shipment?") and not owes("when is the invoice due?")
    assert not owes("which of my customers are overdue for a check-in?")  # a promised cadence


def test_renewals_at_risk_are_asked_of_the_book() -> None:
    for question in (
        "which renewals are at risk?",
        "how much ARR is at risk?",
        "list at-risk accounts",
        "which of my customers are at risk this quarter?",
    ):
        assert renewals_at_risk(question), question
    assert not renewals_at_risk("is the data at risk after a breach?")
    assert not renewals_at_risk("what puts a renewal at risk?")  # what the rule is: the playbooks
    assert not renewals_at_risk("when is a renewal considered at risk?")


@pytest.mark.parametrize(
    ("question", "below", "value"),
    [
        ("which customers owe more than $5,000?", False, Decimal(5000)),
        ("customers with overdue invoices over 5k", False, Decimal(5000)),
        ("who owes us less than $1,000?", True, Decimal(1000)),
    ],
)
def test_a_bound_on_what_is_owed_is_read_of_overdue_payments(question: str, below: bool, value: Decimal) -> None:
    bound = owed_bound(question)
    assert bound is not None and (bound.below, bound.value) == (below, value)
    assert owes(question)


@pytest.mark.parametrize(
    "question",
    [
        "which customers owe us money for more than 30 days?",  # how late, not how much
        "customers with overdue invoices and ARR over $100k",  # the ARR's bound
        "which customers have ARR over $5,000?",  # no payments asked
    ],
)
def test_no_owed_bound_where_none_is_said(question: str) -> None:
    assert owed_bound(question) is None


@pytest.mark.parametrize(
    ("question", "days"),
    [
        ("which customers are 30 days overdue?", 30),
        ("invoices overdue by more than 60 days", 60),
        ("who is 90+ days past due?", 90),
        ("customers overdue for 2 months", 60),
        ("which customers have overdue invoices?", 0),  # no age said
        ("which shipments are 3 days overdue?", 0),  # a shipment's delay, not an invoice's
    ],
)
def test_how_late_an_invoice_is_asked(question: str, days: int) -> None:
    assert overdue_days(question) == days
    assert owes(question) is (days > 0 or "invoices" in question)


def test_a_scale_word_is_part_of_the_bound() -> None:
    # was: "ARR over 5 million" bounded at $5, "owe more than 5 million" at $5
    arr = threshold("which customers have ARR over 5 million?")
    owed = owed_bound("which customers owe us more than 2.5 thousand?")
    assert arr is not None and arr.value == Decimal(5_000_000)
    assert owed is not None and owed.value == Decimal(2_500)


@pytest.mark.parametrize(
    ("question", "negative"),
    [
        ("which customers owe more than -$500?", True),  # was: the whole overdue list, the bound dropped
        ("gold customers with health score below -3", True),
        ("customers with ARR over minus 5k", True),
        ("which customers owe more than $500?", False),
        ("what if it is below -3 degrees in the warehouse?", False),  # no record value, nothing owed
    ],
)
def test_a_bound_below_zero_is_read_to_be_refused(question: str, negative: bool) -> None:
    assert negative_bound(question) is negative
