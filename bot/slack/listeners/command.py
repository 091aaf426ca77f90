"""``/rapport``: ack at once (help or an unknown word answered in the ack), run the subcommand after the ack."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.slack import inbound
from bot.slack.views.ask import Help, help_blocks
from bot.slack.wiring import Rapport

log = logging.getLogger(__name__)


def ack_command(r: Rapport, ack: Ack, command: dict[str, Any]) -> None:
    cmd = inbound.command(command)
    if cmd.word in ("", "help"):
        text = r.commands.help_text()
        ack(text=text, blocks=help_blocks(Help(text)))
    elif r.commands.get(cmd.word):
        ack()
    else:
        ack(text=f"I don't know `/rapport {cmd.word[:40]}`.\n{r.commands.help_text()}")


def run_command(r: Rapport, command: dict[str, Any]) -> None:
    cmd = inbound.command(command)
    sub = r.commands.get(cmd.word)
    if sub is None:
        return
    try:
        sub.run(cmd)
    except Exception as exc:
        r.failed(exc, f"/rapport {cmd.word}", cmd.user, cmd.channel, response_url=cmd.response_url)


def register(app: App, r: Rapport) -> None:
    app.command("/rapport")(ack=partial(ack_command, r), lazy=[partial(run_command, r)])
