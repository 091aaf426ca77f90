"""Claim / Resolved on a hand-off message. Who clicked is checked by ``bot.ask.handoff`` before any change."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.ask.escalate import take
from bot.slack import ids, inbound
from bot.slack.wiring import Rapport


def clicked(resolving: bool, r: Rapport, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    click = inbound.click(body)
    said = take(r.services, click.ref("h"), click.user, resolving)
    if click.channel:
        r.tell(click.user, click.channel, said)


def register(app: App, r: Rapport) -> None:
    app.action(ids.HANDOFF_CLAIM)(partial(clicked, False, r))
    app.action(ids.HANDOFF_RESOLVE)(partial(clicked, True, r))
