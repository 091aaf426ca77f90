"""Requests to act that Ask does not carry out are told apart from questions (bot.ask.actions)."""

from __future__ import annotations

import pytest

from bot.ask.actions import action_reply


@pytest.mark.parametrize(
    ("request_", "opens"),
    [
        ("remind me to call Acme tomorrow", "I don't set reminders"),  # was: whether Acme may be called tomorrow
        ("add a note to Acme: called about renewal", "I don't write to the customer record"),  # was: the renewal date
        ("note that Acme called", "I don't write to the customer record"),
        ("update the renewal date for Acme", "I don't write to the customer record"),
        ("can you reassign Acme to someone else?", "I don't change owners"),  # was: declined
        ("transfer Acme to <@U0AMPLAT>", "I don't change owners"),
        ("draft an email to Acme about their renewal", "I don't write or send messages"),  # was: the renewal date
        ("send Acme the renewal quote", "I don't write or send messages"),
        ("Rapport, please snooze the alert for Acme", "I don't act on alerts"),
        ("please open a ticket for Acme", "I don't open tickets"),
        ("log a P1 for Acme", "I don't open tickets"),
        ("could you schedule a QBR with Acme?", "I don't book meetings"),
    ],
)
def test_a_request_to_act_is_said_where_it_is_done(request_: str, opens: str) -> None:
    assert action_reply(request_).startswith(opens)


@pytest.mark.parametrize(
    "question",
    [
        "how do I add a note?",
        "can I send Acme our newsletter?",
        "can I email Acme today?",
        "can you tell me when Acme renews?",
        "who can change the owner of Acme?",
        "what should I say in an email to Acme about the outage?",
        "how do I log a P1 for Acme?",
        "can you move Acme to gold?",  # a tier move: its route, not an owner change
        "move the QBR to next week",
        "open tickets by tier",  # the tickets that are open (was: "I don't open tickets")
        "open P1s for platinum customers",
        "Acme",
    ],
)
def test_a_question_is_not_a_request_to_act(question: str) -> None:
    assert action_reply(question) == ""
