"""Slack Connect on the double, as Slack behaves: a channel shared with another organisation, its members'
messages and the events Slack sends (channel_shared, member_joined_channel, reaction_added), what the Web
API shows about it, and the events an app without the right scope never receives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from slackdouble import SlackDouble
from slackdouble.scopes import ALL_SCOPES, event_scope

SECRET = "test-signing-secret"


def envelopes(d: SlackDouble) -> list[dict[str, Any]]:
    """Every event envelope the double attempted to deliver (no bot_url: recorded, not sent)."""
    return [json.loads(x.request_body) for x in d.deliveries if x.content_type == "application/json"]


def events_of(d: SlackDouble, kind: str) -> list[dict[str, Any]]:
    return [e for e in envelopes(d) if e["event"]["type"] == kind]


def connect(d: SlackDouble) -> None:
    d.add_user("U1", "ana.silva", real_name="Ana Silva")
    d.add_team("T0ACME", "Acme Corp", "acme")
    d.add_user("W0PAT", "pat.acme", real_name="Pat Acme", team_id="T0ACME", email="pat@acme.com")
    d.add_channel("C0EXT", "ext-acme")
    d.add_channel("C0INT", "internal")


@pytest.fixture
def double() -> Iterator[SlackDouble]:
    d = SlackDouble(SECRET, scopes=ALL_SCOPES)
    connect(d)
    d.start()
    yield d
    d.stop()


def bot(d: SlackDouble) -> WebClient:
    return WebClient(token="xoxb-test", base_url=d.api_url)


def test_sharing_a_channel_sends_channel_shared_and_shows_the_teams(double: SlackDouble) -> None:
    double.share_channel("C0EXT", "T0ACME", ["W0PAT"])
    (env,) = events_of(double, "channel_shared")
    assert env["event"] == {
        "type": "channel_shared",
        "connected_team_id": "T0ACME",
        "channel": "C0EXT",
        "event_ts": env["event"]["event_ts"],
    }
    assert env["is_ext_shared_channel"] is True
    info = bot(double).conversations_info(channel="C0EXT")["channel"]
    assert info["is_ext_shared"] and info["is_shared"] and info["context_team_id"] == double.team_id
    assert info["shared_team_ids"] == [double.team_id, "T0ACME"] and info["connected_team_ids"] == ["T0ACME"]
    assert not bot(double).conversations_info(channel="C0INT")["channel"]["is_ext_shared"]
    members = bot(double).conversations_members(channel="C0EXT")["members"]
    assert "W0PAT" in members and "U1" in members and double.bot_user_id in members


def test_a_message_from_the_other_organisation_carries_its_team(double: SlackDouble) -> None:
    double.share_channel("C0EXT", "T0ACME", ["W0PAT"])
    double.send_message("W0PAT", "C0EXT", "Hello from Acme")
    double.send_message("U1", "C0EXT", "Hi Pat")
    double.send_message("U1", "C0INT", "internal note")
    theirs, ours, internal = events_of(double, "message")
    assert theirs["is_ext_shared_channel"] and theirs["event"]["user_team"] == "T0ACME"
    assert theirs["event"]["source_team"] == "T0ACME" and theirs["event"]["team"] == "T0ACME"
    assert theirs["event"]["user_profile"]["real_name"] == "Pat Acme"
    assert ours["is_ext_shared_channel"] and "user_team" not in ours["event"]
    assert not internal["is_ext_shared_channel"]


def test_a_file_only_message_and_a_replayed_timestamp(double: SlackDouble) -> None:
    double.share_channel("C0EXT", "T0ACME", ["W0PAT"])
    d = double.send_message("W0PAT", "C0EXT", "", ts="1700000000.000100", files=[{"name": "screenshot.png"}])
    assert d.ts == "1700000000.000100"
    (env,) = events_of(double, "message")
    assert env["event"]["subtype"] == "file_share" and env["event"]["files"] == [{"name": "screenshot.png"}]


def test_joins_and_reactions_send_their_events(double: SlackDouble) -> None:
    double.share_channel("C0EXT", "T0ACME", [])
    double.join_channel("W0PAT", "C0EXT", inviter="U1")
    (joined,) = events_of(double, "member_joined_channel")
    assert joined["event"]["user"] == "W0PAT" and joined["event"]["team"] == "T0ACME"
    assert joined["event"]["channel_type"] == "C" and joined["event"]["inviter"] == "U1"
    msg = double.send_message("W0PAT", "C0EXT", "Question about invoices")
    double.react("U1", "C0EXT", msg.ts or "", ":ticket:")
    assert double.react("U1", "C0EXT", msg.ts or "", "ticket") is None  # already reacted: no second event
    (reacted,) = events_of(double, "reaction_added")
    assert reacted["event"]["reaction"] == "ticket" and reacted["event"]["item_user"] == "W0PAT"
    assert reacted["event"]["item"] == {"type": "message", "channel": "C0EXT", "ts": msg.ts}
    assert reacted["is_ext_shared_channel"] is True
    (stored,) = [m for m in double.messages("C0EXT") if m["ts"] == msg.ts]
    assert stored["reactions"] == [{"name": "ticket", "users": ["U1"], "count": 1}]


def test_members_of_another_organisation_see_only_the_shared_channel(double: SlackDouble) -> None:
    double.share_channel("C0EXT", "T0ACME", ["W0PAT"])
    seen = {c["id"] for c in double.ui_state("W0PAT")["channels"]}
    assert "C0EXT" in seen and "C0INT" not in seen
    assert {c["id"] for c in double.ui_state("U1")["channels"]} >= {"C0EXT", "C0INT"}
    listed = {u["id"] for u in bot(double).users_list()["members"]}
    assert "W0PAT" not in listed and "U1" in listed  # users.list is our own workspace


def test_events_and_emails_need_their_scopes() -> None:
    d = SlackDouble(SECRET, scopes={"chat:write", "channels:history", "users:read"})
    connect(d)
    d.start()
    try:
        d.share_channel("C0EXT", "T0ACME", ["W0PAT"])  # channel_shared needs channels:read
        msg = d.send_message("W0PAT", "C0EXT", "hello")
        d.react("U1", "C0EXT", msg.ts or "", "ticket")  # reaction_added needs reactions:read
        assert d.withheld_events == [("channel_shared", "channels:read"), ("reaction_added", "reactions:read")]
        assert [e["event"]["type"] for e in envelopes(d)] == ["message"]
        profile = bot(d).users_info(user="W0PAT")["user"]["profile"]
        assert "email" not in profile  # users:read.email not granted
        assert profile["team"] == "T0ACME"
    finally:
        d.stop()
    assert event_scope("member_joined_channel", "private_channel") == "groups:read"
    assert event_scope("app_mention") is None
