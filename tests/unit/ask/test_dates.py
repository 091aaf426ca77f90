"""The past window a question names (bot.ask.dates.past_window): approvals decided, renewals decided."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.ask.dates import EMPTY_SPAN, past_window

NOW = dt.datetime(2026, 12, 3, 15, 30, tzinfo=dt.UTC)  # a Thursday


@pytest.mark.parametrize(
    ("question", "since", "until", "said"),
    [
        ("what did I approve today?", dt.datetime(2026, 12, 3, tzinfo=dt.UTC), None, "today"),
        (
            "what did I approve yesterday?",
            dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 3, tzinfo=dt.UTC),
            "yesterday (2 Dec 2026)",
        ),
        (
            "which requests did I approve this week?",
            dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
            None,
            "this week (since 30 Nov 2026)",
        ),
        (
            "what did I reject last week?",
            dt.datetime(2026, 11, 23, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
            "last week (23 Nov 2026 to 29 Nov 2026)",
        ),
        ("my decisions this month", dt.datetime(2026, 12, 1, tzinfo=dt.UTC), None, "this month (December 2026)"),
        (
            "what did I sign off last month?",
            dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
            "last month (November 2026)",
        ),
        ("what have I approved in the past 2 weeks?", NOW - dt.timedelta(days=14), None, "in the last 2 weeks"),
        ("what have I approved recently?", NOW - dt.timedelta(days=30), None, "in the last 30 days"),
        ("what did I decide in the past week?", NOW - dt.timedelta(days=7), None, "in the last 7 days"),
        # was: quarters and years not read, the 30-day default used and not said
        ("how many churned in the last 2 years?", NOW - dt.timedelta(days=730), None, "in the last 2 years"),
        ("NPS over the past 3 quarters", NOW - dt.timedelta(days=273), None, "in the last 3 quarters"),
        (
            # was: a count over three digits not read, the 30-day default used and not said
            "how many alerts did we send in the last 99999 days?",
            NOW - dt.timedelta(days=3650),
            None,
            "in the last 10 years (the longest window I read; you asked for the last 99999 days)",
        ),
        (
            "what's our renewal rate this quarter?",
            dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
            None,
            "this quarter (Q4 2026)",
        ),
        (
            "churn rate last quarter",
            dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
            dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
            "last quarter (Q3 2026)",
        ),
        ("NRR this year", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), None, "this year (2026)"),
        (
            "how many churned last year?",
            dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            "last year (2025)",
        ),
        ("renewals in the last 6 months", NOW - dt.timedelta(days=180), None, "in the last 6 months"),
        ("churn in the past year", NOW - dt.timedelta(days=365), None, "in the last 365 days"),
    ],
)
def test_the_window_a_question_names(question: str, since: dt.datetime, until: dt.datetime | None, said: str) -> None:
    assert past_window(question, NOW, 30) == (since, until, said)


def test_last_quarter_in_the_first_quarter_is_last_years_fourth() -> None:
    january = dt.datetime(2027, 1, 20, 9, 0, tzinfo=dt.UTC)
    assert past_window("last quarter", january, 30) == (
        dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        "last quarter (Q4 2026)",
    )


@pytest.mark.parametrize(
    ("question", "empty"),
    [
        ("which customers have we not contacted in the last 0 days?", True),  # was: every customer
        ("what tickets did Acme raise in the last 0 days?", True),  # was: "opened no tickets in the last 0 days"
        ("which customers renew in the next 0 weeks?", True),
        ("who renews within 00 months?", True),
        ("which customers have we not contacted in the last 10 days?", False),
        ("what happened in the last 30 days?", False),
        ("Acme has 0 open tickets, what next?", False),
    ],
)
def test_a_window_of_no_length_is_told_apart(question: str, empty: bool) -> None:
    assert bool(EMPTY_SPAN.search(question)) is empty
