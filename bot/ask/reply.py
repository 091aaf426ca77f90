"""Answering where a question was asked: placeholder, answer in its place, the card privately, visible failures.

The Slack listeners hand over plain values (:class:`Asked`); everything from here on goes through the
``Notifier``. A question in a thread Rapport answered before is read with that thread's customer and question
(follow-ups such as "and who owns it?"); a channel's settings decide which playbooks may be cited, whether the
answer is public and who may see customer cards there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.ask import channel_config
from bot.ask.channel_config import ChannelSettings
from bot.ask.models import QuestionLog
from bot.ask.service import Answer, AskError, AskService, RetrievalUnavailable, thread_context
from bot.customers.linking import link_customers
from bot.failures import failure_message, new_reference
from bot.governance.audit import record
from bot.notify import DeliveryError, Notice, Outbound, SentRef
from bot.services import Services

log = logging.getLogger(__name__)
SHARED_NOTE = (
    ":lock: Only you can see this: this channel is shared with people outside the company, so I never post "
    "playbook text, customer cards or alerts in it."
)
SENT_PRIVATELY = ":lock: I've sent you the answer privately: it holds customer fields only some roles may see."


@dataclass(frozen=True)
class Asked:
    """A question and where it was asked; ``text`` has Slack mentions stripped already."""

    asker: str
    channel: str
    text: str
    reply_ts: str | None  # the thread the answer goes in (None: top level of a DM)
    thread_ts: str | None = None  # the thread it was asked in, when it is a reply inside one
    is_dm: bool = False
    # A message shortcut's response_url: where the asker still gets the outcome, privately, when the channel
    # refuses the bot (the shortcut is offered in conversations the bot is not a member of).
    response_url: str | None = None
    # The channel is seen by another organisation or a customer (Slack Connect, a linked customer channel): the
    # listener says so, and nothing is posted there (issue 16 finding 9): the asker alone sees the answer, and why.
    shared_externally: bool = False


@dataclass(frozen=True)
class Working:
    """The placeholder shown while the answer is being composed."""

    question: str


def settings(services: Services, channel: str) -> ChannelSettings:
    """This channel's Ask settings (admin row, channels.yaml, or the conservative defaults)."""
    with services.sessions() as session:
        return channel_config.load(session, channel, services.policies)


def _may_see_card(services: Services, cfg: ChannelSettings, user: str) -> bool:
    member = services.policies.staff(user)
    return cfg.may_see_card(list(member.roles) if member else [])


def answer(
    services: Services,
    asked: Asked,
    cfg: ChannelSettings | None,
    thread_customer: int | None = None,
    earlier: str | None = None,
) -> Answer | None:
    """Answer in the thread: a placeholder, then the answer in its place (or, where answers are private, the
    answer alone, ephemeral). A card with sensitive fields goes to the asker only, and so does an answer that
    states one (the placeholder then says so in the thread). ``cfg`` is None in a DM. ``thread_customer``: the
    customer the thread is about, for a follow-up that names nobody."""
    out = services.notifier
    private = asked.shared_externally or (cfg is not None and cfg.ephemeral)
    where = Outbound(asked.channel, "", thread_ts=asked.reply_ts, ephemeral_user=asked.asker if private else None)
    placeholder: SentRef | None = None
    if not private:  # an ephemeral message cannot be updated in place: no placeholder, the answer comes in one go
        try:
            placeholder = out.send(_with(where, "Looking into it…", Working(asked.text)))
        except DeliveryError:
            log.warning("no placeholder in %s; the outcome will be posted without it", asked.channel, exc_info=True)
    paths = channel_config.search_paths(cfg, services.settings.playbooks_dir) if cfg else None
    shows_cards = cfg is None or _may_see_card(services, cfg, asked.asker)
    try:
        result = AskService(services).answer(
            asked.text,
            asked.asker,
            asked.channel,
            asked.reply_ts,
            earlier=earlier,
            paths=paths,
            thread_customer=thread_customer,
            show_record=shows_cards,
        )
    except AskError as exc:
        _show(services, asked, placeholder, _with(where, str(exc), Notice(str(exc), warning=True)))
        return None
    except Exception as exc:
        ref = new_reference()
        what = "playbook search unavailable" if isinstance(exc, RetrievalUnavailable) else "answering failed"
        log.exception("%s (reference %s)", what, ref)
        msg = failure_message(exc, ref)
        _show(services, asked, placeholder, _with(where, msg, Notice(msg)))
        return None
    if not shows_cards:
        result.customer = None  # this channel shows cards to some roles only
    result.card_inline = asked.is_dm or private or not result.private_card
    fallback = result.text[:300] if result.answered else "I don't know; see the playbook owner."
    if result.sensitive and not (asked.is_dm or private):
        # The answer states a field only some roles may see: the asker alone sees it, the thread sees why.
        _show(services, asked, placeholder, _with(where, SENT_PRIVATELY, Notice(SENT_PRIVATELY)))
        placeholder, where = None, Outbound(asked.channel, "", thread_ts=asked.reply_ts, ephemeral_user=asked.asker)
        result.card_inline = True
    _show(services, asked, placeholder, _with(where, fallback, result))
    if result.customer and not result.card_inline:
        card = Outbound(
            asked.channel, f"Customer card: {result.customer.name}", result.customer, asked.reply_ts, asked.asker
        )
        _show(services, asked, None, card)
    if asked.shared_externally:
        why = SHARED_NOTE
        _show(services, asked, None, Outbound(asked.channel, why, Notice(why), asked.reply_ts, asked.asker))
    return result


