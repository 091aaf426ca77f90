"""The buttons under an answer (Helpful / Not helpful and its reason modal, Which customer?, Escalate, Get a
person) and ``/rapport ask|customer``. A click that fails tells the clicker privately, with a reference id."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.ask import escalate, feedback, reply
from bot.ask.service import AskError
from bot.customers.card import find_card
from bot.slack import ids, inbound
from bot.slack.inbound import Click, Command
from bot.slack.views.ask import feedback_reason_modal
from bot.slack.wiring import Rapport

log = logging.getLogger(__name__)


def _visible(r: Rapport, what: str, handler: Callable[[Rapport, Click], None]) -> Callable[..., None]:
    def run(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        click = inbound.click(body)
        try:
            handler(r, click)
        except Exception as exc:
            r.failed(exc, what, click.user, click.channel, thread_ts=click.thread_ts)

    return run


def rate(helpful: bool, r: Rapport, click: Click) -> None:
    rating = feedback.rate(r.services, click.ref("q"), click.user, helpful)
    if rating.wants_reason and click.trigger_id:
        try:  # the reason is optional: the vote above already counts without it
            r.out.open_modal(click.trigger_id, feedback_reason_modal(click.ref("q") or 0))
        except Exception:
            log.warning("could not open the feedback reason modal", exc_info=True)
    r.tell(click.user, click.channel, rating.message, thread_ts=click.thread_ts)


def on_reason(r: Rapport, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    """The optional "why not helpful?" modal: the reason joins the user's vote (the vote already counted)."""
    ack()
    sub = inbound.submission(body, view)
    feedback.give_reason(r.services, sub.ref("q"), sub.user, sub.values.get("reason", ""))


def pick_customer(r: Rapport, click: Click) -> None:
    refusal = reply.pick_customer(
        r.services, click.ref("q"), click.refs.get("c"), click.user, click.channel, click.message_ts, click.response_url
    )
    if refusal:
        r.tell(click.user, click.channel, refusal, thread_ts=click.thread_ts)


def hand_off(person: bool, r: Rapport, click: Click) -> None:
    said = escalate.hand_off(r.services, click.ref("q"), click.user, person, click.channel, click.reply_thread)
    r.tell(click.user, click.channel, said, thread_ts=click.thread_ts)


def ask_privately(r: Rapport, cmd: Command) -> None:
    try:
        answer = reply.privately(r.services, cmd.rest, cmd.user, cmd.channel)
    except AskError as exc:
        r.tell(cmd.user, cmd.channel, str(exc), response_url=cmd.response_url)
        return
    r.tell(cmd.user, cmd.channel, answer.text[:300] or "I don't know.", answer, response_url=cmd.response_url)


def show_card(r: Rapport, cmd: Command) -> None:
    found = find_card(r.services, cmd.rest, cmd.user)
    if found.card is None:
        r.tell(cmd.user, cmd.channel, found.message, response_url=cmd.response_url)
        return
    r.tell(cmd.user, cmd.channel, f"Customer card: {found.card.name}", found.card, response_url=cmd.response_url)


def register(app: App, r: Rapport) -> None:
    app.action(ids.ASK_FEEDBACK_UP)(_visible(r, "feedback", partial(rate, True)))
    app.action(ids.ASK_FEEDBACK_DOWN)(_visible(r, "feedback", partial(rate, False)))
    app.view(ids.FEEDBACK_MODAL)(partial(on_reason, r))
    app.action(re.compile(rf"^{ids.ASK_PICK_CUSTOMER}_\d+$"))(_visible(r, "customer choice", pick_customer))
    app.action(ids.ASK_ESCALATE)(_visible(r, "escalation", partial(hand_off, False)))
    app.action(ids.ASK_GET_PERSON)(_visible(r, "hand-off", partial(hand_off, True)))
    r.commands.add(
        "ask",
        "QUESTION — answer from the playbooks and the customer record (only you see it)",
        partial(ask_privately, r),
    )
    r.commands.add(
        "customer", "NAME — the customer's card, redacted for your role (only you see it)", partial(show_card, r)
    )
