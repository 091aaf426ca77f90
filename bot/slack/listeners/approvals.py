"""Approvals in Slack: Approve / Reject (reason modal) / Request changes buttons, ``/rapport approve``,
the request modal, the Ask answer's "Request approval" button, and the App Home section.

Every click is acked at once; the decision runs after the ack (Bolt ``lazy``). The acting user is the one
in the signed payload; ``bot.approvals.decisions`` decides eligibility on the server and records the
decision exactly once. Refusals are ephemeral (only the clicker sees them) and logged to the audit trail.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.approvals.decisions import DecisionOutcome, decide, parse_button_value, precheck, refuse
from bot.approvals.intake import USAGE, parse_slash, prefill_from_button, prefill_from_draft
from bot.approvals.queries import home_summary
from bot.approvals.requests import submit_request
from bot.approvals.validation import RequestDraft, ValidationFailed
from bot.notify import DeliveryError, Outbound
from bot.services import Services
from bot.slack import ids
from bot.slack.commands import SlashContext, subcommand
from bot.slack.listeners.home import HOME_SECTIONS
from bot.slack.views import render
from bot.slack.views.approvals import reason_modal, request_modal
from bot.slack.views.common import Block

log = logging.getLogger(__name__)
FIELDS = ("request_type", "customer", "amount", "percent", "terms", "justification", "links", "risk")


def _clicked(body: dict[str, Any]) -> tuple[str, str, str]:
    """(user, channel, button value) from a block_actions payload."""
    action = (body.get("actions") or [{}])[0]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
    return body["user"]["id"], channel, str(action.get("value") or "")


def _ephemeral(services: Services, channel: str, user_id: str, text: str) -> None:
    try:
        services.notifier.send(Outbound(channel=channel or user_id, text=text, ephemeral_user=user_id))
    except DeliveryError:
        log.warning("could not tell %s about an approval action", user_id)


def _tell(services: Services, channel: str, user_id: str, outcome: DecisionOutcome) -> None:
    if not outcome.accepted:
        _ephemeral(services, channel, user_id, outcome.message)


def _values(view: dict[str, Any]) -> dict[str, str]:
    state = (view.get("state") or {}).get("values") or {}
    out: dict[str, str] = {}
    for name in FIELDS:
        el = (state.get(name) or {}).get("value") or {}
        out[name] = str((el.get("selected_option") or {}).get("value") or el.get("value") or "")
    return out


def draft_from_view(view: dict[str, Any], user_id: str) -> RequestDraft:
    v = _values(view)
    meta = json.loads(view.get("private_metadata") or "{}")
    return RequestDraft(
        request_type=v["request_type"],
        customer=v["customer"],
        requester=user_id,
        justification=v["justification"],
        amount=v["amount"],
        percent=v["percent"],
        terms=v["terms"],
        links=tuple(x for x in v["links"].split() if x),
        risk=v["risk"] or "low",
        origin_channel=meta.get("c"),
        origin_thread_ts=meta.get("t"),
    )


def register(app: App, services: Services) -> None:
    def ack_only(ack: Ack) -> None:
        ack()

    def do_approve(body: dict[str, Any]) -> None:
        user_id, channel, value = _clicked(body)
        parsed = parse_button_value(value)
        if parsed is None:
            _tell(services, channel, user_id, refuse(services, "malformed", user_id, None, decision="approve"))
            return
        _tell(services, channel, user_id, decide(services, parsed[0], parsed[1], user_id, "approve"))

    app.action(ids.APPROVAL_APPROVE)(ack=ack_only, lazy=[do_approve])

    def open_reason(kind: str) -> Any:
        def handler(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()  # trigger_id is valid for 3 s: check quickly, then open the modal
            user_id, channel, value = _clicked(body)
            parsed = parse_button_value(value)
            refusal = (
                refuse(services, "malformed", user_id, None, decision=kind)
                if parsed is None
                else precheck(services, parsed[0], parsed[1], user_id, kind)
            )
            if refusal is not None or parsed is None:
                _tell(services, channel, user_id, refusal)  # type: ignore[arg-type]
                return
            client.views_open(trigger_id=body["trigger_id"], view=reason_modal(kind, parsed[0], parsed[1]))

        return handler

    app.action(ids.APPROVAL_REJECT)(open_reason("reject"))
    app.action(ids.APPROVAL_CHANGES)(open_reason("changes"))

    def submit_reason(kind: str) -> Any:
        def handler(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
            reason = str(
                ((view.get("state") or {}).get("values") or {}).get("reason", {}).get("value", {}).get("value") or ""
            ).strip()
            if not reason:
                ack(response_action="errors", errors={"reason": "Give a reason; the requester will see it."})
                return
            ack()
            meta = json.loads(view.get("private_metadata") or "{}")
            user_id = body["user"]["id"]
            try:
                rid, step = int(meta["r"]), int(meta["s"])
            except (KeyError, TypeError, ValueError):
                _tell(services, user_id, user_id, refuse(services, "malformed", user_id, None, decision=kind))
                return
            _tell(services, user_id, user_id, decide(services, rid, step, user_id, kind, reason))

        return handler

    app.view(ids.APPROVAL_REJECT_MODAL)(submit_reason("reject"))
    app.view(ids.APPROVAL_CHANGES_MODAL)(submit_reason("changes"))

    @app.view(ids.APPROVAL_REQUEST_MODAL)
    def submit_request_modal(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        try:
            sub = submit_request(services, draft_from_view(view, user_id))
        except ValidationFailed as exc:
            ack(
                response_action="errors",
                errors={k if k in FIELDS else "justification": v[:150] for k, v in exc.errors.items()},
            )
            return
        ack()
        _ephemeral(services, user_id, user_id, sub.message)

    @app.action(ids.ASK_REQUEST_APPROVAL)
    def from_answer(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        _, channel, value = _clicked(body)
        message = body.get("message") or {}
        thread = message.get("thread_ts") or message.get("ts")
        prefill = prefill_from_button(services, value, channel or None, thread)
        client.views_open(trigger_id=body["trigger_id"], view=request_modal(prefill))

    @subcommand("approve", "TYPE CUSTOMER AMOUNT: WHY — ask for an exception (alone: opens a form)")
    def _approve(ctx: SlashContext) -> None:
        if not ctx.text.strip():
            if ctx.trigger_id:
                ctx.client.views_open(
                    trigger_id=ctx.trigger_id,
                    view=request_modal(
                        prefill_from_draft(RequestDraft("", "", ctx.user_id, origin_channel=ctx.channel_id))
                    ),
                )
            else:
                ctx.respond(text=USAGE, response_type="ephemeral")
            return
        draft = parse_slash(ctx.text, ctx.user_id, ctx.channel_id)
        try:
            sub = submit_request(services, draft)
        except ValidationFailed as exc:
            problems = "\n".join(f"• *{k.replace('_', ' ')}*: {v}" for k, v in exc.errors.items())
            ctx.respond(text=f"I couldn't file that request:\n{problems}\n{USAGE}", response_type="ephemeral")
            return
        ctx.respond(text=sub.message, response_type="ephemeral")

    def approvals_home(svc: Services, user_id: str) -> list[Block]:
        return render(home_summary(svc, user_id))

    if approvals_home.__name__ not in {f.__name__ for f in HOME_SECTIONS}:
        HOME_SECTIONS.append(approvals_home)
