"""Customer channels: messages (routed here from ``listeners.ask``, which owns the ``message`` event), reactions,
channels shared or joined, the link proposals' buttons, the "Customer context" shortcut, ``/rapport channel``.

Every reply goes to one staff member privately (ephemeral, the response_url, or a DM): nothing is posted in a
customer channel. Slack's payloads are read here (``inbound``); the work is ``bot.channels``'.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.alerts.actions import refresh_messages
from bot.ask.customer_context import customer_context
from bot.channels import facts, links, people, proposals
from bot.channels.complaints import Detector
from bot.channels.reactions import Reacted, react
from bot.channels.tracking import Posted, Tracker
from bot.notify import Outbound
from bot.slack import ids, inbound
from bot.slack.inbound import Command
from bot.slack.messages import from_bot, is_own, message_text
from bot.slack.wiring import Rapport

log = logging.getLogger(__name__)


@dataclass
class State:
    """Per app: the tracker (its per-process rate limiter) and the complaint detector (its model)."""

    tracker: Tracker
    detector: Detector


_STATE: dict[int, State] = {}


def state(r: Rapport) -> State:
    found = _STATE.get(id(r))
    if found is None:
        found = _STATE[id(r)] = State(Tracker(r.services), Detector(r.services))
    return found


def ack_only(ack: Ack) -> None:
    ack()


def _home(body: dict[str, Any], context: BoltContext | None) -> str | None:
    return inbound.home_team(body) or (context.team_id if context is not None else None)


# ---- messages (called by listeners.ask.on_message, first) -------------------------------------------------
def customer_message(r: Rapport, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> bool:
    """Track a message event of a customer or shared channel. True: the channel is one Rapport must stay
    silent in (Ask does nothing more with plain messages there)."""
    try:
        return _customer_message(r, event, body, context)
    except Exception:
        log.exception("tracking a channel message failed")  # never a word in the channel; the next one retries
        return facts.shared_externally(r.services, str(event.get("channel") or ""), inbound.ext_shared(body))


def _customer_message(r: Rapport, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> bool:
    st = state(r)
    subtype = event.get("subtype")
    if subtype == "message_changed":
        edited = inbound.edit(event)
        if edited is not None:
            st.tracker.edited(edited.channel, edited.new.ts, edited.new.text)
        return False  # an edit that adds a mention is still Ask's (answered privately where shared)
    if subtype == "message_deleted":
        deleted = str(event.get("deleted_ts") or "")
        if deleted and event.get("channel"):
            st.tracker.deleted(str(event["channel"]), deleted)
        return False
    msg = inbound.message(event)
    if msg is None or msg.is_dm:
        return False
    bot = bool(msg.bot_id) or from_bot(msg.raw) or is_own(msg.raw, context.bot_user_id, context.bot_id)
    posted = Posted(
        channel=msg.channel,
        ts=msg.ts,
        user=msg.user,
        text=message_text(msg.raw),
        thread_ts=msg.thread_ts,
        subtype=msg.subtype,
        bot=bot,
        team=msg.user_team,
        home_team=_home(body, context),
        ext_shared=inbound.ext_shared(body),
        files=msg.files,
        mentions_bot=msg.mentions(context.bot_user_id),
    )
    tracked = st.tracker.track(posted, r.out)
    st.detector.submit(tracked, msg.channel, msg.ts)  # complaint check on its own thread, after the clock
    return tracked.owned


def shared_with_outsiders(r: Rapport, channel: str, body: dict[str, Any]) -> bool:
    """For Ask (issue 16 finding 9): whether ``channel`` is seen by another organisation or a customer."""
    try:
        return facts.shared_externally(r.services, channel, inbound.ext_shared(body)) or facts.posting_forbidden(
            r.services, channel
        )
    except Exception:
        log.exception("could not tell whether %s is shared; treating it as shared", channel)
        return True


def is_outsider(r: Rapport, msg: inbound.Message, body: dict[str, Any], context: BoltContext) -> bool:
    """A member of another organisation, or one of our guests in a shared channel: Ask answers staff only there."""
    home = _home(body, context)
    if msg.user_team and home and msg.user_team != home:
        return True
    if msg.is_dm or not shared_with_outsiders(r, msg.channel, body):
        return False
    try:
        return people.is_customer_side(r.services, r.out, msg.user, msg.user_team, home)
    except Exception:
        log.exception("could not tell who %s is; not answering in a shared channel", msg.user)
        return True


# ---- reactions, shared channels, joins ------------------------------------------------------------------
def on_reaction(r: Rapport, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    found = inbound.reaction(event)
    if found is None or not found.user or found.user == context.bot_user_id:
        return
    reacted = Reacted(found.channel, found.ts, found.user, found.name, found.item_user, _home(body, context))
    outcome = react(r.services, reacted, r.out)
    log.info("reaction %s on %s/%s: %s %s", found.name, found.channel, found.ts, outcome.action, outcome.reason)
    if outcome.ticket is not None:
        text = f"Ticket #{outcome.ticket.ticket_id} for {outcome.ticket.customer}"
        r.tell(found.user, found.channel, text, outcome.ticket)


def on_joined(r: Rapport, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    found = inbound.joined(event)
    if found is None:
        return
    home = _home(body, context)
    if event.get("type") == "member_joined_channel" and found.user != context.bot_user_id:
        if not found.team or found.team == home:
            return  # a colleague joined: nothing new about who the channel is shared with
        sent = proposals.discover(r.services, found.channel, r.out, home, member=found.user)
    else:  # the channel was shared with another organisation, or Rapport joined it
        sent = proposals.discover(r.services, found.channel, r.out, home)
    if sent:
        log.info("proposed %d link(s) for %s", len(sent), found.channel)


# ---- proposals' buttons ----------------------------------------------------------------------------------
def on_decision(accept: bool, r: Rapport, body: dict[str, Any]) -> None:
    click = inbound.click(body)
    proposal_id = click.ref("p")
    if proposal_id is None:
        return
    decided = proposals.decide(r.services, proposal_id, click.user, accept)
    if decided.proposal is not None:
        for ref in decided.shown:
            try:
                r.out.update(ref, Outbound(ref.channel, decided.message, decided.proposal))
            except Exception:
                log.warning("could not update proposal message %s", ref, exc_info=True)
    r.tell(click.user, click.channel or click.user, decided.message)


# ---- the shortcut and the command -------------------------------------------------------------------------
def on_context(r: Rapport, body: dict[str, Any]) -> None:
    sc = inbound.shortcut(body)
    try:
        view = customer_context(r.services, sc.channel, message_text(sc.message), sc.user)
        title = f"Customer context: {view.customer}" if view.customer else "Customer context"
        r.tell(sc.user, sc.channel, title, view, response_url=sc.response_url)
    except Exception as exc:
        r.failed(exc, "customer context", sc.user, sc.channel, response_url=sc.response_url)


def channel_command(r: Rapport, cmd: Command) -> None:
    word, _, rest = cmd.rest.partition(" ")
    word = word.lower()
    if word == "link":
        result = links.link(r.services, cmd.channel, rest, cmd.user, r.out, cmd.team)
    elif word == "unlink":
        result, alerts = links.unlink(r.services, cmd.channel, cmd.user)
        for alert_id in alerts:
            refresh_messages(r.services.engine, r.services.notifier, alert_id)
    elif word in ("", "show"):
        result = links.status(r.services, cmd.channel)
    else:
        r.tell(
            cmd.user,
            cmd.channel,
            "Try `/rapport channel show`, `link CUSTOMER` or `unlink`.",
            response_url=cmd.response_url,
        )
        return
    r.tell(cmd.user, cmd.channel, result.message or "Customer channel", result, response_url=cmd.response_url)


def register(app: App, r: Rapport) -> None:
    state(r)
    app.event("reaction_added")(ack=ack_only, lazy=[partial(on_reaction, r)])
    app.event("channel_shared")(ack=ack_only, lazy=[partial(on_joined, r)])
    app.event("member_joined_channel")(ack=ack_only, lazy=[partial(on_joined, r)])
    app.action(ids.CHANNEL_LINK_ACCEPT)(ack=ack_only, lazy=[partial(on_decision, True, r)])
    app.action(ids.CHANNEL_LINK_DECLINE)(ack=ack_only, lazy=[partial(on_decision, False, r)])
    app.shortcut(ids.CUSTOMER_CONTEXT)(ack=ack_only, lazy=[partial(on_context, r)])
    r.commands.add(
        "channel",
        "[show | link CUSTOMER | unlink] — the customer this channel is shared with (admins link)",
        partial(channel_command, r),
    )
