"""Read models: what waits for me (App Home), my open requests, lists for the CLI."""

from __future__ import annotations

from sqlalchemy import not_, or_, select

from bot.approvals.models import PENDING, ApprovalRequest, ApprovalVote
from bot.approvals.results import ApprovalsHome, RequestSummary
from bot.services import Services


def summarize(r: ApprovalRequest) -> RequestSummary:
    return RequestSummary(
        request_id=r.id,
        request_type=r.request_type,
        customer_name=r.customer_name,
        state=r.state,
        step_name=r.steps[r.step]["name"] if r.state == PENDING and r.steps else None,
        requester=r.requester,
        created_at=r.created_at,
        amount=r.amount,
        percent=r.percent,
        link_channel=r.message_channel,
        link_ts=r.message_ts,
    )


def home_summary(services: Services, user_id: str, limit: int = 15) -> ApprovalsHome:
    principals = {user_id, *services.policies.groups_of(user_id)}
    decided_earlier = (  # separation of duties: a step is not for someone who approved another step
        select(ApprovalVote.id)
        .where(
            ApprovalVote.request_id == ApprovalRequest.id,
            ApprovalVote.approver == user_id,
            ApprovalVote.step != ApprovalRequest.step,
            ApprovalVote.decision == "approve",
        )
        .exists()
    )
    with services.sessions() as s:
        to_decide = s.scalars(
            select(ApprovalRequest)
            .where(
                ApprovalRequest.state == PENDING,
                ApprovalRequest.approvers.in_(principals),
                ApprovalRequest.requester != user_id,
                or_(not_(ApprovalRequest.one_step_per_person), not_(decided_earlier)),
            )
            .order_by(ApprovalRequest.step_started_at)
            .limit(limit)
        ).all()
        mine = s.scalars(
            select(ApprovalRequest)
            .where(ApprovalRequest.state == PENDING, ApprovalRequest.requester == user_id)
            .order_by(ApprovalRequest.created_at.desc())
            .limit(limit)
        ).all()
        return ApprovalsHome(user_id, tuple(map(summarize, to_decide)), tuple(map(summarize, mine)))
