"""Reading a ranking of the book from a question (bot/ask/ranking.py)."""

from __future__ import annotations

import pytest

from bot.ask.ranking import MAX_RANKED, ranking, ranks_the_book, turned


@pytest.mark.parametrize(
    ("question", "field", "lowest", "top"),
    [
        ("top 5 customers by ARR", "arr", False, 5),
        ("who are my biggest accounts?", "arr", False, 0),
        ("who is our biggest customer?", "arr", False, 1),  # one customer asked for: one line
        ("what are our 3 largest gold accounts?", "arr", False, 3),
        ("the worst health scores among gold accounts", "health_score", True, 0),
        ("healthiest customers in emea", "health_score", False, 0),
        ("rank my accounts by lifetime value", "lifetime_value", False, 0),
        ("bottom ten accounts by LTV", "lifetime_value", True, 10),
        ("top 500 customers by revenue", "arr", False, MAX_RANKED),  # capped
        # the value named nearest the ranking's word, not the first one named
        ("of the customers with a health score under 50, which have the highest ARR?", "arr", False, 0),
        # a list asked with a value: ranked by it, each line saying it (was: the list's help)
        ("which platinum customers renew next quarter and what's their ARR?", "arr", False, 0),
        ("list my accounts with their health scores", "health_score", False, 0),
    ],
)
def test_what_a_ranking_is_by(question: str, field: str, lowest: bool, top: int) -> None:
    r = ranking(question)
    assert r is not None and (r.field, r.lowest, r.top) == (field, lowest, top)


@pytest.mark.parametrize(
    "question",
    [
        "which customers have the most open tickets?",  # the tickets' own order, no value of the record
        "what is the best way to handle a refund?",
        "which accounts are most at risk?",
        "when does Acme renew?",
        "when does Acme renew and what's their ARR?",  # one customer's value, no list
    ],
)
def test_no_ranking_asked(question: str) -> None:
    assert ranking(question) is None


def test_the_ranking_words_are_taken_out_of_the_rest() -> None:
    r = ranking("which customers with the highest ARR have poor health?")
    assert r is not None and "ARR" not in r.rest and "highest" not in r.rest and "health" in r.rest


def test_a_ranking_is_about_many_customers() -> None:
    assert ranks_the_book("who is our biggest customer?")
    assert ranks_the_book("top 5 customers by ARR")
    assert not ranks_the_book("what is Acme's ARR?")  # one customer's value, no ranking
    assert not ranks_the_book("what is the highest discount I can give?")  # no value of the record, no customers
    assert not ranks_the_book("how do we treat our biggest customers?")  # a how-to: the playbooks answer


def test_a_size_said_of_something_customers_get_ranks_nothing() -> None:
    # was: the bronze customers by ARR; the biggest discount is the discount route's to say
    assert not ranks_the_book("what's the biggest discount a bronze customer can get?")
    assert not ranks_the_book("what is the largest credit we gave a customer?")
    for question in ("our 5 biggest gold accounts", "which customer is the biggest?", "biggest customers in emea"):
        found = ranking(question)
        assert found is not None and found.field == "arr" and not found.lowest, question


@pytest.mark.parametrize(
    ("question", "lowest"),
    [("and the highest?", False), ("lowest first?", True), ("what about the worst ones?", True)],
)
def test_a_follow_up_that_only_turns_the_ranking(question: str, lowest: bool) -> None:
    assert turned(question) is lowest


@pytest.mark.parametrize("question", ["the best way to reach them?", "and the second one?", "highest ARR?"])
def test_a_follow_up_that_says_more_than_which_way(question: str) -> None:
    assert turned(question) is None
