"""Mentions, DMs, ``/rapport ask|customer|help`` and the buttons on an answer."""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import OperationalError

from bot.ask import channel_config
from bot.ask.channel_config import ChannelSettings
from bot.ask.feedback import record_feedback
from bot.ask.models import QuestionLog
from bot.ask.service import Answer, AskError, AskService, RetrievalUnavailable, thread_context
from bot.customers.card import build_card
from bot.customers.linking import link_customers
from bot.governance.audit import record
from bot.services import Services
from bot.slack import ids
from bot.slack.commands import HELP_LINES, SUBCOMMANDS, SlashContext, help_text, subcommand
from bot.slack.handoff import post_handoff
from bot.slack.messages import from_bot, is_own, message_text
from bot.slack.views import render
from bot.slack.views.ask import answer_blocks, card_blocks, feedback_reason_modal, help_blocks, working_blocks
from bot.slack.views.common import error_blocks, section

log = logging.getLogger(__name__)
MENTION = re.compile(r"<@[UW][A-Z0-9]+>")
THREAD_READ_LIMIT = 50  # replies read to decide whether a thread is Rapport's: bounded, whatever its length


def new_reference() -> str:
    """A short id shown to the user and logged with the traceback, so support can find the failure."""
    return uuid.uuid4().hex[:8]


def failure_message(exc: BaseException, ref: str, doing: str = "answer that") -> str:
    if isinstance(exc, RetrievalUnavailable):
        what = "I can't search the playbooks right now. Please try again in a minute, or ask the playbook owner."
    elif isinstance(exc, OperationalError):
        what = f"My database is busy or unavailable right now, so I couldn't {doing}. Please try again in a minute."
    else:
        what = f"Sorry, I couldn't {doing} just now. Please try again in a minute."
    return f":warning: {what} (reference `{ref}`)"


def strip_mentions(text: str) -> str:
    return MENTION.sub(" ", text or "").strip()


def _value(body: dict[str, Any]) -> dict[str, Any]:
    raw = body.get("actions", [{}])[0].get("value", "")
    try:
        v = json.loads(raw)
    except (TypeError, ValueError):
        return {"q": int(raw)} if str(raw).isdigit() else {}
    return v if isinstance(v, dict) else {"q": v}


