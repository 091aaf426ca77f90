"""``/rapport config [show | set KEY VALUE | reset]``: one channel's Ask settings, changed by admins only."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ask import channel_config
from bot.ask.channel_config import ChannelSettings
from bot.services import Services

USAGE = "`/rapport config` shows the settings; admins: `/rapport config set KEY VALUE` or `/rapport config reset`"


@dataclass(frozen=True)
class Configured:
    """The outcome to show the admin: the settings now (with a note) or only a message (refused, bad input)."""

    message: str
    settings: ChannelSettings | None = None


def configure(services: Services, channel: str, user_id: str, args: str) -> Configured:
    if not channel.startswith(("C", "G")):
        return Configured("Run `/rapport config` in the channel you want to configure.")
    verb, _, rest = args.strip().partition(" ")
    verb = verb.lower()
    if verb in ("", "show"):
        cfg = _load(services, channel)
        return Configured(cfg.describe(), cfg)
    if verb not in ("set", "reset"):
        return Configured(f"I don't know `config {verb[:30]}`. {USAGE}")
    if not services.policies.is_admin(user_id):
        return Configured(
            ":no_entry: Only Rapport admins (CS leads) can change how I behave in a channel. "
            "Ask a CS lead, or see the current settings with `/rapport config`."
        )
    key, _, value = rest.strip().partition(" ")
    if verb == "set" and (not key or not value.strip()):
        return Configured(f"Usage: `/rapport config set KEY VALUE`. {USAGE}")
    try:
        with services.sessions() as session, session.begin():
            if verb == "reset":
                cfg = channel_config.reset(session, services.policies, channel, user_id)
                return Configured(":leftwards_arrow_with_hook: Back to the policy file / defaults.", cfg)
            known = channel_config.collections_for(services.settings.playbooks_dir).known()
            cfg = channel_config.update(
                session, services.policies, channel, user_id, key, value, services.clock(), known
            )
            return Configured(f":white_check_mark: `{key.lower()}` updated.", cfg)
    except channel_config.ConfigError as exc:
        return Configured(f":warning: {exc}")
    except channel_config.NotAdmin as exc:
        return Configured(f":no_entry: {exc}")


def _load(services: Services, channel: str) -> ChannelSettings:
    with services.sessions() as session:
        return channel_config.load(session, channel, services.policies)
