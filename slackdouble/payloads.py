"""Builders for what Slack sends to an app: Events API envelopes, slash-command forms,
interactivity payloads. Pure functions (no I/O), so their shapes are unit-tested.

Shapes follow Slack's documentation:
- Events API: https://api.slack.com/apis/events-api#callback-field (JSON body)
- Slash commands: https://api.slack.com/interactivity/slash-commands (form-encoded)
- Interactivity: https://api.slack.com/reference/interaction-payloads (form field ``payload=<JSON>``)

One module because the builders of every payload shape Slack sends, side by side so their shared
envelope stays consistent.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]

EVENT_TYPES_WITH_CHANNEL = {"message", "app_mention", "reaction_added", "member_joined_channel", "channel_shared"}


@dataclass(frozen=True)
class AppIdentity:
    """Who the app is in the workspace: fills the fields Slack puts in every request."""

    team_id: str = "T0RAPPORT"
    team_domain: str = "rapport-sandbox"
    api_app_id: str = "A0RAPPORT"
    bot_user_id: str = "U0RAPPORTBOT"
    bot_id: str = "B0RAPPORT"
    verification_token: str = "verification-token-from-double"


def new_event_id() -> str:
    return "Ev" + secrets.token_hex(5).upper()


def new_trigger_id(team_num: str = "1") -> str:
    return f"{int(time.time() * 1000)}{secrets.randbelow(1000):03d}.{team_num}.{secrets.token_hex(16)}"


def rich_text_blocks(text: str) -> list[JSON]:
    """The rich_text block Slack clients attach to a typed message (simplified: one text run)."""
    return [
        {
            "type": "rich_text",
            "block_id": secrets.token_hex(2),
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
        }
    ]


def message_event(
    *,
    user: str,
    channel: str,
    channel_type: str,
    text: str,
    ts: str,
    team_id: str,
    thread_ts: str | None = None,
    parent_user_id: str | None = None,
    user_team: str | None = None,
    user_profile: JSON | None = None,
    files: list[JSON] | None = None,
) -> JSON:
    """The `message` event a human's message produces (message.channels / message.im ...).

    In a Slack Connect channel a message from another organisation's member carries that member's team as
    ``user_team`` and ``source_team`` (and ``team``), plus a ``user_profile``; a message with files has
    ``subtype: file_share`` and the files' objects."""
    event: JSON = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts,
        "team": user_team or team_id,
        "blocks": rich_text_blocks(text) if text else [],
        "client_msg_id": str(uuid.uuid4()),
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
    }
    if user_team:
        event["user_team"] = user_team
        event["source_team"] = user_team
        if user_profile:
            event["user_profile"] = user_profile
    if files:
        event["subtype"] = "file_share"
        event["files"] = files
        event["upload"] = False
    if thread_ts:
        event["thread_ts"] = thread_ts
        if parent_user_id:
            event["parent_user_id"] = parent_user_id
    return event


def changed_event(channel: str, channel_type: str, message: JSON, previous: JSON, event_ts: str) -> JSON:
    """`message_changed`: the edited message and its previous version; no top-level user or text."""
    event: JSON = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "message": message,
        "previous_message": previous,
        "channel": channel,
        "channel_type": channel_type,
        "ts": event_ts,
        "event_ts": event_ts,
    }
    return event


def deleted_event(channel: str, channel_type: str, previous: JSON, event_ts: str) -> JSON:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "deleted_ts": previous.get("ts"),
        "previous_message": previous,
        "channel": channel,
        "channel_type": channel_type,
        "ts": event_ts,
        "event_ts": event_ts,
    }


def app_mention_event(
    *, user: str, channel: str, text: str, ts: str, team_id: str, thread_ts: str | None = None
) -> JSON:
    event: JSON = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "team": team_id,
        "blocks": rich_text_blocks(text),
        "client_msg_id": str(uuid.uuid4()),
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def reaction_added_event(
    *, user: str, reaction: str, channel: str, ts: str, item_user: str | None, event_ts: str
) -> JSON:
    """``reaction_added`` on a message (needs ``reactions:read``)."""
    event: JSON = {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": event_ts,
    }
    if item_user:
        event["item_user"] = item_user
    return event


def channel_shared_event(*, channel: str, connected_team_id: str, event_ts: str) -> JSON:
    """``channel_shared``: another organisation's workspace joined the channel (Slack Connect)."""
    return {"type": "channel_shared", "connected_team_id": connected_team_id, "channel": channel, "event_ts": event_ts}


def member_joined_event(
    *, user: str, channel: str, channel_type: str, team: str, event_ts: str, inviter: str | None = None
) -> JSON:
    """``member_joined_channel``: ``team`` is the member's own team (another organisation's in Slack Connect)."""
    event: JSON = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel,
        "channel_type": "G" if channel_type == "group" else "C",
        "team": team,
        "event_ts": event_ts,
    }
    if inviter:
        event["inviter"] = inviter
    return event