class AskResponder:
    """Posts a 'working' placeholder, then the answer in its place; failures become a visible message."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.ask = AskService(services)

    def settings(self, channel: str) -> ChannelSettings:
        """This channel's Ask settings (admin row, channels.yaml, or the conservative defaults)."""
        with self.services.sessions() as session:
            return channel_config.load(session, channel, self.services.policies)

    def may_see_card(self, cfg: ChannelSettings, user: str) -> bool:
        member = self.services.policies.staff(user)
        return cfg.may_see_card(list(member.roles) if member else [])

    def in_thread(
        self,
        client: WebClient,
        user: str,
        channel: str,
        thread_ts: str | None,
        text: str,
        is_dm: bool = False,
        customer_id: int | None = None,
        earlier: str | None = None,
        cfg: ChannelSettings | None = None,
    ) -> Answer | None:
        """``cfg``: the channel's settings (None in a DM): which playbooks, public or only for the asker, cards."""
        question = strip_mentions(text)
        private = cfg is not None and cfg.ephemeral
        if not question:
            if private:
                client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=help_text())
            else:
                client.chat_postMessage(
                    channel=channel, thread_ts=thread_ts, text=help_text(), blocks=help_blocks(help_text())
                )
            return None
        paths = channel_config.search_paths(cfg, self.services.settings.playbooks_dir) if cfg else None
        if private:
            # An ephemeral message cannot be updated in place: no placeholder, the answer comes in one go.
            def show(text: str, blocks: list[dict[str, Any]]) -> None:
                self.show(client, user, channel, thread_ts, text, blocks, private=True)

        else:
            ts: str | None = None
            try:
                placeholder = client.chat_postMessage(
                    channel=channel, thread_ts=thread_ts, text="Looking into it…", blocks=working_blocks(question)
                )
                ts = str(placeholder["ts"])
            except (SlackApiError, OSError):
                log.warning("no placeholder in %s; the outcome will be posted without it", channel, exc_info=True)

            def show(text: str, blocks: list[dict[str, Any]]) -> None:
                self.show(client, user, channel, thread_ts, text, blocks, ts)

        try:
            answer = self.ask.answer(
                question, user, channel, thread_ts, customer_id=customer_id, earlier=earlier, paths=paths
            )
        except AskError as exc:
            show(str(exc), error_blocks(str(exc)))
            return None
        except Exception as exc:
            ref = new_reference()
            what = "playbook search unavailable" if isinstance(exc, RetrievalUnavailable) else "answering failed"
            log.exception("%s (reference %s)", what, ref)
            msg = failure_message(exc, ref)
            show(msg, [section(msg)])
            return None
        if cfg is not None and answer.customer and not self.may_see_card(cfg, user):
            answer.customer = None  # this channel shows cards to some roles only
        fallback = answer.text[:300] if answer.answered else "I don't know; see the playbook owner."
        show(fallback, answer_blocks(answer, include_card=is_dm or private or not answer.private_card))
        if answer.private_card and not is_dm and not private and answer.customer:
            self.show(
                client,
                user,
                channel,
                thread_ts,
                f"Customer card: {answer.customer.name}",
                card_blocks(answer.customer),
                private=True,
            )
        return answer

    def show(
        self,
        client: WebClient,
        user: str,
        channel: str,
        thread_ts: str | None,
        text: str,
        blocks: list[dict[str, Any]],
        placeholder_ts: str | None = None,
        private: bool = False,
    ) -> None:
        """Show an outcome whatever the Web API does: update the placeholder, else post anew, else plain text,
        else tell the asker privately with a reference id. Each step is tried after the SDK's own retries."""
        steps: list[tuple[str, Any]] = []
        if private:
            steps.append(
                (
                    "ephemeral",
                    lambda: client.chat_postEphemeral(
                        channel=channel, user=user, thread_ts=thread_ts, text=text, blocks=blocks
                    ),
                )
            )
        else:
            if placeholder_ts:
                steps.append(
                    ("update", lambda: client.chat_update(channel=channel, ts=placeholder_ts, text=text, blocks=blocks))
                )
            steps.append(
                (
                    "post",
                    lambda: client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks),
                )
            )
            steps.append(
                ("post text", lambda: client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text[:3000]))
            )
        for name, step in steps:
            try:
                step()
            except (SlackApiError, OSError) as exc:  # OSError: Slack unreachable after the SDK's retries
                error = exc.response.get("error") if isinstance(exc, SlackApiError) else exc
                log.warning("chat %s failed in %s: %s", name, channel, error)
                continue
            if placeholder_ts and name != "update":
                try:  # the reply went out anew: do not leave "Looking into it…" behind
                    client.chat_delete(channel=channel, ts=placeholder_ts)
                except SlackApiError:
                    log.info("placeholder %s left in %s", placeholder_ts, channel)
            return
        ref = new_reference()
        log.error("could not show the outcome in %s to %s (reference %s)", channel, user, ref)
        try:
            client.chat_postEphemeral(
                channel=channel,
                user=user,
                thread_ts=thread_ts,
                text=f":warning: Slack refused my reply here (reference `{ref}`). Please try again.",
            )
        except (SlackApiError, OSError):
            log.exception("the asker could not be told either (reference %s)", ref)

    def report_failure(
        self, client: WebClient, exc: BaseException, user: str, channel: str, thread_ts: str | None, what: str
    ) -> str:
        """A handler failed before it could answer: log with a reference id and tell the user where they asked."""
        ref = new_reference()
        log.error("%s failed (reference %s)", what, ref, exc_info=exc)
        msg = failure_message(exc, ref)
        self.show(client, user, channel, thread_ts, msg, [section(msg)])
        return ref

    def thread_parent(self, client: WebClient, channel: str, thread_ts: str, bot_user: str | None) -> dict[str, Any]:
        """The first message of a thread (read through the Web API, bounded); {} if unreadable or Rapport's own."""
        try:
            resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=1)
        except SlackApiError:
            log.warning("could not read thread %s in %s", thread_ts, channel, exc_info=True)
            return {}
        messages = resp.get("messages") or []
        parent = messages[0] if messages else {}
        return {} if is_own(parent, bot_user, None) else parent

    def joined(self, client: WebClient, channel: str, thread_ts: str, bot_user: str | None) -> bool:
        """Whether Rapport posted in this thread, from the Web API (used when the store cannot say)."""
        try:
            resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=THREAD_READ_LIMIT)
        except SlackApiError:
            return False
        return any(is_own(m, bot_user, None) for m in resp.get("messages") or [])


