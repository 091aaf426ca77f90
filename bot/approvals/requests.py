"""Creating a request: validate, route through the policy matrix, store, audit, post to the first step's channel.

A submission whose content (type, customer, amounts, terms, justification, links, risk) matches one the
same requester made within :data:`DUPLICATE_WINDOW` does not create a second request: it is answered
with the first. That covers a replayed signed slash command (Slack's signature window is 5 minutes,
so the window is longer), a double-submitted modal and a delivery retried after a lost response.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.approvals.auditing import audit
from bot.approvals.models import AUTO_APPROVED, PENDING, ApprovalRequest, ApprovalSubmission
from bot.approvals.publish import post_step_message, tell_requester
from bot.approvals.results import label
from bot.approvals.routing import route_for, snapshot
from bot.approvals.validation import RequestDraft, ValidationFailed, ValidRequest, validate
from bot.mrkdwn import mention
from bot.policies.bundle import NOT_CONFIGURED
from bot.services import Services
from bot.store.db import session_scope

log = logging.getLogger(__name__)
DUPLICATE_WINDOW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Submitted:
    request_id: int
    state: str  # pending | auto_approved
    rule: str
    step_names: tuple[str, ...]
    first_channel: str | None
    message: str  # what to tell the requester right away
    duplicate: bool = False  # the same content was already submitted: this is that request


class _Duplicate(Exception):
    """An identical submission won the race: roll this one back and answer with ``request_id``."""

    def __init__(self, request_id: int) -> None:
        super().__init__(request_id)
        self.request_id = request_id


def content_key(valid: ValidRequest) -> str:
    """sha256 of the requester and what they asked for; where it was asked from does not count."""
    amount = format(valid.amount.normalize(), "f") if valid.amount is not None else None
    content = [
        valid.requester,
        valid.request_type,
        valid.customer_id,
        amount,
        valid.percent,
        valid.terms,
        valid.justification,
        list(valid.links),
        valid.risk,
    ]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()


def _recent(s: Session, key: str, now: dt.datetime) -> ApprovalSubmission | None:
    row = s.get(ApprovalSubmission, key, populate_existing=True)
    return row if row is not None and row.submitted_at > now - DUPLICATE_WINDOW else None


def _claim(s: Session, key: str, request_id: int, now: dt.datetime) -> None:
    """Record ``request_id`` as the latest request for ``key``; raise :class:`_Duplicate` if a twin did first."""
    row = s.get(ApprovalSubmission, key, populate_existing=True)
    if row is None:
        try:
            with s.begin_nested():
                s.add(ApprovalSubmission(content_key=key, request_id=request_id, submitted_at=now))
            return
        except IntegrityError:  # an identical submission committed between our read and our insert
            twin = _recent(s, key, now)
            if twin is None:
                raise
            raise _Duplicate(twin.request_id) from None
    if row.submitted_at > now - DUPLICATE_WINDOW:
        raise _Duplicate(row.request_id)
    moved = s.execute(  # an old submission: this one is the latest now, unless a twin replaced it first
        update(ApprovalSubmission)
        .where(ApprovalSubmission.content_key == key, ApprovalSubmission.submitted_at == row.submitted_at)
        .values(request_id=request_id, submitted_at=now)
    ).rowcount  # type: ignore[attr-defined]
    if moved != 1:
        twin = _recent(s, key, now)
        if twin is None:
            raise RuntimeError(f"submission {key[:12]} changed under us and is not recent")
        raise _Duplicate(twin.request_id)


def _answer_duplicate(services: Services, request_id: int, requester: str) -> Submitted:
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, request_id)
        if req is None:  # pragma: no cover - the twin's request was deleted within the window
            raise LookupError(f"request #{request_id} is gone")
        where = f", with {mention(req.approvers)}" if req.state == PENDING else ""
        message = (
            f"You already sent this request: #{req.id} ({label(req.request_type)} for {req.customer_name}) is "
            f"{req.state.replace('_', ' ')}{where}. Nothing new was created."
        )
        steps = tuple(st["name"] for st in req.steps)
        first = req.steps[req.step]["channel"] if req.steps and req.state == PENDING else None
        sub = Submitted(req.id, req.state, req.rule, steps, first, message, duplicate=True)
    log.info("approval %s: identical submission from %s answered with the existing request", request_id, requester)
    return sub


def submit_request(services: Services, draft: RequestDraft) -> Submitted:
    """Raises :class:`bot.approvals.validation.ValidationFailed` (errors by field) on bad input."""
    try:
        return _submit(services, draft, services.clock())
    except _Duplicate as dup:
        return _answer_duplicate(services, dup.request_id, draft.requester)


def _submit(services: Services, draft: RequestDraft, now: dt.datetime) -> Submitted:
    policies = services.policies
    with session_scope(services.sessions) as s:
        valid = validate(s, draft, policies.tiers, now.date())
        if valid.request_type not in policies.approvals.request_types:  # a handbook without approvals.yaml
            raise ValidationFailed({"request_type": NOT_CONFIGURED.format(what="approvals")})
        key = content_key(valid)
        seen = _recent(s, key, now)
        if seen is not None:
            raise _Duplicate(seen.request_id)
        route = route_for(policies, valid)
        one_step_per_person = policies.approvals.one_step_per_person(valid.request_type)
        steps = [snapshot(st) for st in route.steps]
        req = ApprovalRequest(
            request_type=valid.request_type,
            customer_id=valid.customer_id,
            customer_name=valid.customer_name,
            tier=valid.tier,
            region=valid.region,
            risk=valid.risk,
            amount=valid.amount,
            percent=valid.percent,
            terms=valid.terms,
            justification=valid.justification,
            links=list(valid.links),
            requester=valid.requester,
            origin_channel=valid.origin_channel,
            origin_thread_ts=valid.origin_thread_ts,
            rule=route.rule,
            policy_version=policies.version,
            steps=steps,
            state=AUTO_APPROVED if route.auto_approved else PENDING,
            step=0,
            approvers=steps[0]["approvers"] if steps else None,
            step_started_at=now if steps else None,
            escalated=False,
            version=0,
            created_at=now,
            decided_at=now if route.auto_approved else None,
            decided_by="system:policy" if route.auto_approved else None,
            one_step_per_person=one_step_per_person,
        )
        s.add(req)
        s.flush()
        _claim(s, key, req.id, now)
        # Amounts and justifications stay in the request row; the trail names what decided the route.
        # One event per transaction (bot.approvals.auditing): the route and the first step are in it.
        audit(
            s,
            valid.requester,
            "approval.requested",
            req.id,
            {
                "type": valid.request_type,
                "customer_id": valid.customer_id,
                "tier": valid.tier,
                "region": valid.region,
                "risk": valid.risk,
                "rule": route.rule,
                "policy_version": policies.version,
                "auto_approved": route.auto_approved,
                "one_step_per_person": one_step_per_person,
                "steps": [
                    {
                        "name": st["name"],
                        "approvers": st["approvers"],
                        "channel": st["channel"],
                        "required": st["required"],
                    }
                    for st in steps
                ],
            },
        )
        request_id = req.id
    if route.auto_approved:
        message = (
            f"Request #{request_id} ({label(valid.request_type)} for {valid.customer_name}) is within policy "
            f"({route.rule}) and was approved automatically."
        )
        tell_requester(services, request_id, message)
        return Submitted(request_id, AUTO_APPROVED, route.rule, (), None, message)
    post_step_message(services, request_id)
    first = steps[0]
    message = (
        f"Request #{request_id} ({label(valid.request_type)} for {valid.customer_name}) sent to "
        f"{mention(first['approvers'])} in <#{first['channel']}> ({len(steps)} step"
        f"{'s' if len(steps) > 1 else ''}: {' -> '.join(st['name'] for st in steps)})."
    )
    return Submitted(request_id, PENDING, route.rule, tuple(st["name"] for st in steps), first["channel"], message)
