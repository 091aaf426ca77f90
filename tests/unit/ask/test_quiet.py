"""Who has gone quiet (or opened no ticket), asked of many customers: the span a question names."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.ask.quiet import (
    QUIET_DAYS,
    NoTickets,
    asks_the_book,
    by_the_asker,
    no_tickets,
    quiet_days,
    without_no_tickets,
    without_quiet,
)


@pytest.mark.parametrize(
    ("question", "days"),
    [
        ("which of my customers haven't been contacted in 60 days?", 60),
        ("which gold customers have we not heard from in the last month?", 30),
        ("customers with no contact for two weeks", 14),
        ("which of my accounts have gone quiet?", QUIET_DAYS),
        ("accounts we haven't spoken to since last quarter", 91),
        ("which customers are in quiet hours?", None),  # contact hours, not contact
        ("when did we last contact Acme?", None),
    ],
)
def test_the_span_of_no_contact_is_read(question: str, days: int | None) -> None:
    assert quiet_days(question) == days


def test_only_many_customers_make_it_the_books_question() -> None:
    assert asks_the_book("which of my accounts have gone quiet?")
    assert not asks_the_book("has Acme gone quiet?")  # one customer's record
    # the span is the list's filter, not words the list cannot say ("last month" otherwise reads as past figures)
    assert "month" not in without_quiet("which customers have we not heard from in the last month?")


@pytest.mark.parametrize(
    ("question", "book", "mine"),
    [
        ("who haven't I talked to in 2 months?", True, True),  # was: declined ("who", not "customers")
        ("who haven't i talked to lately?", True, True),  # typed in lower case
        ("which accounts have I not called this month?", True, True),  # "called" (was: not a quiet question)
        ("customers I haven't contacted in 60 days", True, True),
        ("which customers haven't we contacted?", True, False),  # "we": the whole book
        ("who has gone quiet?", True, False),
        ("has Acme gone quiet?", False, False),
    ],
)
def test_who_and_i_read_as_the_book_and_the_askers_own(question: str, book: bool, mine: bool) -> None:
    assert asks_the_book(question) is book
    assert by_the_asker(question) is mine


TODAY = dt.date(2026, 12, 7)


@pytest.mark.parametrize(
    ("question", "want"),
    [
        # was: each read as the customers WITH open tickets, the negation unread
        ("which of my customers haven't opened a ticket in 6 months?", NoTickets(False, dt.date(2026, 6, 10))),
        ("which platinum customers have no open tickets?", NoTickets(True, None)),
        ("customers without any tickets this year", NoTickets(False, dt.date(2026, 1, 1))),
        ("which accounts have never raised a case?", NoTickets(False, None)),
        ("which customers have open tickets?", None),
        ("how many open tickets do we have?", None),
    ],
)
def test_customers_without_tickets_are_read_with_their_span(question: str, want: NoTickets | None) -> None:
    assert no_tickets(question, TODAY) == want
    if want is not None:
        assert asks_the_book(question)
        assert "ticket" not in without_no_tickets(question) and "case" not in without_no_tickets(question)
