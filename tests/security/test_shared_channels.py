"""Issue 16 finding 9, replayed: in a channel shared with another organisation (Slack Connect,
``is_ext_shared``), Rapport never posts playbook text, customer cards or alerts where the other side can see
them. Our staff are answered privately, with the reason; the other side's members are not answered at all;
a button that would post a note in the channel (a hand-off's "picked up") is refused by the notifier itself.
"""

from __future__ import annotations

import json
from typing import Any

from slackdouble import SlackDouble

from .conftest import Server, wait_for

SHARED = "C0SECSHARED"
OUTSIDER = "W0SECOUTSIDE"


def shared_channel(double: SlackDouble) -> None:
    if "T0SECOTHER" not in double.workspace.teams:
        double.add_team("T0SECOTHER", "Other Org")
        double.add_user(OUTSIDER, "eve.other", team_id="T0SECOTHER", email="eve@other.example")
        double.add_channel(SHARED, "ext-other-org")
        double.share_channel(SHARED, "T0SECOTHER", [OUTSIDER], deliver=False)


def visible(double: SlackDouble) -> list[dict[str, Any]]:
    return [
        m for m in double.messages(SHARED, include_ephemeral=True) if m.get("bot_id") and not m.get("ephemeral_for")
    ]


def private_to(double: SlackDouble, user: str) -> list[dict[str, Any]]:
    return [m for m in double.messages(SHARED, include_ephemeral=True) if m.get("ephemeral_for") == user]


def test_staff_are_answered_privately_with_the_reason(server: Server, double: SlackDouble) -> None:
    shared_channel(double)
    question = f"<@{double.bot_user_id}> What is the first response target for a Platinum P1?"
    d = double.send_message("U0SUPLEAD", SHARED, question)
    assert d.ok
    answers = wait_for(lambda: [m for m in private_to(double, "U0SUPLEAD") if "15m" in json.dumps(m)], timeout=60)
    assert answers
    wait_for(lambda: any("shared with people outside" in m["text"] for m in private_to(double, "U0SUPLEAD")))
    assert visible(double) == []  # no "Looking into it…", no answer, no card in the channel


def test_members_of_the_other_organisation_get_nothing(server: Server, double: SlackDouble) -> None:
    shared_channel(double)
    double.send_message(OUTSIDER, SHARED, f"<@{double.bot_user_id}> what discount can I get? <!channel>")
    double.send_message("U0SUPLEAD", SHARED, f"<@{double.bot_user_id}> help")  # a marker: ours is answered...
    wait_for(lambda: private_to(double, "U0SUPLEAD"), timeout=60)
    assert private_to(double, OUTSIDER) == []  # ...theirs, sent first, never
    assert visible(double) == []


def test_ask_about_this_message_answers_only_the_staff_member(server: Server, double: SlackDouble) -> None:
    shared_channel(double)
    d = double.send_message(OUTSIDER, SHARED, "What is the escalation path for a gold customer?")
    double.message_shortcut("U0SUPLEAD", SHARED, d.ts or "", "ask_about_message")
    wait_for(lambda: private_to(double, "U0SUPLEAD") or double.calls_for("response_url"), timeout=60)
    assert visible(double) == []


def test_a_hand_off_note_is_not_posted_in_the_shared_channel(server: Server, double: SlackDouble) -> None:
    shared_channel(double)
    d = double.send_message("U0SUPLEAD", SHARED, f"<@{double.bot_user_id}> How do we handle a service credit?")
    answer = wait_for(
        lambda: [m for m in private_to(double, "U0SUPLEAD") if "ask_get_person" in json.dumps(m.get("blocks"))],
        timeout=60,
    )[-1]
    button = next(
        e
        for b in answer["blocks"]
        if b.get("type") == "actions"
        for e in b["elements"]
        if e.get("action_id") == "ask_get_person"
    )

    def handoffs() -> list[dict[str, Any]]:
        return [
            m
            for ch in double.workspace.channels
            if ch != SHARED
            for m in double.messages(ch)
            if m.get("bot_id") and "handoff_claim" in json.dumps(m.get("blocks") or [])
        ]

    # (the session's server may hold other tests' hand-offs: this one is the one the click posts)
    earlier = {m["ts"] for m in handoffs()}
    double.click_button("U0SUPLEAD", SHARED, answer["ts"], "ask_get_person", value=button["value"])
    # The hand-off goes to the escalation channel; claiming it there would tell the asker's thread "picked up",
    # which here is the shared channel: the notifier refuses that post.
    handoff = wait_for(lambda: [m for m in handoffs() if m["ts"] not in earlier], timeout=60)[-1]
    claim = next(
        e
        for b in handoff["blocks"]
        if b.get("type") == "actions"
        for e in b["elements"]
        if e.get("action_id") == "handoff_claim"
    )
    double.click_button("U0SUPAGT1", handoff["channel"], handoff["ts"], "handoff_claim", value=claim["value"])
    wait_for(lambda: "refused a visible post" in server.log_text(), timeout=30)
    assert visible(double) == [] and d.ok
