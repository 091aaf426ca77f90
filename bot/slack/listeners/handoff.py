"""Claim / Resolved on a hand-off message. Who clicked is checked by ``bot.ask.handoff`` before any change."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.ask.handoff import Transition, claim, resolve
from bot.services import Services
from bot.slack import ids
from bot.slack.handoff import show_state
from bot.slack.views.common import user

log = logging.getLogger(__name__)


def handoff_id(body: dict[str, Any]) -> int:
    raw = (body.get("actions") or [{}])[0].get("value", "")
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return 0
    return int(value.get("h") or 0) if isinstance(value, dict) else 0


def register(app: App, services: Services) -> None:
    def clicked(resolving: bool) -> Any:
        def handler(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            clicker = body["user"]["id"]
            channel = (body.get("channel") or {}).get("id", "")
            try:
                hid = handoff_id(body)
                result: Transition = resolve(services, hid, clicker) if resolving else claim(services, hid, clicker)
                if result.changed and result.state is not None:
                    note = (
                        f":white_check_mark: {user(clicker)} resolved the hand-off."
                        if resolving
                        else f":raising_hand: {user(clicker)} has picked this up and will reply here."
                    )
                    show_state(client, result.state, note)
                message = result.message
            except Exception:
                ref = uuid.uuid4().hex[:8]
                log.exception("hand-off %s failed (reference %s)", "resolve" if resolving else "claim", ref)
                message = f":warning: That didn't work (reference `{ref}`). Please try again."
            if channel:
                client.chat_postEphemeral(channel=channel, user=clicker, text=message)

        return handler

    app.action(ids.HANDOFF_CLAIM)(clicked(False))
    app.action(ids.HANDOFF_RESOLVE)(clicked(True))
