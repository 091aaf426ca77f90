"""Shapes of what the double sends to the bot (pure builders, no I/O)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from slackdouble import payloads as P

APP = P.AppIdentity()


def test_event_envelope_shape() -> None:
    event = P.message_event(
        user="U1", channel="C1", channel_type="channel", text="hi", ts="1.000001", team_id=APP.team_id
    )
    env = P.event_envelope(event, APP, event_id="Ev123", event_time=1700000000)
    assert env["type"] == "event_callback"
    assert env["event_id"] == "Ev123"
    assert env["event_time"] == 1700000000
    assert env["team_id"] == APP.team_id and env["api_app_id"] == APP.api_app_id
    assert env["token"] == APP.verification_token
    assert env["authorizations"] == [
        {
            "enterprise_id": None,
            "team_id": APP.team_id,
            "user_id": APP.bot_user_id,
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ]
    assert env["event"] is event
    assert event["type"] == "message" and event["channel_type"] == "channel"
    assert event["event_ts"] == event["ts"] == "1.000001"
    assert event["blocks"][0]["type"] == "rich_text"
    assert "thread_ts" not in event


def test_event_ids_are_unique_by_default() -> None:
    ids = {P.event_envelope({"type": "message"}, APP)["event_id"] for _ in range(50)}
    assert len(ids) == 50 and all(i.startswith("Ev") for i in ids)


def test_thread_reply_and_mention_events() -> None:
    reply = P.message_event(
        user="U1",
        channel="C1",
        channel_type="channel",
        text="more",
        ts="2.0",
        team_id="T",
        thread_ts="1.0",
        parent_user_id="U0RAPPORTBOT",
    )
    assert reply["thread_ts"] == "1.0" and reply["parent_user_id"] == "U0RAPPORTBOT"
    mention = P.app_mention_event(user="U1", channel="C1", text="<@U0RAPPORTBOT> hi", ts="3.0", team_id="T")
    assert mention["type"] == "app_mention" and mention["text"].startswith("<@U0RAPPORTBOT>")
    assert "channel_type" not in mention


def test_slash_command_form_matches_slacks_field_order() -> None:
    fields = P.slash_command_form(
        app=APP,
        user_id="U1",
        user_name="ana",
        channel_id="C1",
        channel_name="support",
        command="/rapport",
        text="ask what is the SLA?",
        response_url="http://127.0.0.1:1/response_url/abc",
        trigger_id="1.2.3",
    )
    names = [k for k, _ in fields]
    assert names[:9] == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
    ]
    assert {"response_url", "trigger_id", "api_app_id"} <= set(names)
    decoded = dict(urllib.parse.parse_qsl(P.form_body(fields), keep_blank_values=True))
    assert decoded["command"] == "/rapport" and decoded["text"] == "ask what is the SLA?"


def test_block_actions_payload_from_a_message() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": "b1", "text": {"type": "mrkdwn", "text": "x"}},
        {
            "type": "actions",
            "block_id": "b2",
            "elements": [
                {
                    "type": "button",
                    "action_id": "escalate",
                    "text": {"type": "plain_text", "text": "Escalate"},
                    "value": "42",
                }
            ],
        },
    ]
    block_id, element = P.find_element(blocks, "escalate")
    assert block_id == "b2" and element is not None
    action = P.action_obj(action_id="escalate", block_id=block_id, value=None, element=element, action_ts="1.5")
    assert action == {
        "action_id": "escalate",
        "block_id": "b2",
        "type": "button",
        "action_ts": "1.5",
        "text": {"type": "plain_text", "text": "Escalate"},
        "value": "42",
    }
    payload = P.block_actions_payload(
        app=APP,
        user_id="U1",
        user_name="ana",
        actions=[action],
        trigger_id="t",
        channel={"id": "C1", "name": "support"},
        message={"type": "message", "ts": "1.0", "blocks": blocks},
        message_ts="1.0",
        response_url="http://x/response_url/1",
    )
    assert payload["type"] == "block_actions"
    assert payload["container"] == {"type": "message", "message_ts": "1.0", "channel_id": "C1", "is_ephemeral": False}
    assert payload["user"]["id"] == "U1" and payload["team"]["id"] == APP.team_id
    assert payload["message"]["ts"] == "1.0" and payload["response_url"].endswith("/1")
    assert payload["actions"] == [action] and payload["trigger_id"] == "t"
    body = P.interactive_body(payload)
    assert json.loads(dict(urllib.parse.parse_qsl(body))["payload"]) == payload


def test_block_actions_from_ephemeral_message_has_no_message() -> None:
    payload = P.block_actions_payload(
        app=APP,
        user_id="U1",
        user_name="ana",
        actions=[],
        trigger_id="t",
        channel={"id": "C1", "name": "support"},
        message={"ts": "1.0"},
        message_ts="1.0",
        is_ephemeral=True,
    )
    assert "message" not in payload and payload["container"]["is_ephemeral"] is True


def test_block_actions_from_a_view() -> None:
    view = {"id": "V1", "type": "home", "blocks": []}
    payload = P.block_actions_payload(app=APP, user_id="U1", user_name="ana", actions=[], trigger_id="t", view=view)
    assert payload["container"] == {"type": "view", "view_id": "V1"}
    assert payload["view"] is view and "response_url" not in payload


MODAL_BLOCKS: list[dict[str, Any]] = [
    {"type": "input", "block_id": "amount", "element": {"type": "plain_text_input", "action_id": "amount_input"}},
    {
        "type": "input",
        "block_id": "kind",
        "element": {
            "type": "static_select",
            "action_id": "kind_select",
            "options": [
                {"text": {"type": "plain_text", "text": "Refund"}, "value": "refund"},
                {"text": {"type": "plain_text", "text": "Credit"}, "value": "credit"},
            ],
        },
    },
    {"type": "input", "block_id": "note", "optional": True, "element": {"type": "plain_text_input", "action_id": "n"}},
]


def test_build_state_accepts_nested_and_flat_values() -> None:
    state = P.build_state(MODAL_BLOCKS, {"amount": {"amount_input": "250"}, "kind_select": "credit"})
    assert state["amount"]["amount_input"] == {"type": "plain_text_input", "value": "250"}
    assert state["kind"]["kind_select"] == {
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": "Credit"}, "value": "credit"},
    }
    assert state["note"]["n"] == {"type": "plain_text_input", "value": None}


def test_build_state_passes_slack_shaped_values_through() -> None:
    raw = {"type": "plain_text_input", "value": "x"}
    assert P.build_state(MODAL_BLOCKS, {"amount": {"amount_input": raw}})["amount"]["amount_input"] == raw


def test_view_submission_payload() -> None:
    view = {"id": "V1", "type": "modal", "callback_id": "approval", "state": {"values": {}}}
    payload = P.view_submission_payload(app=APP, user_id="U1", user_name="ana", view=view, trigger_id="t")
    assert payload["type"] == "view_submission" and payload["view"]["callback_id"] == "approval"
    assert payload["response_urls"] == [] and payload["user"]["id"] == "U1"
