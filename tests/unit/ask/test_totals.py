"""Reading a total of the book's values from a question (bot.ask.totals)."""

from __future__ import annotations

import pytest

from bot.ask.totals import total_asked


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("what's the total ARR of our gold customers?", "arr"),
        ("how much ARR renews next quarter?", "arr"),
        ("sum of annual recurring revenue for my accounts", "arr"),
        ("combined lifetime value of platinum customers in emea", "lifetime_value"),
        ("what's the average health score of my accounts?", "health_score"),
        ("what does our ARR add up to?", "arr"),
        ("what are my renewals this month worth?", "arr"),
    ],
)
def test_a_total_names_the_value_it_adds(question: str, field: str) -> None:
    found = total_asked(question)
    assert found is not None and found.field == field


def test_the_rest_keeps_what_else_is_asked() -> None:
    found = total_asked("what's the total ARR of our gold customers?")
    assert found is not None and "gold customers" in found.rest and "ARR" not in found.rest


@pytest.mark.parametrize(
    "question",
    [
        "how do we calculate total ARR?",  # how to, not a figure
        "who is our biggest customer?",  # a ranking names no value to add
        "how much notice do we give before a price rise?",
        "what's the total number of gold customers?",  # a count, which the list's head says
        "what is it worth to escalate?",  # worth, but of no customers
    ],
)
def test_no_total_is_read_where_none_is_asked(question: str) -> None:
    assert total_asked(question) is None
