"""Posting a hand-off to its channel and updating it on Claim/Resolved (Slack side of ``bot.ask.handoff``)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.ask.handoff import HandoffError, HandoffState, plan_handoff, posted
from bot.services import Services
from bot.slack.views.ask import handoff_blocks, handoff_state_blocks, thread_link
from bot.slack.views.common import user

log = logging.getLogger(__name__)
__all__ = ["post_handoff", "show_state", "thread_link"]


def post_handoff(
    services: Services, client: WebClient, question_id: int, requester: str, body: dict[str, Any], person: bool
) -> str:
    """Plan, record and post the hand-off; the returned text tells the requester what happened."""
    msg = body.get("message", {})
    try:
        h = plan_handoff(
            services,
            question_id,
            requester,
            person,
            body.get("channel", {}).get("id"),
            msg.get("thread_ts") or msg.get("ts"),
        )
    except HandoffError as exc:
        return str(exc)
    try:
        sent = client.chat_postMessage(
            channel=h.channel, text=f"Hand-off: {h.question[:200]}", blocks=handoff_blocks(h)
        )
    except SlackApiError as exc:
        return f"I couldn't post to <#{h.channel}> ({exc.response.get('error')}). Please tell {user(h.tag)} directly."
    posted(services, h.id, str(sent.get("channel") or h.channel), str(sent["ts"]))
    due = f" They have until {h.due_at:%H:%M} UTC to pick it up." if h.due_at else ""
    return f"Handed over to {user(h.tag)} in <#{h.channel}> with the full context.{due}"


def show_state(client: WebClient, state: HandoffState, note: str) -> None:
    """Update the hand-off message in place and tell the original thread."""
    if state.message_ts:
        client.chat_update(
            channel=state.channel,
            ts=state.message_ts,
            text=f"Hand-off {state.state}",
            blocks=handoff_state_blocks(state),
        )
    if state.source_channel and state.source_ts:
        client.chat_postMessage(channel=state.source_channel, thread_ts=state.source_ts, text=note)
