"""Policy matrix -> the step chain stored on a request (a snapshot, so policy edits don't move requests in flight)."""

from __future__ import annotations

from typing import Any

from bot.approvals.validation import ValidRequest
from bot.policies import ApprovalRoute, ApprovalStep, Policies


def route_for(policies: Policies, req: ValidRequest) -> ApprovalRoute:
    return policies.approval_route(
        req.request_type,
        amount=float(req.amount) if req.amount is not None else None,
        percent=req.percent,
        tier=req.tier,
        region=req.region,
        risk=req.risk,
    )


def snapshot(step: ApprovalStep) -> dict[str, Any]:
    return {
        "name": step.name,
        "approvers": step.approvers,
        "channel": step.channel,
        "required": step.required_approvals,
        "timeout_s": int(step.timeout.total_seconds()),
        "reminder_s": int(step.reminder_after.total_seconds()),
        "escalate_to": step.escalate_to,
    }
