"""Reading a question about the book: which list, which window, whose accounts (bot/ask/book.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.ask.book import (
    ACCOUNTS,
    AT_RISK,
    BREACHED,
    LATE_SHIPMENTS,
    RENEWALS,
    TICKETS,
    UNOWNED,
    followed,
    ordinal,
    point_at,
    read_book,
    refines,
    renewal_window,
    unfiltered,
)

TODAY = dt.date(2026, 12, 6)  # a Sunday in Q4
STAFF = {"priya raman": "U0AMPLAT", "priya": "U0AMPLAT", "marcus": "U0AMGOLD"}


@pytest.mark.parametrize(
    ("question", "start", "end", "said"),
    [
        ("who renews next month?", dt.date(2027, 1, 1), dt.date(2027, 1, 31), "in January 2027"),
        ("who renews before March?", TODAY, dt.date(2027, 2, 28), "before March 2027"),
        ("renewals by April", TODAY, dt.date(2027, 4, 30), "by the end of April 2027"),
        ("who renews in December?", TODAY, dt.date(2026, 12, 31), "in December 2026"),  # this month: from today
        ("who's renewing in Q1?", dt.date(2027, 1, 1), dt.date(2027, 3, 31), "in Q1 2027"),
        ("renewals in the next two weeks", TODAY, dt.date(2026, 12, 20), "in the next 2 weeks"),
        ("renewals within 30 days", TODAY, dt.date(2027, 1, 5), "in the next 30 days"),
        # was: years and quarters, and counts over three digits, not read: the 90-day default, not said
        ("who renews in the next 2 years?", TODAY, dt.date(2028, 12, 5), "in the next 2 years"),
        ("renewals in the next 2 quarters", TODAY, dt.date(2027, 6, 6), "in the next 2 quarters"),
        (
            "which of my accounts renew in the next 9999 days?",
            TODAY,
            dt.date(2036, 12, 3),
            "in the next 10 years (the longest window I read; you asked for the next 9999 days)",
        ),
        ("who renews next quarter?", dt.date(2027, 1, 1), dt.date(2027, 3, 31), "next quarter, Q1 2027"),
        ("upcoming renewals", TODAY, dt.date(2027, 3, 6), "in the next 90 days"),
        ("which customers renew tomorrow?", dt.date(2026, 12, 7), dt.date(2026, 12, 7), "tomorrow"),
        ("customers renewing in 2027", dt.date(2027, 1, 1), dt.date(2027, 12, 31), "in 2027"),
        # the end of a period, from today (was: the next 90 days)
        ("which of my customers renew before the end of the year?", TODAY, dt.date(2026, 12, 31), "by the end of 2026"),
        ("who renews by the end of next quarter?", TODAY, dt.date(2027, 3, 31), "by the end of Q1 2027"),
        ("which customers renew by year end?", TODAY, dt.date(2026, 12, 31), "by the end of 2026"),
        ("renewals before the end of the month", TODAY, dt.date(2026, 12, 31), "by the end of December 2026"),
    ],
)
def test_the_renewal_window_a_question_names(question: str, start: dt.date, end: dt.date, said: str) -> None:
    assert renewal_window(question, TODAY) == (start, end, said)


@pytest.mark.parametrize(
    ("question", "about", "owner"),
    [
        ("which customers renew next month?", RENEWALS, None),
        ("list my accounts", ACCOUNTS, "U0ASKER"),
        ("What are Marcus's accounts?", ACCOUNTS, "U0AMGOLD"),
        ("which of Priya Raman's customers have open tickets?", TICKETS, "U0AMPLAT"),
        ("customers with no account manager?", ACCOUNTS, UNOWNED),
        ("which accounts have nobody assigned?", ACCOUNTS, UNOWNED),
        ("Which shipments are late?", LATE_SHIPMENTS, None),
        ("Is anyone breaching right now?", BREACHED, None),
        ("list tickets that missed their SLA", BREACHED, None),
        ("what is the total number of open tickets?", TICKETS, None),  # a count said as one, not a sum
        ("which tickets are close to breaching?", AT_RISK, None),
        ("which of <@U0AMAPAC>'s customers renew next month?", RENEWALS, "U0AMAPAC"),  # a colleague mentioned
        ("what's breaching right now for platinum?", BREACHED, None),
    ],
)
def test_what_a_list_of_the_book_is_of(question: str, about: str, owner: str | None) -> None:
    q = read_book(question, "U0ASKER", TODAY, (), (), None, STAFF)
    assert q is not None and (q.about, q.owner) == (about, owner)


@pytest.mark.parametrize(
    "question",
    [
        "which customers have the highest churn risk?",  # no value of the record ranks risk
        "which customers with the highest ARR have poor health?",  # ranked by ARR, but health is no filter
        "which tickets have the highest ARR?",  # tickets are ordered by their clock, not by a customer's value
        "How many tickets did we close last week?",
        "accounts per owner",
        "which customers renewed last month?",  # past work: the CRM's renewals, not the upcoming ones
        "which customers churned last month?",
        "which customers cancelled?",
        "what's the total ARR that churned last quarter?",  # past work (was: the total ARR of platinum, now listed)
    ],
)
def test_what_no_list_of_the_book_says(question: str) -> None:
    assert read_book(question, "U0ASKER", TODAY, (), (), None, STAFF) is None


@pytest.mark.parametrize(
    "question",
    [
        "which customers have invoices overdue by more than 60 days?",  # was: the help for lists
        "which customers have invoices 60+ days overdue?",
        "which invoices are more than 60 days overdue?",
        "which customers are 60 days overdue?",
    ],
)
def test_invoices_late_by_a_span_are_the_overdue_list(question: str) -> None:
    q = read_book(question, "U0ASKER", TODAY, (), (), None, STAFF)
    assert q is not None and (q.about, q.overdue, q.late_days) == (ACCOUNTS, True, 60)


def test_a_total_is_the_list_it_adds_up_ranked_by_its_value() -> None:
    q = read_book("what's the total ARR of our platinum customers?", "U0ASKER", TODAY, ("platinum",), (), None, STAFF)
    assert q is not None and (q.tiers, q.rank, q.total, q.top) == (("platinum",), "arr", True, 0)


def test_a_follow_up_changes_what_it_names_and_keeps_the_rest() -> None:
    first = read_book("which gold customers renew next month?", "U0ASKER", TODAY, ("gold",), (), None)
    later = read_book("and in March?", "U0ASKER", TODAY, (), (), None)
    assert first is not None and later is not None
    both = followed(first, later, "and in March?", TODAY)
    assert (both.about, both.tiers, both.start, both.end) == (
        RENEWALS,
        ("gold",),
        dt.date(2027, 3, 1),
        dt.date(2027, 3, 31),
    )


def test_which_of_them_have_tickets_keeps_the_renewals() -> None:
    # was: every customer with open tickets, the renewal window dropped
    first = read_book("which gold customers renew next quarter?", "U0ASKER", TODAY, ("gold",), (), None)
    later = read_book("which of them have open tickets?", "U0ASKER", TODAY, (), (), None)
    assert first is not None and later is not None
    both = followed(first, later, "which of them have open tickets?", TODAY)
    assert (both.about, both.with_open, both.start, both.end) == (
        RENEWALS,
        True,
        dt.date(2027, 1, 1),
        dt.date(2027, 3, 31),
    )
    # a follow-up that asks about the book's tickets, not the list's, is that list
    other = followed(first, later, "and open tickets?", TODAY)
    assert other.about == TICKETS


@pytest.mark.parametrize(
    ("question", "line"),
    [
        ("when does the second one renew?", 2),
        ("tell me about the first customer", 1),
        ("who owns the top account?", 1),
        ("and the 3rd one?", 3),
        ("what's the ARR of the last one?", -1),
        ("number 4 on the list", 4),
        ("when was the last renewal?", None),  # a renewal of theirs, not a line of a list
        ("what was the first ticket about?", None),
        ("which customers renew first?", None),
    ],
)
def test_a_line_of_the_list_pointed_at(question: str, line: int | None) -> None:
    assert ordinal(question) == line


def test_the_line_pointed_at_is_named_in_the_question() -> None:
    assert point_at("when does the second one renew?", "Acme Inc") == "when does Acme Inc renew?"
    # a follow-up about one line changes no list: it is not read as a list of renewals again
    assert not refines("when does the second one renew?", (), (), None)


@pytest.mark.parametrize(
    ("question", "consent", "held"),
    [
        ("which customers haven't consented to marketing?", ("consent_marketing", False), False),
        ("list customers who have given marketing consent", ("consent_marketing", True), False),
        ("which gold accounts opted out of outreach?", ("consent_outreach", False), False),
        ("customers without data processing consent", ("consent_data_processing", False), False),
        ("which customers have a legal hold?", None, True),
        ("which of my accounts are on legal hold and renew next month?", None, True),
        ("which customers renew next month?", None, False),
    ],
)
def test_a_list_by_consent_or_legal_hold_keeps_its_filter(
    question: str, consent: tuple[str, bool] | None, held: bool
) -> None:
    # was: the filter dropped, so the list was every customer
    q = read_book(question, "U0ASKER", TODAY, (), (), None, STAFF)
    assert q is not None and (q.consent, q.held) == (consent, held)


def test_a_consent_named_by_no_field_is_not_listed() -> None:
    assert read_book("which customers gave consent?", "U0ASKER", TODAY, (), (), None, STAFF) is None


@pytest.mark.parametrize(
    ("question", "segment"),
    [
        ("which customers are in the enterprise segment?", "enterprise"),
        ("list accounts in the Mid-Market segment", "mid-market"),
        ("gold customers where segment is smb", "smb"),
        ("which customers renew next month?", ""),
        ("what segment is the customer in?", ""),  # "the" is no segment
    ],
)
def test_a_segment_named_as_one_filters_the_list(question: str, segment: str) -> None:
    q = read_book(question, "U0ASKER", TODAY, (), (), None, STAFF)
    assert q is not None and q.segment == segment


@pytest.mark.parametrize(
    ("question", "every"),
    [
        ("how many customers do we have?", False),
        ("list all our accounts", False),
        ("which customers have the new product?", True),  # was: every customer
        ("which customers are in the Tokyo time zone?", True),
        ("list customers with a primary contact named John", True),
        ("which gold customers use the API?", False),  # filtered: the tier is what the list says
    ],
)
def test_a_filter_the_list_does_not_have_is_never_every_customer(question: str, every: bool) -> None:
    q = read_book(question, "U0ASKER", TODAY, ("gold",) if "gold" in question else (), (), None, STAFF)
    assert q is not None and unfiltered(question, q) is every


@pytest.mark.parametrize(
    ("question", "about", "rank", "lowest", "top", "owner"),
    [
        ("which customers have the highest ARR?", ACCOUNTS, "arr", False, 0, None),  # was: not listed
        ("top 5 customers by ARR", ACCOUNTS, "arr", False, 5, None),
        ("which of my accounts has the lowest health score?", ACCOUNTS, "health_score", True, 0, "U0ASKER"),
        ("who is our biggest customer?", ACCOUNTS, "arr", False, 1, None),
        ("rank my accounts by lifetime value", ACCOUNTS, "lifetime_value", False, 0, "U0ASKER"),
        ("show me the top 10 platinum accounts", ACCOUNTS, "arr", False, 10, None),  # "top": by ARR
        ("which customers renewing next month have the highest ARR?", RENEWALS, "arr", False, 0, None),
        ("the three smallest accounts", ACCOUNTS, "arr", True, 3, None),
    ],
)
def test_a_ranking_of_the_book(question: str, about: str, rank: str, lowest: bool, top: int, owner: str | None) -> None:
    q = read_book(question, "U0ASKER", TODAY, ("platinum",) if "platinum" in question else (), (), None, STAFF)
    assert q is not None and (q.about, q.rank, q.lowest, q.top, q.owner) == (about, rank, lowest, top, owner)
    assert not unfiltered(question, q)  # the ranking's words are no filter the list lacks


@pytest.mark.parametrize(
    ("question", "negated"),
    [
        # was: each answered with the very list it excludes
        ("which gold customers are not in emea?", True),
        ("which customers don't renew next month?", True),
        ("which customers are not at risk?", True),
        ("which customers have no overdue invoices?", True),
        ("which customers aren't late paying?", True),
        ("which customers have never had a P1?", True),
        ("which shipments are not late?", True),
        ("which tickets are not breaching?", True),
        # the negatives a list reads
        ("who hasn't paid their invoices?", False),
        ("which accounts have no owner?", False),
        ("which customers haven't consented to marketing?", False),
        ("which of my customers haven't been contacted in 60 days?", False),
        ("which customers have no open tickets?", False),
        ("customers with ARR no more than 50k", False),
        ("which customers renew next month?", False),
    ],
)
def test_a_filter_turned_round_is_never_the_list_it_excludes(question: str, negated: bool) -> None:
    q = read_book(
        question, "U0ASKER", TODAY, ("gold",) if "gold" in question else (), (), "P1" if "P1" in question else None
    )
    assert q is not None and q.negated is negated, q


def test_the_oldest_open_tickets_stay_the_oldest_when_a_follow_up_narrows_them() -> None:
    first = read_book("what's the oldest open ticket?", "U0ASKER", TODAY, (), (), None)
    assert first is not None and (first.about, first.oldest) == (TICKETS, True)
    p1 = read_book("only the P1s?", "U0ASKER", TODAY, (), (), "P1")
    assert p1 is not None and not p1.oldest
    narrowed = followed(first, p1, "only the P1s?", TODAY)
    assert (narrowed.about, narrowed.oldest, narrowed.priority) == (TICKETS, True, "P1")
    counted = read_book("how many open tickets do we have?", "U0ASKER", TODAY, (), (), None)
    assert counted is not None and not counted.oldest  # counted per customer, most tickets first


def test_renewals_without_tickets_are_not_those_with_open_tickets() -> None:
    # was: "with open tickets" and "no open ticket" both, so no customer ever
    q = read_book("which of my customers renew this month and have no open tickets?", "U0ASKER", TODAY, (), (), None)
    assert q is not None and q.about == RENEWALS and not q.with_open
    assert q.no_tickets is not None and q.no_tickets.open_now
    both = read_book("which customers renew next month and have open tickets?", "U0ASKER", TODAY, (), (), None)
    assert both is not None and both.with_open and both.no_tickets is None


def test_a_follow_up_turns_or_keeps_the_ranking() -> None:
    first = read_book("which of my accounts has the lowest health score?", "U0ASKER", TODAY, (), (), None)
    assert first is not None and first.rank == "health_score" and first.lowest
    turned = read_book("and the highest?", "U0ASKER", TODAY, (), (), None)
    assert turned is not None and refines("and the highest?", (), (), None)
    both = followed(first, turned, "and the highest?", TODAY)
    assert (both.rank, both.lowest, both.owner) == ("health_score", False, "U0ASKER")
    gold = read_book("only the gold ones?", "U0ASKER", TODAY, ("gold",), (), None)
    assert gold is not None
    narrowed = followed(first, gold, "only the gold ones?", TODAY)
    assert (narrowed.rank, narrowed.lowest, narrowed.tiers) == ("health_score", True, ("gold",))


@pytest.mark.parametrize(
    ("question", "reachable", "consent"),
    [
        ("which of my customers are in quiet hours right now?", False, None),
        ("which accounts can I call right now?", True, ("consent_outreach", True)),  # calling: consent counts
        ("which of my gold customers are within contact hours?", True, None),  # "contact hours" calls no one
        ("which customers are asleep right now?", False, None),
        ("which customers renew next month?", None, None),
    ],
)
def test_the_book_by_contact_hours(question: str, reachable: bool | None, consent: tuple[str, bool] | None) -> None:
    # was: the filter dropped, every account listed as if in quiet hours
    q = read_book(question, "U0ASKER", TODAY, ("gold",) if "gold" in question else (), (), None, STAFF)
    assert q is not None and (q.reachable, q.consent) == (reachable, consent)
    assert not unfiltered(question, q)


@pytest.mark.parametrize(
    ("question", "whole"),
    [
        ("which of my customers use the API?", True),  # was: all 500 of the owner's accounts
        ("which of Marcus's accounts have the new dashboard?", True),
        ("list my accounts", False),
        ("what are Marcus's accounts?", False),
        ("which accounts does Marcus own?", False),
        ("which accounts have no owner?", False),
    ],
)
def test_one_owners_accounts_with_a_filter_the_list_lacks_are_not_all_of_them(question: str, whole: bool) -> None:
    q = read_book(question, "U0ASKER", TODAY, (), (), None, STAFF)
    assert q is not None and q.owner is not None and unfiltered(question, q, STAFF) is whole


@pytest.mark.parametrize(
    ("question", "group"),
    [
        ("how many customers do we have per tier?", "tier"),
        ("how many of my accounts are in each region?", "region"),
        ("break down our customers by segment", "segment"),
        ("how many gold customers renew next quarter by region?", "region"),
        ("how many customers do we have?", ""),
        ("top 5 customers by ARR", ""),  # a ranking, not a breakdown
        # per owner (was: the help for lists, which sent the asker to /rapport workload)
        ("who has the most accounts?", "owner"),
        ("how many accounts does each owner have?", "owner"),
        ("break down our gold customers by account manager", "owner"),
        ("which owner has the fewest customers?", "owner"),
        ("open tickets by tier", "tier"),  # the tickets counted by their customers' tier
        ("which owner has the most open tickets?", "owner"),
    ],
)
def test_a_count_broken_down_by_a_field(question: str, group: str) -> None:
    q = read_book(question, "U0AMGOLD", TODAY, [], [], None, STAFF)
    assert q is not None and q.group == group
    assert q.lowest is ("fewest" in question)  # the counts' order: most first unless the fewest are asked
    assert not unfiltered(question, q, STAFF)  # the breakdown is no filter the list lacks
