"""Alert buttons (Ack, Snooze 1d/7d/custom, Assign to me / to someone, Open card), the snooze modal and
``/rapport alerts``.

Every click is acked at once; the state change runs after the ack (Bolt ``lazy``). The acting user is the one in
the signed payload; ``bot.alerts.actions`` refuses anyone not on the staff roster. After a change, every message
showing the alert (single alert or digest part) is re-rendered in place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.alerts import actions
from bot.alerts.views import ActionResult
from bot.customers.card import view_card
from bot.services import Services
from bot.slack import ids, inbound
from bot.slack.inbound import Click, Command
from bot.slack.views.alerts import snooze_modal
from bot.slack.wiring import Rapport

SNOOZE_UNITS = {"h": 3600, "d": 86400, "w": 604800}
Change = Callable[[Services, Click, int], ActionResult | None]


def parse_snooze(text: str) -> dt.timedelta | None:
    """``4h``, ``3d``, ``2w`` -> timedelta; None when unreadable."""
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in SNOOZE_UNITS or not text[:-1].isdigit():
        return None
    return dt.timedelta(seconds=int(text[:-1]) * SNOOZE_UNITS[text[-1]])


def alert_of(click: Click) -> int | None:
    """The alert a click is about: the button's id, or for the user picker (no value) its block id."""
    return click.ref("a") or (int(click.block_id[6:]) if click.block_id[6:].isdigit() else None)


def ack_only(ack: Ack) -> None:
    ack()


def changed(change: Change, r: Rapport, body: dict[str, Any]) -> None:
    click = inbound.click(body)
    alert_id = alert_of(click)
    if alert_id is None:
        return
    result = change(r.services, click, alert_id)
    if result is None:
        return
    if not result.ok:
        r.tell(click.user, click.channel, result.message)
    elif result.card is not None:
        actions.refresh_messages(r.services.engine, r.services.notifier, result.card.alert_id)


def ack(s: Services, click: Click, alert_id: int) -> ActionResult:
    return actions.ack(s.engine, s.policies, click.user, alert_id, s.clock())


def snooze(days: int, s: Services, click: Click, alert_id: int) -> ActionResult:
    return actions.snooze(s.engine, s.policies, click.user, alert_id, s.clock(), dt.timedelta(days=days))


def assign_me(s: Services, click: Click, alert_id: int) -> ActionResult:
    return actions.assign(s.engine, s.policies, click.user, alert_id, click.user, s.clock())


def assign_user(s: Services, click: Click, alert_id: int) -> ActionResult | None:
    if not click.selected_user:
        return None
    return actions.assign(s.engine, s.policies, click.user, alert_id, click.selected_user, s.clock())


def open_snooze_modal(r: Rapport, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    click = inbound.click(body)
    if click.trigger_id:
        r.out.open_modal(click.trigger_id, snooze_modal(alert_of(click) or 0))


def submit_snooze(r: Rapport, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    sub = inbound.submission(body, view)
    duration = parse_snooze(sub.values.get("snooze", ""))
    if duration is None:
        ack(response_action="errors", errors={"snooze": "Write a number and a unit: 4h, 3d or 2w."})
        return
    alert_id = sub.ref("alert_id") or 0
    s = r.services
    result = actions.snooze(s.engine, s.policies, sub.user, alert_id, s.clock(), duration)
    if not result.ok:
        ack(response_action="errors", errors={"snooze": result.message[:150]})
        return
    ack()
    actions.refresh_messages(s.engine, s.notifier, alert_id)


def open_card(r: Rapport, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    click = inbound.click(body)
    customer_id = click.ref("c")
    if customer_id is None:
        return
    card = view_card(r.services, customer_id, click.user, via="alert")
    r.tell(click.user, click.channel or click.user, f"Customer card: {card.name}", card)


def my_alerts(r: Rapport, cmd: Command) -> None:
    view = actions.open_alerts(r.services.engine, cmd.user)
    r.tell(cmd.user, cmd.channel, f"{len(view.cards)} open alert(s)", view, response_url=cmd.response_url)


def register(app: App, r: Rapport) -> None:
    app.action(ids.ALERT_ACK)(ack=ack_only, lazy=[partial(changed, ack, r)])
    app.action(ids.ALERT_SNOOZE_1D)(ack=ack_only, lazy=[partial(changed, partial(snooze, 1), r)])
    app.action(ids.ALERT_SNOOZE_7D)(ack=ack_only, lazy=[partial(changed, partial(snooze, 7), r)])
    app.action(ids.ALERT_ASSIGN_ME)(ack=ack_only, lazy=[partial(changed, assign_me, r)])
    app.action(ids.ALERT_ASSIGN_USER)(ack=ack_only, lazy=[partial(changed, assign_user, r)])
    app.action(ids.ALERT_SNOOZE_CUSTOM)(partial(open_snooze_modal, r))
    app.view(ids.ALERT_SNOOZE_MODAL)(partial(submit_snooze, r))
    app.action(ids.ALERT_OPEN_CARD)(partial(open_card, r))
    r.commands.add("alerts", "— your open alerts (only you see them)", partial(my_alerts, r))