def app_home_opened_event(*, user: str, channel: str, view: JSON | None, event_ts: str) -> JSON:
    event: JSON = {"type": "app_home_opened", "user": user, "channel": channel, "tab": "home", "event_ts": event_ts}
    if view is not None:
        event["view"] = view
    return event


def event_envelope(
    event: JSON,
    app: AppIdentity,
    *,
    team_id: str | None = None,
    event_id: str | None = None,
    event_time: int | None = None,
    ext_shared: bool = False,
) -> JSON:
    """The Events API `event_callback` envelope around one event (``ext_shared``: it happened in a channel
    shared with another organisation: ``is_ext_shared_channel``)."""
    team = team_id or app.team_id
    return {
        "token": app.verification_token,
        "team_id": team,
        "context_team_id": team,
        "context_enterprise_id": None,
        "api_app_id": app.api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team,
                "user_id": app.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": ext_shared,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }


def url_verification(challenge: str, app: AppIdentity) -> JSON:
    return {"token": app.verification_token, "challenge": challenge, "type": "url_verification"}


def slash_command_form(
    *,
    app: AppIdentity,
    user_id: str,
    user_name: str,
    channel_id: str,
    channel_name: str,
    command: str,
    text: str,
    response_url: str,
    trigger_id: str,
) -> list[tuple[str, str]]:
    """Fields of a slash-command request, in Slack's order."""
    return [
        ("token", app.verification_token),
        ("team_id", app.team_id),
        ("team_domain", app.team_domain),
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", command),
        ("text", text),
        ("api_app_id", app.api_app_id),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id),
    ]


def form_body(fields: list[tuple[str, str]]) -> str:
    return urllib.parse.urlencode(fields)


def interactive_body(payload: JSON) -> str:
    """Interactivity requests: form-encoded, one field `payload` holding JSON."""
    return urllib.parse.urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def _user_obj(app: AppIdentity, user_id: str, user_name: str) -> JSON:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": app.team_id}


def message_action_payload(
    *,
    app: AppIdentity,
    user_id: str,
    user_name: str,
    callback_id: str,
    channel: JSON,
    message: JSON,
    trigger_id: str,
    response_url: str,
) -> JSON:
    """A message shortcut (the message's "More actions" menu): the whole message travels with it."""
    return {
        "type": "message_action",
        "token": "legacy-verification-token",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": app.team_id, "domain": app.team_domain},
        "user": _user_obj(app, user_id, user_name),
        "channel": channel,
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": response_url,
        "message_ts": message.get("ts"),
        "message": message,
    }


def find_element(blocks: list[JSON], action_id: str) -> tuple[str | None, JSON | None]:
    """(block_id, element) of the interactive element with `action_id` in a list of blocks."""
    for block in blocks:
        candidates: list[JSON] = []
        if isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        if isinstance(block.get("element"), dict):
            candidates.append(block["element"])
        candidates.extend(e for e in block.get("elements", []) or [] if isinstance(e, dict))
        for el in candidates:
            if el.get("action_id") == action_id:
                return block.get("block_id"), el
    return None, None


def action_obj(*, action_id: str, block_id: str, value: str | None, element: JSON | None, action_ts: str) -> JSON:
    """One entry of `actions` in a block_actions payload."""
    el = element or {"type": "button"}
    kind = el.get("type", "button")
    action: JSON = {"action_id": action_id, "block_id": block_id, "type": kind, "action_ts": action_ts}
    if kind == "button":
        action["text"] = el.get("text") or {"type": "plain_text", "text": action_id, "emoji": True}
        if value is not None or "value" in el:
            action["value"] = value if value is not None else el.get("value")
        if el.get("style"):
            action["style"] = el["style"]
    elif kind in ("static_select", "overflow", "radio_buttons"):
        options = el.get("options", [])
        chosen = next((o for o in options if o.get("value") == value), None)
        action["selected_option"] = chosen or {
            "text": {"type": "plain_text", "text": value or ""},
            "value": value,
        }
    elif kind == "users_select":
        action["selected_user"] = value
    elif kind == "datepicker":
        action["selected_date"] = value
    else:
        action["value"] = value
    return action