def register(app: App, services: Services) -> None:
    responder = AskResponder(services)

    def ack_only(ack: Ack) -> None:
        ack()

    def on_mention(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        bot_user = context.get("bot_user_id")
        if is_own(event, bot_user, context.get("bot_id")) or from_bot(event):
            return  # never answer ourselves, nor other apps (two answer-bots would talk forever)
        user, channel, thread_ts = event.get("user", ""), event["channel"], event.get("thread_ts") or event["ts"]
        try:
            customer_id, earlier = None, None
            if event.get("thread_ts") and event["thread_ts"] != event["ts"]:
                customer_id, earlier = about_thread(client, channel, event["thread_ts"], bot_user)
            responder.in_thread(
                client,
                user,
                channel,
                thread_ts,
                event.get("text", ""),
                customer_id=customer_id,
                earlier=earlier,
                cfg=responder.settings(channel),
            )
        except Exception as exc:
            responder.report_failure(client, exc, user, channel, thread_ts, "mention")

    def about_thread(
        client: WebClient, channel: str, thread_ts: str, bot_user: str | None
    ) -> tuple[int | None, str | None]:
        """A mention inside a thread: what the thread is about (Rapport's earlier question and customer, or the
        text of the message that started it, e.g. a helpdesk bot's ticket) as context for a short question."""
        with services.sessions() as session:
            prior = thread_context(session, channel, thread_ts)
            if prior is not None:
                return prior.customer_id, prior.question
            parent = message_text(responder.thread_parent(client, channel, thread_ts, bot_user), 1000)
            if not parent:
                return None, None
            linked = link_customers(session, parent)
            return (linked.primary.id if linked.primary else None), strip_mentions(parent)

    app.event("app_mention")(ack=ack_only, lazy=[on_mention])

    def is_human(event: dict[str, Any]) -> bool:
        # A question with a file attached, or a reply also sent to the channel, is still a person asking.
        subtype_ok = event.get("subtype") in (None, "file_share", "thread_broadcast")
        return subtype_ok and not event.get("bot_id") and bool(event.get("user"))

    def on_message(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        if event.get("subtype") == "message_changed":
            mention_added(event, client, context)
            return
        if not is_human(event) or is_own(event, context.get("bot_user_id"), context.get("bot_id")):
            return  # deletions, joins, other apps' posts and our own: nothing to answer
        try:
            answer_message(event, client, context)
        except Exception as exc:
            channel, thread_ts = event["channel"], event.get("thread_ts")
            if event.get("channel_type") == "im":
                responder.report_failure(client, exc, event["user"], channel, thread_ts, "direct message")
            elif thread_ts and responder.joined(client, channel, thread_ts, context.get("bot_user_id")):
                responder.report_failure(client, exc, event["user"], channel, thread_ts, "thread follow-up")
            else:  # a message that may not have been meant for us: log, do not speak up in a stranger's thread
                log.error("reading a channel message failed (reference %s)", new_reference(), exc_info=exc)

    def mention_added(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        """An edit that adds a mention of Rapport is a question Slack never sent as ``app_mention``: answer it.
        Other edits (typo fixes of an answered question) change nothing."""
        new, old = event.get("message") or {}, event.get("previous_message") or {}
        tag = f"<@{context.get('bot_user_id')}>"
        if event.get("channel_type") == "im" or not is_human(new) or tag not in (new.get("text") or ""):
            return
        if tag in (old.get("text") or ""):
            return
        on_mention({**new, "channel": event["channel"]}, client, context)

    def answer_message(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        if event.get("channel_type") == "im":
            responder.in_thread(
                client, event["user"], event["channel"], event.get("thread_ts"), event.get("text", ""), is_dm=True
            )
            return
        thread_ts = event.get("thread_ts")
        if f"<@{context.get('bot_user_id')}>" in event.get("text", ""):
            return  # a mention: app_mention answers those
        if not thread_ts:
            # A top-level channel message: answered only where admins asked for it (``questions`` mode).
            cfg = responder.settings(event["channel"])
            text = event.get("text", "")
            if cfg.mode == "questions" and not cfg.quiet and channel_config.looks_like_question(strip_mentions(text)):
                responder.in_thread(client, event["user"], event["channel"], event["ts"], text, cfg=cfg)
            return
        with services.sessions() as session:
            prior = thread_context(session, event["channel"], thread_ts)
        if prior is None:
            return  # a thread Rapport was not part of: stay quiet
        responder.in_thread(
            client,
            event["user"],
            event["channel"],
            thread_ts,
            event.get("text", ""),
            customer_id=prior.customer_id,
            earlier=prior.question,
            cfg=responder.settings(event["channel"]),
        )

    app.event("message")(ack=ack_only, lazy=[on_message])

    # ---- /rapport ---------------------------------------------------------------------------
    def ack_command(ack: Ack, command: dict[str, Any]) -> None:
        word = (command.get("text") or "").strip().split(" ", 1)[0].lower()
        if word in ("", "help"):
            ack(text=help_text(), blocks=help_blocks(help_text()))
        elif word in SUBCOMMANDS:
            ack()
        else:
            ack(text=f"I don't know `/rapport {word[:40]}`.\n{help_text()}")

    def run_command(command: dict[str, Any], respond: Respond, client: WebClient, body: dict[str, Any]) -> None:
        text = (command.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        handler = SUBCOMMANDS.get(word.lower())
        if handler is None:
            return
        ctx = SlashContext(
            command["user_id"],
            command.get("channel_id", ""),
            rest.strip(),
            command.get("trigger_id"),
            respond,
            client,
            body,
        )
        try:
            handler(ctx)
        except Exception as exc:
            ref = new_reference()
            log.exception("/rapport %s failed (reference %s)", word, ref)
            msg = failure_message(exc, ref, "do that")
            try:
                respond(text=msg)
            except Exception:  # the response_url failed too (expired, or Slack down): try the Web API
                log.warning("response_url failed for /rapport %s (reference %s)", word, ref, exc_info=True)
                try:
                    client.chat_postEphemeral(channel=ctx.channel_id, user=ctx.user_id, text=msg)
                except (SlackApiError, OSError):
                    log.exception("the user could not be told (reference %s)", ref)

    app.command("/rapport")(ack=ack_command, lazy=[run_command])

    @subcommand("ask", "QUESTION — answer from the playbooks and the customer record (only you see it)")
    def _ask(ctx: SlashContext) -> None:
        cfg = responder.settings(ctx.channel_id)
        paths = channel_config.search_paths(cfg, services.settings.playbooks_dir)
        try:
            answer = responder.ask.answer(ctx.text, ctx.user_id, ctx.channel_id, paths=paths)
        except AskError as exc:
            ctx.respond(text=str(exc))
            return
        if answer.customer and not responder.may_see_card(cfg, ctx.user_id):
            answer.customer = None
        ctx.respond(text=answer.text[:300] or "I don't know.", blocks=render(answer), response_type="ephemeral")

    @subcommand("customer", "NAME — the customer's card, redacted for your role (only you see it)")
    def _customer(ctx: SlashContext) -> None:
        if not ctx.text:
            ctx.respond(text="Which customer? e.g. `/rapport customer Northwave Foods`")
            return
        with services.sessions() as session, session.begin():
            linked = link_customers(session, ctx.text)
            if not linked.primary and linked.ambiguous:
                names = ", ".join(f"{c.name} ({c.tier})" for c in linked.ambiguous[0][:5])
                ctx.respond(text=f"Several customers match: {names}. Add a detail (domain or id).")
                return
            if not linked.primary:
                ctx.respond(text=f"I couldn't find a customer matching “{ctx.text[:80]}”. Try a domain or CRM id.")
                return
            card = build_card(session, services.policies, linked.primary.id, ctx.user_id, services.clock())
            record(
                session,
                ctx.user_id,
                "customer.viewed",
                "customer",
                card.customer_id,
                {"fields": sorted(k for k in card.fields if not k.startswith("_")), "via": "slash"},
            )
        ctx.respond(text=f"Customer card: {card.name}", blocks=card_blocks(card), response_type="ephemeral")

    HELP_LINES["help"] = "— this help"

    # ---- buttons on an answer ---------------------------------------------------------------
    def visible(what: str, handler: Any) -> Any:
        """A click that fails tells the clicker (privately) with a reference id instead of doing nothing."""

        def run(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            try:
                handler(ack, body, client)
            except Exception as exc:
                ref = new_reference()
                log.error("%s failed (reference %s)", what, ref, exc_info=exc)
                channel = (body.get("channel") or {}).get("id")
                if not channel:
                    return
                try:
                    client.chat_postEphemeral(
                        channel=channel,
                        user=body["user"]["id"],
                        text=failure_message(exc, ref, "do that"),
                        thread_ts=body.get("message", {}).get("thread_ts"),
                    )
                except SlackApiError:
                    log.exception("the clicker could not be told (reference %s)", ref)

        return run

    def feedback(helpful: bool) -> Any:
        def handler(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            qid = int(_value(body).get("q") or 0)
            user = body["user"]["id"]
            with services.sessions() as session, session.begin():
                on_record = bool(qid) and record_feedback(session, qid, user, helpful)
            msg = "That answer is no longer on record."
            if on_record:
                msg = "Thanks, noted." if helpful else "Thanks; the playbook owner will see this."
            if on_record and not helpful and body.get("trigger_id"):
                try:  # the reason is optional: the vote above already counts without it
                    client.views_open(trigger_id=body["trigger_id"], view=feedback_reason_modal(qid))
                except Exception:
                    log.warning("could not open the feedback reason modal", exc_info=True)
            client.chat_postEphemeral(
                channel=body["channel"]["id"], user=user, text=msg, thread_ts=body.get("message", {}).get("thread_ts")
            )

        return handler

    app.action(ids.ASK_FEEDBACK_UP)(visible("feedback", feedback(True)))
    app.action(ids.ASK_FEEDBACK_DOWN)(visible("feedback", feedback(False)))

    def pick_customer(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        v = _value(body)
        with services.sessions() as session:
            q = session.get(QuestionLog, int(v.get("q") or 0))
        if q is None:
            return
        channel, ts = body["channel"]["id"], body["message"]["ts"]
        answer = responder.ask.answer(q.question, body["user"]["id"], channel, q.thread_ts, customer_id=int(v["c"]))
        client.chat_update(
            channel=channel,
            ts=ts,
            text=answer.text[:300] or "I don't know.",
            blocks=answer_blocks(answer, include_card=not answer.private_card),
        )

    app.action(re.compile(rf"^{ids.ASK_PICK_CUSTOMER}_\d+$"))(visible("customer choice", pick_customer))

    def escalate(person: bool) -> Any:
        def handler(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            user = body["user"]["id"]
            qid = int(_value(body).get("q") or 0)
            result = post_handoff(services, client, qid, user, body, person=person)
            client.chat_postEphemeral(
                channel=body["channel"]["id"],
                user=user,
                text=result,
                thread_ts=body.get("message", {}).get("thread_ts"),
            )

        return handler

    app.action(ids.ASK_ESCALATE)(visible("escalation", escalate(False)))
    app.action(ids.ASK_GET_PERSON)(visible("hand-off", escalate(True)))

    def ack_shortcut(ack: Ack) -> None:
        ack()

    def on_shortcut(body: dict[str, Any], client: WebClient) -> None:
        msg = body.get("message", {})
        user, channel, thread_ts = body["user"]["id"], body["channel"]["id"], msg.get("thread_ts") or msg.get("ts")
        try:
            # Another app's message (helpdesk, CRM, monitoring) keeps its substance in attachments and blocks.
            responder.in_thread(client, user, channel, thread_ts, message_text(msg), cfg=responder.settings(channel))
        except Exception as exc:
            responder.report_failure(client, exc, user, channel, thread_ts, "message shortcut")

    app.shortcut("ask_about_message")(ack=ack_shortcut, lazy=[on_shortcut])
