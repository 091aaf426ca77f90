"""Alert buttons (Ack, Snooze 1d/7d/custom, Assign to me / to someone, Open card), the snooze modal,
App Home "My open alerts", ``/rapport alerts``, and the Slack ``SentLookup`` delivery uses after a crash.

Every click is acked at once; the state change runs after the ack (Bolt ``lazy``). The acting user is the
one in the signed payload; ``bot.alerts.actions`` refuses anyone not on the staff roster. After a change,
every message showing the alert (single alert or digest part) is re-rendered in place.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.alerts import actions as alert_actions
from bot.alerts.views import ActionResult
from bot.customers.card import build_card
from bot.governance.audit import record
from bot.notify import SentRef
from bot.services import Services
from bot.slack import ids
from bot.slack.commands import SlashContext, subcommand
from bot.slack.listeners.home import HOME_SECTIONS
from bot.slack.views import render
from bot.slack.views.ask import card_blocks
from bot.slack.views.common import Block

log = logging.getLogger(__name__)
SNOOZE_UNITS = {"h": 3600, "d": 86400, "w": 604800}


class SlackSentLookup:
    """``bot.alerts.delivery.SentLookup`` over ``conversations.history``: was a marked message posted?"""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def find(self, channel: str, marker: str, since: dt.datetime) -> SentRef | None:
        if channel.startswith(("U", "W")):
            channel = str(self.client.conversations_open(users=[channel])["channel"]["id"])
        cursor = None
        for _ in range(50):  # bounded: the window is one lease (minutes) of one channel
            resp = self.client.conversations_history(
                channel=channel, oldest=f"{since.timestamp():.6f}", limit=200, cursor=cursor, include_all_metadata=True
            )
            messages: list[dict[str, Any]] = resp.get("messages") or []
            for msg in messages:
                blocks = msg.get("blocks") or []
                if blocks and blocks[0].get("block_id") == marker:
                    return SentRef(channel, str(msg["ts"]))
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not resp.get("has_more") or not cursor:
                return None
        return None


def parse_snooze(text: str) -> dt.timedelta | None:
    """``4h``, ``3d``, ``2w`` -> timedelta; None when unreadable."""
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in SNOOZE_UNITS or not text[:-1].isdigit():
        return None
    return dt.timedelta(seconds=int(text[:-1]) * SNOOZE_UNITS[text[-1]])


def _alert_id(body: dict[str, Any]) -> int | None:
    action = (body.get("actions") or [{}])[0]
    raw = action.get("value")
    if raw is None:  # users_select has no value: the alert id is in the block id
        raw = str(action.get("block_id", "")).removeprefix("alert-")
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _tell(client: WebClient, body: dict[str, Any], result: ActionResult) -> None:
    if result.ok:
        return
    channel = (body.get("channel") or {}).get("id") or body["user"]["id"]
    try:
        client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=result.message)
    except SlackApiError:
        log.warning("could not tell %s: %s", body["user"]["id"], result.message)


def register(app: App, services: Services) -> None:
    def ack_only(ack: Ack) -> None:
        ack()

    def after(body: dict[str, Any], client: WebClient, result: ActionResult) -> None:
        _tell(client, body, result)
        if result.ok and result.card is not None:
            alert_actions.refresh_messages(services.engine, services.notifier, result.card.alert_id)

    def do_ack(body: dict[str, Any], client: WebClient) -> None:
        alert_id = _alert_id(body)
        if alert_id is not None:
            result = alert_actions.ack(
                services.engine, services.policies, body["user"]["id"], alert_id, services.clock()
            )
            after(body, client, result)

    def snoozer(days: int) -> Any:
        def do_snooze(body: dict[str, Any], client: WebClient) -> None:
            alert_id = _alert_id(body)
            if alert_id is not None:
                result = alert_actions.snooze(
                    services.engine,
                    services.policies,
                    body["user"]["id"],
                    alert_id,
                    services.clock(),
                    dt.timedelta(days=days),
                )
                after(body, client, result)

        return do_snooze

    def do_assign_me(body: dict[str, Any], client: WebClient) -> None:
        alert_id = _alert_id(body)
        if alert_id is not None:
            uid = body["user"]["id"]
            after(
                body,
                client,
                alert_actions.assign(services.engine, services.policies, uid, alert_id, uid, services.clock()),
            )

    def do_assign_user(body: dict[str, Any], client: WebClient) -> None:
        alert_id = _alert_id(body)
        chosen = (body.get("actions") or [{}])[0].get("selected_user")
        if alert_id is not None and chosen:
            after(
                body,
                client,
                alert_actions.assign(
                    services.engine, services.policies, body["user"]["id"], alert_id, str(chosen), services.clock()
                ),
            )

    app.action(ids.ALERT_ACK)(ack=ack_only, lazy=[do_ack])
    app.action(ids.ALERT_SNOOZE_1D)(ack=ack_only, lazy=[snoozer(1)])
    app.action(ids.ALERT_SNOOZE_7D)(ack=ack_only, lazy=[snoozer(7)])
    app.action(ids.ALERT_ASSIGN_ME)(ack=ack_only, lazy=[do_assign_me])
    app.action(ids.ALERT_ASSIGN_USER)(ack=ack_only, lazy=[do_assign_user])

    @app.action(ids.ALERT_SNOOZE_CUSTOM)
    def open_snooze_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        alert_id = _alert_id(body)
        client.views_open(trigger_id=body["trigger_id"], view=snooze_modal(alert_id or 0))

    @app.view(ids.ALERT_SNOOZE_MODAL)
    def submit_snooze(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        values = body["view"]["state"]["values"]
        text = str(values.get("snooze", {}).get("duration", {}).get("value") or "")
        duration = parse_snooze(text)
        if duration is None:
            ack(response_action="errors", errors={"snooze": "Write a number and a unit: 4h, 3d or 2w."})
            return
        meta = json.loads(body["view"].get("private_metadata") or "{}")
        result = alert_actions.snooze(
            services.engine,
            services.policies,
            body["user"]["id"],
            int(meta.get("alert_id", 0)),
            services.clock(),
            duration,
        )
        if not result.ok:
            ack(response_action="errors", errors={"snooze": result.message[:150]})
            return
        ack()
        alert_actions.refresh_messages(services.engine, services.notifier, int(meta["alert_id"]))

    @app.action(ids.ALERT_OPEN_CARD)
    def open_card(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        uid = body["user"]["id"]
        try:
            customer_id = int((body.get("actions") or [{}])[0].get("value"))
        except (TypeError, ValueError):
            return
        with services.sessions() as session, session.begin():
            card = build_card(session, services.policies, customer_id, uid, services.clock())
            record(session, uid, "customer.viewed", "customer", customer_id, {"via": "alert"})
        channel = (body.get("channel") or {}).get("id") or uid
        client.chat_postEphemeral(
            channel=channel, user=uid, text=f"Customer card: {card.name}", blocks=card_blocks(card)
        )

    @subcommand("alerts", "— your open alerts (only you see them)")
    def _alerts(ctx: SlashContext) -> None:
        view = alert_actions.open_alerts(services.engine, ctx.user_id)
        ctx.respond(text=f"{len(view.cards)} open alert(s)", blocks=render(view), response_type="ephemeral")

    def my_open_alerts(svc: Services, user_id: str) -> list[Block]:
        return render(alert_actions.open_alerts(svc.engine, user_id, limit=10))

    if my_open_alerts.__name__ not in {f.__name__ for f in HOME_SECTIONS}:
        HOME_SECTIONS.append(my_open_alerts)


def snooze_modal(alert_id: int) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.ALERT_SNOOZE_MODAL,
        "title": {"type": "plain_text", "text": "Snooze alert"},
        "submit": {"type": "plain_text", "text": "Snooze"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"alert_id": alert_id}),
        "blocks": [
            {
                "type": "input",
                "block_id": "snooze",
                "label": {"type": "plain_text", "text": "Snooze for"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "duration",
                    "placeholder": {"type": "plain_text", "text": "4h, 3d or 2w"},
                },
            }
        ],
    }
