"""App Home: my accounts, plus whatever sections other features contribute (alerts, approvals...)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import select

from bot.services import Services
from bot.slack.views.common import Block, context, divider, header, section
from bot.store.models import Customer

log = logging.getLogger(__name__)
# Features append (services, user_id) -> blocks; each section is rendered in order, failures isolated.
HOME_SECTIONS: list[Callable[[Services, str], list[Block]]] = []


def my_accounts(services: Services, user_id: str) -> list[Block]:
    with services.sessions() as session:
        rows = session.execute(
            select(Customer.name, Customer.tier, Customer.renewal_date)
            .where(Customer.owner_slack_id == user_id, Customer.merged_into_id.is_(None))
            .order_by(Customer.arr.desc())
            .limit(10)
        ).all()
    blocks: list[Block] = [header("My accounts")]
    if not rows:
        return [*blocks, context("You don't own any accounts.")]
    lines = [
        f"• *{name}* · {tier.title()}" + (f" · renews {renewal:%Y-%m-%d}" if renewal else "")
        for name, tier, renewal in rows
    ]
    return [*blocks, section("\n".join(lines))]


def home_view(services: Services, user_id: str) -> dict[str, Any]:
    blocks: list[Block] = [section("Ask me anything in a DM, mention me in a channel, or use `/rapport help`.")]
    for contribute in [my_accounts, *HOME_SECTIONS]:
        try:
            blocks += [divider(), *contribute(services, user_id)]
        except Exception:
            log.exception("App Home section %s failed", getattr(contribute, "__name__", "?"))
    return {"type": "home", "blocks": blocks[:100]}


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=event["user"], view=home_view(services, event["user"]))