def _with(where: Outbound, text: str, view: object) -> Outbound:
    return Outbound(where.channel, text, view, where.thread_ts, where.ephemeral_user, where.response_url)


def _show(services: Services, asked: Asked, placeholder: SentRef | None, message: Outbound) -> None:
    """Show an outcome whatever the Web API does; if nothing can be shown, tell the asker privately."""
    try:
        services.notifier.replace(placeholder, message)
        return
    except DeliveryError:
        pass
    if asked.response_url and _privately(services, asked, message):
        return
    ref = new_reference()
    log.error("could not show the outcome in %s to %s (reference %s)", asked.channel, asked.asker, ref)
    text = f":warning: Slack refused my reply here (reference `{ref}`). Please try again."
    try:
        services.notifier.send(Outbound(asked.channel, text, None, asked.reply_ts, asked.asker))
    except DeliveryError:
        log.exception("the asker could not be told either (reference %s)", ref)


def _privately(services: Services, asked: Asked, message: Outbound) -> bool:
    """The outcome through the interaction's response_url, seen by the asker only, and why it came that way."""
    url = asked.response_url
    note = (
        ":lock: Only you can see this: I can't post in this conversation (am I a member? `/invite @rapport` "
        "to have answers here)."
    )
    try:
        services.notifier.send(Outbound(message.channel, message.text, message.view, None, asked.asker, url))
        services.notifier.send(Outbound(message.channel, note, Notice(note), None, asked.asker, url))
        return True
    except DeliveryError:
        log.warning("could not answer %s through the response_url either", asked.asker, exc_info=True)
        return False


def report_failure(services: Services, exc: BaseException, asked: Asked, what: str) -> str:
    """A handler failed before it could answer: log with a reference id and tell the asker where they asked."""
    ref = new_reference()
    log.error("%s failed (reference %s)", what, ref, exc_info=exc)
    msg = failure_message(exc, ref)
    private = asked.asker if asked.shared_externally else None
    _show(services, asked, None, Outbound(asked.channel, msg, Notice(msg), asked.reply_ts, private))
    return ref


def thread_about(
    services: Services, channel: str, thread_ts: str, parent: Callable[[], str]
) -> tuple[int | None, str | None]:
    """What a thread is about, for a short question asked in it: Rapport's earlier question and customer, or the
    text of the message that started it (``parent`` reads it, e.g. a helpdesk bot's ticket) and its customer."""
    with services.sessions() as session:
        prior = thread_context(session, channel, thread_ts)
        if prior is not None:
            return prior.customer_id, prior.question
        text = parent()
        if not text:
            return None, None
        linked = link_customers(session, text)
        return (linked.primary.id if linked.primary else None), text


