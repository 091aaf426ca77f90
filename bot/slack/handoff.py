"""Posting a hand-off to its channel (Slack side of ``bot.ask.handoff``)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.ask.handoff import Handoff, HandoffError, plan_handoff
from bot.services import Services
from bot.slack.views import render
from bot.slack.views.ask import card_blocks
from bot.slack.views.common import Block, cap, context, section, user


def thread_link(channel: str | None, ts: str | None) -> str:
    if not channel or not ts:
        return ""
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def handoff_blocks(h: Handoff) -> list[Block]:
    who = user(h.tag) if h.tag else "the on-duty owner"
    blocks: list[Block] = [
        section(
            f":rotating_light: *Hand-off for {who}* from {user(h.requester)}"
            + (f" · {h.severity}" if h.severity else "")
        ),
        section(f"*Question:* {h.question}\n*Why:* {h.reason}"),
    ]
    if h.next_step:
        blocks.append(context(f"Next step: {h.next_step}"))
    link = thread_link(h.source_channel, h.source_ts)
    if link:
        blocks.append(context(f"<{link}|Original thread>"))
    if h.customer:
        blocks += card_blocks(h.customer)
    return cap(blocks)


render.register(Handoff, handoff_blocks)


def post_handoff(
    services: Services, client: WebClient, question_id: int, requester: str, body: dict[str, Any], person: bool
) -> str:
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
        client.chat_postMessage(channel=h.channel, text=f"Hand-off: {h.question[:200]}", blocks=handoff_blocks(h))
    except SlackApiError as exc:
        return f"I couldn't post to <#{h.channel}> ({exc.response.get('error')}). Please tell {user(h.tag)} directly."
    return f"Handed over to {user(h.tag)} in <#{h.channel}> with the full context."
