"""Questions: mentions, DMs, channel messages (``questions`` mode and thread follow-ups), the message shortcut.

Each listener maps the payload (``inbound``), drops what is not a person asking, and calls one function of
``bot.ask.reply``; the answer goes out through the notifier. Events are acked at once; answering runs after
the ack (Bolt ``lazy``).
"""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.ask import reply
from bot.ask.reply import Asked
from bot.notify import Outbound
from bot.slack import inbound
from bot.slack.inbound import Message
from bot.slack.listeners import channels as customer_channels
from bot.slack.messages import from_bot, is_own, message_text
from bot.slack.views.ask import Help
from bot.slack.wiring import Rapport

log = logging.getLogger(__name__)


def ack_only(ack: Ack) -> None:
    ack()


def _asked(msg: Message, text: str, bot_user: str | None, shared: bool = False) -> Asked:
    reply_ts = msg.thread_ts if msg.is_dm else msg.reply_ts  # a DM is answered where it was asked, not in a thread
    return Asked(
        msg.user,
        msg.channel,
        inbound.question_text(text, bot_user),
        reply_ts,
        msg.thread_ts,
        msg.is_dm,
        shared_externally=shared,
    )


def _ours(msg: Message, context: BoltContext) -> bool:
    """Our own messages, and other apps' (two answer-bots would talk forever)."""
    return is_own(msg.raw, context.bot_user_id, context.bot_id) or from_bot(msg.raw)


def _is_person(msg: Message) -> bool:
    # A question with a file attached, or a reply also sent to the channel, is still a person asking.
    return msg.subtype in (None, "file_share", "thread_broadcast") and not msg.bot_id and bool(msg.user)


# What people say to a bot before they know what to ask ("hi", "help", "what can you do?"), and after an answer
# ("thanks!"): the help and a short reply, not an "I don't know" from the playbooks.
_HELLO = re.compile(
    r"^\W*(?:help|hi|hello|hey|hiya|good (?:morning|afternoon|evening)|what can you do|what do you do|"
    r"who are you|what are you|how do i use (?:you|this|rapport)|commands|usage|what (?:questions |things )?can i ask"
    r"(?: you)?|how does (?:this|it|rapport) work|what(?:'s| is) (?:rapport|this bot|this))\W*(?:rapport)?\W*$",
    re.I,
)
_THANKS = re.compile(r"^\W*(?:thanks?(?: you)?|thank you|thx|ty|cheers|great|perfect|got it|ok(?:ay)?)\W*$", re.I)
WELCOME = "Glad to help. Ask me anything else about a customer or the playbooks."


def _help(r: Rapport, asked: Asked, private: bool) -> None:
    text = r.commands.help_text()
    r.out.send(Outbound(asked.channel, text, Help(text), asked.reply_ts, asked.asker if private else None))


def _small_talk(r: Rapport, asked: Asked, private: bool) -> bool:
    """Help for a greeting or "help", a short reply for thanks; False when the text asks something."""
    if not asked.text or _HELLO.match(asked.text):
        _help(r, asked, private)
        return True
    if _THANKS.match(asked.text):
        r.out.send(Outbound(asked.channel, WELCOME, None, asked.reply_ts, asked.asker if private else None))
        return True
    return False


def on_mention(r: Rapport, event: dict[str, Any], context: BoltContext, body: dict[str, Any]) -> None:
    msg = inbound.message(event)
    if msg is None or _ours(msg, context) or customer_channels.is_outsider(r, msg, body, context):
        return  # our own, another app's, or a member of another organisation's: not ours to answer
    # Shared with another organisation or a customer (issue 16 finding 9): answered privately, saying why.
    shared = not msg.is_dm and customer_channels.shared_with_outsiders(r, msg.channel, body)
    asked = _asked(msg, msg.text, context.bot_user_id, shared)
    try:
        cfg = reply.settings(r.services, msg.channel)
        if _small_talk(r, asked, cfg.ephemeral or shared):
            return
        customer_id, earlier = None, None
        if msg.in_thread and msg.thread_ts:
            parent = partial(_thread_parent, r, msg.channel, msg.thread_ts, context.bot_user_id)
            customer_id, earlier = reply.thread_about(r.services, msg.channel, msg.thread_ts, parent)
        reply.answer(r.services, asked, cfg, customer_id, earlier)
    except Exception as exc:
        reply.report_failure(r.services, exc, asked, "mention")