def follow_up(services: Services, channel: str, thread_ts: str) -> tuple[int | None, str] | None:
    """The thread's customer and last question when Rapport answered in it; None when the thread is not Rapport's."""
    with services.sessions() as session:
        prior = thread_context(session, channel, thread_ts)
    return None if prior is None else (prior.customer_id, prior.question)


def in_channel(services: Services, asked: Asked) -> Answer | None:
    """A top-level channel message: answered only where admins asked for it (``questions`` mode)."""
    cfg = settings(services, asked.channel)
    if cfg.mode == "questions" and not cfg.quiet and channel_config.looks_like_question(asked.text):
        return answer(services, asked, cfg)
    return None


def privately(services: Services, question: str, asker: str, channel: str) -> Answer:
    """``/rapport ask``: the same answer for the asker only, within the channel's playbook collections."""
    cfg = settings(services, channel)
    paths = channel_config.search_paths(cfg, services.settings.playbooks_dir)
    shows_cards = _may_see_card(services, cfg, asker)
    result = AskService(services).answer(question, asker, channel, paths=paths, show_record=shows_cards)
    if not shows_cards:
        result.customer = None
    return result


NOT_YOURS = (
    "That button belongs to an answer to someone else's question, asked where you are not. "
    "Ask me yourself and I'll answer you."
)


@dataclass(frozen=True)
class Clicked:
    """The logged question a button under an answer acts on (``question``), or why the clicker may not (``refusal``)."""

    question: str = ""
    thread_ts: str | None = None
    refusal: str | None = None


def clicked_question(services: Services, question_id: int | None, clicker: str, channel: str, action: str) -> Clicked:
    """A button under an answer acts on the question it answered, for the person who asked it or anyone in the
    channel it was asked in (whoever clicks there can read it). Anyone else is refused, privately, and the
    refusal is audited: a button value is only an id, and ids are easy to guess."""
    with services.sessions() as session, session.begin():
        logged = session.get(QuestionLog, question_id) if question_id else None
        if logged is None:
            return Clicked()
        if logged.asker == clicker or (channel and logged.channel == channel):
            return Clicked(logged.question, logged.thread_ts)
        record(session, clicker, "ask.click_refused", "question", logged.id, {"action": action, "channel": channel})
        return Clicked(refusal=NOT_YOURS)


def pick_customer(
    services: Services,
    question_id: int | None,
    customer_id: int | None,
    clicker: str,
    channel: str,
    message_ts: str | None,
    response_url: str | None,
) -> str | None:
    """A click on "which customer do you mean?": answer the logged question again for that customer, in place.
    Returns a refusal to show the clicker privately when the question is not theirs to act on.

    A click on an ephemeral answer carries no message to update: the answer replaces it through the
    interaction's response_url instead."""
    clicked = clicked_question(services, question_id, clicker, channel, "pick_customer")
    if clicked.refusal or not clicked.question or not customer_id:
        return clicked.refusal
    question, thread_ts = clicked.question, clicked.thread_ts
    cfg = settings(services, channel)
    shows_cards = _may_see_card(services, cfg, clicker)
    result = AskService(services).answer(
        question, clicker, channel, thread_ts, customer_id=customer_id, show_record=shows_cards
    )
    if not shows_cards:
        result.customer = None
    ephemeral = message_ts is None
    result.card_inline = ephemeral or not result.private_card
    text = result.text[:300] or "I don't know."
    if result.sensitive and not ephemeral:  # a field only some roles may see: to the clicker alone
        services.notifier.update(SentRef(channel, message_ts or ""), Outbound(channel, SENT_PRIVATELY))
        result.card_inline = True
        services.notifier.send(Outbound(channel, text, result, thread_ts, clicker))
        return None
    if ephemeral:
        private = Outbound(channel, text, result, thread_ts, clicker, response_url, replace_original=bool(response_url))
        services.notifier.send(private)
    else:
        services.notifier.update(SentRef(channel, message_ts or ""), Outbound(channel, text, result))
    return None
