"""``/rapport config`` (per-channel Ask settings, admins) and the reason modal behind a thumbs-down."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.ask import channel_config
from bot.ask.feedback import add_reason
from bot.services import Services
from bot.slack import ids
from bot.slack.commands import SlashContext, subcommand
from bot.slack.listeners.home import HOME_SECTIONS
from bot.slack.views.ask import config_blocks
from bot.slack.views.common import Block, context, header, section

log = logging.getLogger(__name__)
USAGE = "`/rapport config` shows the settings; admins: `/rapport config set KEY VALUE` or `/rapport config reset`"


def data_sources_home(services: Services, user_id: str) -> list[Block]:
    """App Home, admins only: each data source's last sync run, cursor and quarantined rows."""
    if not channel_config.is_admin(services.policies, user_id):
        return []
    from bot.connectors_state import service
    from bot.connectors_state.config import load_sources

    statuses = service.status(services.engine, load_sources(services.settings.policies_dir))
    if not statuses:
        return []
    lines = "\n".join(f"• {service.describe(s)}" for s in statuses)
    return [
        header("Data sources"),
        section(lines),
        context("`rapport sync errors --source NAME` lists quarantined rows; `rapport sync` runs them now."),
    ]


def register(app: App, services: Services) -> None:
    if data_sources_home.__name__ not in {f.__name__ for f in HOME_SECTIONS}:
        HOME_SECTIONS.append(data_sources_home)

    @subcommand("config", "[set KEY VALUE | reset] — how I behave in this channel (admins change it)")
    def _config(ctx: SlashContext) -> None:
        channel = ctx.channel_id
        if not channel.startswith(("C", "G")):
            ctx.respond(text="Run `/rapport config` in the channel you want to configure.")
            return
        verb, _, rest = ctx.text.strip().partition(" ")
        verb = verb.lower()
        if verb in ("", "show"):
            with services.sessions() as session:
                cfg = channel_config.load(session, channel, services.policies)
            ctx.respond(text=cfg.describe(), blocks=config_blocks(cfg), response_type="ephemeral")
            return
        if verb not in ("set", "reset"):
            ctx.respond(text=f"I don't know `config {verb[:30]}`. {USAGE}")
            return
        if not channel_config.is_admin(services.policies, ctx.user_id):
            ctx.respond(
                text=":no_entry: Only Rapport admins (CS leads) can change how I behave in a channel. "
                "Ask a CS lead, or see the current settings with `/rapport config`."
            )
            return
        try:
            with services.sessions() as session, session.begin():
                if verb == "reset":
                    cfg = channel_config.reset(session, services.policies, channel, ctx.user_id)
                    note = ":leftwards_arrow_with_hook: Back to the policy file / defaults."
                else:
                    key, _, value = rest.strip().partition(" ")
                    if not key or not value.strip():
                        ctx.respond(text=f"Usage: `/rapport config set KEY VALUE`. {USAGE}")
                        return
                    known = channel_config.collections_for(services.settings.playbooks_dir).known()
                    cfg = channel_config.update(
                        session, services.policies, channel, ctx.user_id, key, value, services.clock(), known
                    )
                    note = f":white_check_mark: `{key.lower()}` updated."
        except channel_config.ConfigError as exc:
            ctx.respond(text=f":warning: {exc}")
            return
        except channel_config.NotAdmin as exc:
            ctx.respond(text=f":no_entry: {exc}")
            return
        ctx.respond(text=note, blocks=config_blocks(cfg, note), response_type="ephemeral")

    def on_reason(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        """The optional "why not helpful?" modal: the reason joins the user's vote (the vote already counted)."""
        ack()
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        values = view.get("state", {}).get("values", {})
        reason = (values.get("reason", {}).get("reason", {}) or {}).get("value") or ""
        qid = int(meta.get("q") or 0)
        user = body["user"]["id"]
        if not reason.strip() or not qid:
            return
        with services.sessions() as session, session.begin():
            add_reason(session, qid, user, reason)

    app.view(ids.FEEDBACK_MODAL)(on_reason)