def _thread_parent(r: Rapport, channel: str, thread_ts: str, bot_user: str | None) -> str:
    """The text of the message that started a thread (a helpdesk bot's ticket, say); "" if it is Rapport's."""
    first = (r.out.thread(channel, thread_ts, limit=1) or [{}])[0]
    return "" if is_own(first, bot_user, None) else inbound.question_text(message_text(first, 1000), bot_user)


def on_message(r: Rapport, event: dict[str, Any], context: BoltContext, body: dict[str, Any]) -> None:
    if customer_channels.customer_message(r, event, body, context):
        return  # a customer or Slack Connect channel: the channels feature tracks it; Ask says nothing there
    if event.get("subtype") == "message_changed":
        edited = inbound.edit(event)
        if edited and _mention_added(edited, context):
            on_mention(r, {**edited.new.raw, "channel": edited.channel}, context, body)
        return
    msg = inbound.message(event)
    if msg is None or not _is_person(msg) or _ours(msg, context):
        return  # deletions, joins, other apps' posts and our own: nothing to answer
    if msg.mentions(context.bot_user_id) and not msg.is_dm:
        return  # a mention: app_mention answers those
    asked = _asked(msg, msg.text, context.bot_user_id)
    try:
        if msg.is_dm:
            if not _small_talk(r, asked, False):
                reply.answer(r.services, asked, None)
        elif not msg.thread_ts:
            reply.in_channel(r.services, asked)
        else:
            if _HELLO.match(asked.text) or _THANKS.match(asked.text):
                return  # "thanks!" under an answer: nothing to answer, and no "I don't know" in the thread
            thread = reply.follow_up(r.services, msg.channel, msg.thread_ts)
            if thread is not None:  # a thread Rapport was not part of: stay quiet
                reply.answer(r.services, asked, reply.settings(r.services, msg.channel), *thread)
    except Exception as exc:
        if msg.is_dm or (msg.thread_ts and _rapport_in_thread(r, msg, context.bot_user_id)):
            reply.report_failure(r.services, exc, asked, "direct message" if msg.is_dm else "thread follow-up")
        else:  # a message that may not have been meant for us: log, do not speak up in a stranger's thread
            log.error("reading a channel message failed", exc_info=exc)


def _mention_added(edited: inbound.Edit, context: BoltContext) -> bool:
    """An edit that adds a mention of Rapport is a question Slack never sent as ``app_mention``; other edits
    (typo fixes of an answered question) change nothing."""
    tag = f"<@{context.bot_user_id}>"
    new = edited.new
    return not new.is_dm and _is_person(new) and tag in new.text and tag not in edited.old_text


def _rapport_in_thread(r: Rapport, msg: Message, bot_user: str | None) -> bool:
    """Whether Rapport posted in this thread, read from Slack (used when the store could not say)."""
    return any(is_own(m, bot_user, None) for m in r.out.thread(msg.channel, msg.thread_ts or msg.ts))


def on_shortcut(r: Rapport, body: dict[str, Any]) -> None:
    """ "Ask Rapport about this message": another app's message keeps its substance in attachments and blocks."""
    sc = inbound.shortcut(body)
    text = inbound.question_text(message_text(sc.message), None)
    shared = customer_channels.shared_with_outsiders(r, sc.channel, body)
    # Offered in every conversation, member or not: where the channel refuses the bot, the response_url answers.
    asked = Asked(sc.user, sc.channel, text, sc.reply_ts, response_url=sc.response_url, shared_externally=shared)
    try:
        reply.answer(r.services, asked, reply.settings(r.services, sc.channel))
    except Exception as exc:
        reply.report_failure(r.services, exc, asked, "message shortcut")


def register(app: App, r: Rapport) -> None:
    app.event("app_mention")(ack=ack_only, lazy=[partial(on_mention, r)])
    app.event("message")(ack=ack_only, lazy=[partial(on_message, r)])
    app.shortcut("ask_about_message")(ack=ack_only, lazy=[partial(on_shortcut, r)])
