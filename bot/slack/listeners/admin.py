"""``/rapport config``: how Rapport behaves in a channel (admins change it; everyone may look)."""

from __future__ import annotations

from functools import partial

from slack_bolt import App

from bot.ask.configure import configure
from bot.slack.inbound import Command
from bot.slack.wiring import Rapport


def config(r: Rapport, cmd: Command) -> None:
    result = configure(r.services, cmd.channel, cmd.user, cmd.rest)
    r.tell(cmd.user, cmd.channel, result.message, result, response_url=cmd.response_url)


def register(app: App, r: Rapport) -> None:
    r.commands.add(
        "config", "[set KEY VALUE | reset] — how I behave in this channel (admins change it)", partial(config, r)
    )
