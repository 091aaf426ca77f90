"""Telling Slack (through the Notifier port): governance messages posted and updated in place, requesters told.

Runs after the decision's transaction committed, so a Slack outage never undoes a decision; a governance
message that could not be posted is retried by the timeouts job (``message_ts`` stays empty).
"""

from __future__ import annotations

import logging

from sqlalchemy import update

from bot.approvals.auditing import audit
from bot.approvals.cards import build_card
from bot.approvals.models import PENDING, ApprovalRequest
from bot.approvals.results import RequesterNotice, label
from bot.mrkdwn import mention
from bot.notify import DeliveryError, Outbound, SentRef
from bot.services import Services
from bot.store.db import session_scope

log = logging.getLogger(__name__)


def post_step_message(services: Services, request_id: int) -> SentRef | None:
    """Post the current step's card to its governance channel and remember where it is."""
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, request_id)
        if req is None or req.state != PENDING:
            return None
        card = build_card(s, req, policies=services.policies)
        channel = req.steps[req.step]["channel"]
        text = (
            f"Approval needed ({req.steps[req.step]['name']}): {label(req.request_type)} for "
            f"{req.customer_name}, request #{req.id}, {mention(req.approvers)}"
        )
    try:
        ref = services.notifier.send(Outbound(channel=channel, text=text, view=card))
    except DeliveryError as exc:
        log.warning("approval %s: could not post to %s (%s)", request_id, channel, exc)
        with session_scope(services.sessions) as s:
            audit(
                s,
                "system:approvals",
                "approval.notify_failed",
                request_id,
                {"channel": channel, "step": card.step, "permanent": exc.permanent},
            )
        return None
    with session_scope(services.sessions) as s:
        s.execute(
            update(ApprovalRequest)
            .where(ApprovalRequest.id == request_id, ApprovalRequest.step == card.step)
            .values(message_channel=ref.channel, message_ts=ref.ts)
        )
        audit(
            s,
            "system:approvals",
            "approval.step_posted",
            request_id,
            {
                "step": card.step,
                "name": card.steps[card.step].name,
                "approvers": card.approvers,
                "channel": ref.channel,
                "ts": ref.ts,
            },
        )
    return ref


def refresh_message(services: Services, request_id: int, ref: SentRef | None, step: int) -> None:
    """Re-render the card of ``step`` in place (buttons disappear once the step is decided)."""
    if ref is None:
        return
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, request_id)
        if req is None:
            return
        card = build_card(s, req, step=step, policies=services.policies)
        text = f"{label(req.request_type)} for {req.customer_name}, request #{req.id}: {card.outcome or 'pending'}"
    try:
        services.notifier.update(ref, Outbound(channel=ref.channel, text=text, view=card))
    except DeliveryError as exc:
        log.warning("approval %s: could not update message (%s)", request_id, exc)


def tell_requester(services: Services, request_id: int, headline: str) -> None:
    """DM the requester and reply in the thread the request came from (if any)."""
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, request_id)
        if req is None:
            return
        notice = RequesterNotice(
            request_id=req.id,
            request_type=req.request_type,
            customer_name=req.customer_name,
            state=req.state,
            headline=headline,
            decided_by=req.decided_by,
            reason=req.decision_reason,
        )
        targets = [Outbound(channel=req.requester, text=headline, view=notice)]
        if req.origin_channel and req.origin_thread_ts:
            targets.append(
                Outbound(channel=req.origin_channel, text=headline, view=notice, thread_ts=req.origin_thread_ts)
            )
    for out in targets:
        try:
            services.notifier.send(out)
        except DeliveryError as exc:
            log.warning("approval %s: could not tell requester via %s (%s)", request_id, out.channel, exc)


def thread_note(services: Services, ref: SentRef | None, text: str) -> None:
    if ref is None:
        return
    try:
        services.notifier.send(Outbound(channel=ref.channel, text=text, thread_ts=ref.ts))
    except DeliveryError as exc:
        log.warning("could not post thread note (%s)", exc)
