"""Creating a request: validate, route through the policy matrix, store, audit, post to the first step's channel."""

from __future__ import annotations

from dataclasses import dataclass

from bot.approvals.auditing import audit
from bot.approvals.models import AUTO_APPROVED, PENDING, ApprovalRequest
from bot.approvals.publish import label, mention, post_step_message, tell_requester
from bot.approvals.routing import route_for, snapshot
from bot.approvals.validation import RequestDraft, validate
from bot.services import Services
from bot.store.db import session_scope


@dataclass(frozen=True)
class Submitted:
    request_id: int
    state: str  # pending | auto_approved
    rule: str
    step_names: tuple[str, ...]
    first_channel: str | None
    message: str  # what to tell the requester right away


def submit_request(services: Services, draft: RequestDraft) -> Submitted:
    """Raises :class:`bot.approvals.validation.ValidationFailed` (errors by field) on bad input."""
    now = services.clock()
    policies = services.policies
    with session_scope(services.sessions) as s:
        valid = validate(s, draft)
        route = route_for(policies, valid)
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
        )
        s.add(req)
        s.flush()
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
