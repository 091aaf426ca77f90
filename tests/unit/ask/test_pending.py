"""The window a question about past approval decisions names (bot.ask.pending.past_window)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.ask.intents import PatternModel
from bot.ask.pending import past_window

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
    ],
)
def test_the_window_a_question_names(question: str, since: dt.datetime, until: dt.datetime | None, said: str) -> None:
    assert past_window(question, NOW) == (since, until, said)


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("which requests did I approve this week?", "approvals_decided"),
        ("have I rejected anything?", "approvals_decided"),
        ("were my requests approved?", "approvals_decided"),
        ("has my discount request been approved?", "approvals_decided"),
        ("show my decisions", "approvals_decided"),
        ("what do I need to approve?", "approvals_pending"),
        ("what approvals are pending?", "approvals_pending"),
        ("who approves a 20% discount?", "approval_discount"),
    ],
)
def test_what_was_decided_is_told_from_what_waits(question: str, intent: str) -> None:
    assert [i.name for i in PatternModel().read(question).intents] == [intent]
