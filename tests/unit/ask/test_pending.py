"""Questions about approvals: what was decided is told from what waits (bot.ask.pending)."""

from __future__ import annotations

import pytest

from bot.ask.intents import PatternModel


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
        # a request made for a customer (was: the route of a new one)
        ("who still needs to approve the Acme request?", "customer_requests"),
        ("has the Acme credit been approved?", "customer_requests"),
        ("what's the status of the Acme discount request?", "customer_requests"),
    ],
)
def test_what_was_decided_is_told_from_what_waits(question: str, intent: str) -> None:
    assert [i.name for i in PatternModel().read(question).intents] == [intent]
