"""App Home: my accounts, my open alerts, approvals waiting for me, and (admins) the data sources."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import App

from bot.alerts.actions import open_alerts
from bot.approvals.queries import home_summary
from bot.channels.home import home_conversations
from bot.customers.accounts import owned_by
from bot.services import Services
from bot.slack.views import render
from bot.slack.views.common import Block, divider
from bot.slack.views.home import intro
from bot.slack.wiring import Rapport
from bot.sync.status import for_admin

log = logging.getLogger(__name__)
MAX_HOME_BLOCKS = 100


def _alerts(services: Services, user_id: str) -> object:
    return open_alerts(services.engine, user_id, limit=10)


# Each section is a feature function (services, user) -> a plain result (None: nothing to show this user).
SECTIONS: tuple[Callable[[Services, str], object | None], ...] = (
    owned_by,
    home_conversations,  # customer messages waiting for a reply in the user's accounts' channels
    _alerts,
    home_summary,
    for_admin,
)


def home_blocks(services: Services, user_id: str) -> list[Block]:
    blocks: list[Block] = intro()
    for section in SECTIONS:
        try:
            result = section(services, user_id)
            if result is not None:
                blocks += [divider(), *render(result)]
        except Exception:  # one failing section must not blank the whole tab
            log.exception("App Home section %s failed", getattr(section, "__name__", "?"))
    return blocks[:MAX_HOME_BLOCKS]


def on_home(r: Rapport, event: dict[str, Any]) -> None:
    user = event.get("user")
    if event.get("tab", "home") != "home" or not isinstance(user, str):
        return
    r.out.publish_home(user, home_blocks(r.services, user))


def register(app: App, r: Rapport) -> None:
    app.event("app_home_opened")(partial(on_home, r))
