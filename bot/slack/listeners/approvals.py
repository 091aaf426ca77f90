"""Approvals in Slack: Approve / Reject (reason modal) / Request changes buttons, ``/rapport approve``, the
request modal and the Ask answer's "Request approval" button.

Every click is acked at once; the decision runs after the ack (Bolt ``lazy``). The acting user is the one in
the signed payload; ``bot.approvals.decisions`` decides eligibility on the server and records the decision
exactly once. Refusals are ephemeral (only the clicker sees them) and logged to the audit trail.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.approvals.decisions import DecisionOutcome, decide, precheck, refuse
from bot.approvals.intake import USAGE, parse_slash, prefill_from_button, prefill_from_draft
from bot.approvals.requests import submit_request
from bot.approvals.routing import amount_needed, missing_amount
from bot.approvals.validation import RequestDraft, ValidationFailed, normalize_type
from bot.slack import ids, inbound
from bot.slack.inbound import Command, Submission
from bot.slack.views.approvals import reason_modal, request_modal
from bot.slack.wiring import Rapport

FIELDS = ("request_type", "customer", "amount", "percent", "terms", "justification", "links", "risk")


def _tell(r: Rapport, user: str, channel: str, outcome: DecisionOutcome | None) -> None:
    if outcome is not None and not outcome.accepted:
        r.tell(user, channel, outcome.message)


def ack_only(ack: Ack) -> None:
    ack()


def approve(r: Rapport, body: dict[str, Any]) -> None:
    click = inbound.click(body)
    request, step = click.refs.get("r"), click.refs.get("s")
    if request is None or step is None:
        _tell(r, click.user, click.channel, refuse(r.services, "malformed", click.user, None, decision="approve"))
        return
    _tell(r, click.user, click.channel, decide(r.services, request, step, click.user, "approve"))


def open_reason(kind: str, r: Rapport, ack: Ack, body: dict[str, Any]) -> None:
    ack()  # trigger_id is valid for 3 s: check quickly, then open the modal
    click = inbound.click(body)
    request, step = click.refs.get("r"), click.refs.get("s")
    if request is None or step is None:
        _tell(r, click.user, click.channel, refuse(r.services, "malformed", click.user, None, decision=kind))
        return
    refusal = precheck(r.services, request, step, click.user, kind)
    if refusal is not None:
        _tell(r, click.user, click.channel, refusal)
    elif click.trigger_id:
        r.out.open_modal(click.trigger_id, reason_modal(kind, request, step))


def submit_reason(kind: str, r: Rapport, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    sub = inbound.submission(body, view)
    reason = sub.values.get("reason", "").strip()
    if not reason:
        ack(response_action="errors", errors={"reason": "Give a reason; the requester will see it."})
        return
    ack()
    request, step = sub.metadata.get("r"), sub.metadata.get("s")
    if not isinstance(request, int) or not isinstance(step, int):
        _tell(r, sub.user, sub.user, refuse(r.services, "malformed", sub.user, None, decision=kind))
        return
    _tell(r, sub.user, sub.user, decide(r.services, request, step, sub.user, kind, reason))


def draft_from(sub: Submission) -> RequestDraft:
    v = {name: sub.values.get(name, "") for name in FIELDS}
    channel, thread = sub.metadata.get("c"), sub.metadata.get("t")
    return RequestDraft(
        request_type=v["request_type"],
        customer=v["customer"],
        requester=sub.user,
        justification=v["justification"],
        amount=v["amount"],
        percent=v["percent"],
        terms=v["terms"],
        links=tuple(x for x in v["links"].split() if x),
        risk=v["risk"] or "low",
        origin_channel=channel if isinstance(channel, str) else None,
        origin_thread_ts=thread if isinstance(thread, str) else None,
    )


def submit_request_modal(r: Rapport, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    sub = inbound.submission(body, view)
    draft = draft_from(sub)
    ask = missing_amount(r.services.policies, normalize_type(draft.request_type), draft.amount)
    if ask:  # the form asks; a one-line request without one is routed and its card says why
        ack(response_action="errors", errors={"amount": ask[:150]})
        return
    try:
        result = submit_request(r.services, draft)
    except ValidationFailed as exc:
        errors = {k if k in FIELDS else "justification": v[:150] for k, v in exc.errors.items()}
        ack(response_action="errors", errors=errors)
        return
    ack()
    r.tell(sub.user, sub.user, result.message)


def from_answer(r: Rapport, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    click = inbound.click(body)
    prefill = prefill_from_button(r.services, click.value, click.channel or None, click.reply_thread)
    if click.trigger_id:
        r.out.open_modal(
            click.trigger_id, request_modal(prefill, amount_needed(r.services.policies, prefill.request_type))
        )


def approve_command(r: Rapport, cmd: Command) -> None:
    if not cmd.rest:
        if cmd.trigger_id:
            draft = RequestDraft("", "", cmd.user, origin_channel=cmd.channel)
            r.out.open_modal(cmd.trigger_id, request_modal(prefill_from_draft(draft)))  # type not chosen yet
        else:
            r.tell(cmd.user, cmd.channel, USAGE, response_url=cmd.response_url)
        return
    try:
        result = submit_request(r.services, parse_slash(cmd.rest, cmd.user, cmd.channel))
    except ValidationFailed as exc:
        problems = "\n".join(f"• *{k.replace('_', ' ')}*: {v}" for k, v in exc.errors.items())
        text = f"I couldn't file that request:\n{problems}\n{USAGE}"
        r.tell(cmd.user, cmd.channel, text, response_url=cmd.response_url)
        return
    r.tell(cmd.user, cmd.channel, result.message, response_url=cmd.response_url)


def register(app: App, r: Rapport) -> None:
    app.action(ids.APPROVAL_APPROVE)(ack=ack_only, lazy=[partial(approve, r)])
    app.action(ids.APPROVAL_REJECT)(partial(open_reason, "reject", r))
    app.action(ids.APPROVAL_CHANGES)(partial(open_reason, "changes", r))
    app.view(ids.APPROVAL_REJECT_MODAL)(partial(submit_reason, "reject", r))
    app.view(ids.APPROVAL_CHANGES_MODAL)(partial(submit_reason, "changes", r))
    app.view(ids.APPROVAL_REQUEST_MODAL)(partial(submit_request_modal, r))
    app.action(ids.ASK_REQUEST_APPROVAL)(partial(from_answer, r))
    help_line = "TYPE CUSTOMER AMOUNT: WHY — ask for an exception (alone: opens a form)"
    r.commands.add("approve", help_line, partial(approve_command, r))
