"""What the hand-off buttons do: Escalate / Get a person under an answer, Claim / Resolved on the hand-off.

Each function records the change (``bot.ask.handoff``), posts or updates the Slack side through the
``Notifier`` and returns the sentence the clicker sees privately.
"""

from __future__ import annotations

import logging

from bot.ask.handoff import HandoffError, HandoffState, claim, plan_handoff, posted, resolve
from bot.ask.reply import clicked_question
from bot.failures import new_reference
from bot.mrkdwn import channel_link, mention
from bot.notify import DeliveryError, Outbound, SentRef
from bot.services import Services

log = logging.getLogger(__name__)


def hand_off(
    services: Services,
    question_id: int | None,
    requester: str,
    person: bool,
    source_channel: str | None,
    source_ts: str | None,
) -> str:
    """Plan, record and post the hand-off to its channel; the sentence tells the requester what happened (or,
    for a question that is not theirs to hand off, why not)."""
    action = "get_person" if person else "escalate"
    clicked = clicked_question(services, question_id, requester, source_channel or "", action)
    if clicked.refusal:
        return clicked.refusal
    # A click on an ephemeral answer names no thread (nothing can reply to an ephemeral message): the
    # question's own thread is the one to link and to tell when someone picks it up.
    source_ts = source_ts or clicked.thread_ts
    try:
        h = plan_handoff(services, question_id or 0, requester, person, source_channel, source_ts)
    except HandoffError as exc:
        return str(exc)
    try:
        sent = services.notifier.send(Outbound(h.channel, f"Hand-off: {h.question[:200]}", view=h))
    except DeliveryError as exc:
        return f"I couldn't post to {channel_link(h.channel)} ({exc}). Please tell {mention(h.tag)} directly."
    posted(services, h.id, sent.channel or h.channel, sent.ts)
    due = f" They have until {h.due_at:%H:%M} UTC to pick it up." if h.due_at else ""
    return f"Handed over to {mention(h.tag)} in {channel_link(h.channel)} with the full context.{due}"


def take(services: Services, handoff_id: int | None, clicker: str, resolving: bool) -> str:
    """Claim or resolve (who may is checked in ``bot.ask.handoff``); the message and the thread are told."""
    try:
        hid = handoff_id or 0
        result = resolve(services, hid, clicker) if resolving else claim(services, hid, clicker)
        if result.changed and result.state is not None:
            note = (
                f":white_check_mark: {mention(clicker)} resolved the hand-off."
                if resolving
                else f":raising_hand: {mention(clicker)} has picked this up and will reply here."
            )
            _show(services, result.state, note)
        return result.message
    except Exception:
        ref = new_reference()
        log.exception("hand-off %s failed (reference %s)", "resolve" if resolving else "claim", ref)
        return f":warning: That didn't work (reference `{ref}`). Please try again."


def _show(services: Services, state: HandoffState, note: str) -> None:
    """Update the hand-off message in place and tell the original thread."""
    if state.message_ts:
        services.notifier.update(
            SentRef(state.channel, state.message_ts), Outbound(state.channel, f"Hand-off {state.state}", view=state)
        )
    if state.source_channel and state.source_ts:
        services.notifier.send(Outbound(state.source_channel, note, thread_ts=state.source_ts))