def block_actions_payload(
    *,
    app: AppIdentity,
    user_id: str,
    user_name: str,
    actions: list[JSON],
    trigger_id: str,
    channel: JSON | None = None,
    message: JSON | None = None,
    message_ts: str | None = None,
    is_ephemeral: bool = False,
    view: JSON | None = None,
    response_url: str | None = None,
    state_values: JSON | None = None,
) -> JSON:
    """A block_actions payload: from a message (channel + message) or from a view (modal / App Home)."""
    payload: JSON = {
        "type": "block_actions",
        "user": _user_obj(app, user_id, user_name),
        "api_app_id": app.api_app_id,
        "token": app.verification_token,
        "trigger_id": trigger_id,
        "team": {"id": app.team_id, "domain": app.team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = view
        payload["state"] = {"values": state_values or {}}
    else:
        assert channel is not None and message_ts is not None
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel["id"],
            "is_ephemeral": is_ephemeral,
        }
        payload["channel"] = channel
        if message is not None and not is_ephemeral:
            payload["message"] = message
        payload["state"] = {"values": state_values or {}}
        if response_url:
            payload["response_url"] = response_url
    payload["actions"] = actions
    return payload


def view_submission_payload(*, app: AppIdentity, user_id: str, user_name: str, view: JSON, trigger_id: str) -> JSON:
    return {
        "type": "view_submission",
        "team": {"id": app.team_id, "domain": app.team_domain},
        "user": _user_obj(app, user_id, user_name),
        "api_app_id": app.api_app_id,
        "token": app.verification_token,
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_closed_payload(*, app: AppIdentity, user_id: str, user_name: str, view: JSON) -> JSON:
    return {
        "type": "view_closed",
        "team": {"id": app.team_id, "domain": app.team_domain},
        "user": _user_obj(app, user_id, user_name),
        "api_app_id": app.api_app_id,
        "token": app.verification_token,
        "view": view,
        "is_cleared": False,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def input_elements(blocks: list[JSON]) -> dict[str, tuple[str, JSON]]:
    """action_id -> (block_id, element) for every `input` block of a view."""
    out: dict[str, tuple[str, JSON]] = {}
    for block in blocks:
        if block.get("type") == "input" and isinstance(block.get("element"), dict):
            el = block["element"]
            if el.get("action_id"):
                out[el["action_id"]] = (block.get("block_id", ""), el)
    return out


def state_value(element: JSON, value: Any) -> JSON:
    """Slack's `view.state.values[block][action]` object for a plain value typed into `element`."""
    if isinstance(value, dict) and "type" in value:
        return value
    kind = element.get("type", "plain_text_input")
    if kind in ("static_select", "radio_buttons", "external_select"):
        if value in (None, ""):
            return {"type": kind, "selected_option": None}
        options = list(element.get("options", []))
        for group in element.get("option_groups", []) or []:
            options.extend(group.get("options", []))
        chosen = next((o for o in options if o.get("value") == value), None)
        return {
            "type": kind,
            "selected_option": chosen or {"text": {"type": "plain_text", "text": str(value)}, "value": value},
        }
    if kind in ("multi_static_select", "checkboxes"):
        values = value if isinstance(value, list) else ([] if value in (None, "") else [value])
        options = list(element.get("options", []))
        chosen_list = [o for o in options if o.get("value") in values]
        return {"type": kind, "selected_options": chosen_list}
    if kind == "users_select":
        return {"type": kind, "selected_user": value or None}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": value or None}
    if kind == "channels_select":
        return {"type": kind, "selected_channel": value or None}
    if kind == "datepicker":
        return {"type": kind, "selected_date": value or None}
    if kind == "timepicker":
        return {"type": kind, "selected_time": value or None}
    if kind == "number_input":
        return {"type": kind, "value": None if value in (None, "") else str(value)}
    return {"type": kind, "value": None if value is None else str(value)}


def build_state(blocks: list[JSON], values: JSON) -> JSON:
    """Turn submitted values into Slack's `state.values` for a view's input blocks.

    `values` may be Slack-shaped ``{block_id: {action_id: {...}}}``, or simple:
    ``{block_id: {action_id: "text"}}`` or ``{action_id: "text"}``. Inputs not given are
    included empty, as Slack does.
    """
    elements = input_elements(blocks)
    by_block: dict[str, str] = {bid: aid for aid, (bid, _el) in elements.items()}
    state: JSON = {}
    for aid, (bid, el) in elements.items():
        state.setdefault(bid, {})[aid] = state_value(el, None)
    for key, val in values.items():
        if key in by_block and isinstance(val, dict):  # block_id -> {action_id: value}
            for aid, v in val.items():
                el = elements.get(aid, ("", {"type": "plain_text_input"}))[1]
                state.setdefault(key, {})[aid] = state_value(el, v)
        elif key in elements:  # action_id -> value
            bid, el = elements[key]
            state.setdefault(bid, {})[key] = state_value(el, val)
        elif isinstance(val, dict):  # unknown block id: keep what was given
            state[key] = {
                aid: v if isinstance(v, dict) else {"type": "plain_text_input", "value": v} for aid, v in val.items()
            }
    return state
