"""Building the governance card for a request as it stands in the database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.approvals.models import PENDING, ApprovalRequest, ApprovalVote
from bot.approvals.precedent import find_precedents
from bot.approvals.results import ApprovalCard, RouteReason, StepProgress
from bot.approvals.routing import explain
from bot.policies import Policies


def step_progress(session: Session, req: ApprovalRequest) -> tuple[StepProgress, ...]:
    votes = session.execute(
        select(ApprovalVote.step, ApprovalVote.approver)
        .where(ApprovalVote.request_id == req.id, ApprovalVote.decision == "approve")
        .order_by(ApprovalVote.id)
    ).all()
    out = []
    for i, s in enumerate(req.steps):
        if req.state == PENDING:
            status = "done" if i < req.step else "current" if i == req.step else "waiting"
        else:
            status = (
                "done"
                if i < req.step or (i == req.step and req.state == "approved")
                else ("stopped" if i == req.step else "waiting")
            )
        approvers = req.approvers if (i == req.step and req.approvers) else s["approvers"]
        out.append(
            StepProgress(
                index=i,
                name=s["name"],
                approvers=approvers,
                channel=s["channel"],
                required=s["required"],
                status=status,
                approved_by=tuple(a for st, a in votes if st == i),
            )
        )
    return tuple(out)


def route_reason(req: ApprovalRequest, policies: Policies | None) -> RouteReason | None:
    """Why the request took its route, explained from the policy it was routed by: only while that policy
    (same version) is in force, since a later edit may route the same request elsewhere."""
    if policies is None or policies.version != req.policy_version:
        return None
    reason = explain(policies, req.request_type, req.amount, req.percent, req.tier, req.region, req.risk)
    return reason if reason is not None and reason.rule == req.rule else None


def build_card(
    session: Session,
    req: ApprovalRequest,
    step: int | None = None,
    with_precedent: bool = True,
    policies: Policies | None = None,
) -> ApprovalCard:
    """The card for ``step`` (default: the current one); buttons only while that step is the pending one.
    With ``policies`` (the policy in force) the card says why the request took its route."""
    at = req.step if step is None else step
    actionable = req.state == PENDING and at == req.step
    outcome: str | None = None
    if at < req.step:
        outcome = "approved"
    elif req.state != PENDING:
        outcome = req.state
    precedents = (
        tuple(find_precedents(session, req.request_type, req.tier, req.amount, req.percent, exclude_id=req.id))
        if with_precedent
        else ()
    )
    decided_by = None
    if outcome == "approved" and at < req.step:
        voter = session.scalar(
            select(ApprovalVote.approver)
            .where(ApprovalVote.request_id == req.id, ApprovalVote.step == at, ApprovalVote.decision == "approve")
            .order_by(ApprovalVote.id.desc())
            .limit(1)
        )
        decided_by = voter
    elif outcome is not None:
        decided_by = req.decided_by
    return ApprovalCard(
        request_id=req.id,
        step=at,
        request_type=req.request_type,
        customer_name=req.customer_name,
        tier=req.tier,
        region=req.region,
        risk=req.risk,
        amount=req.amount,
        percent=req.percent,
        terms=req.terms,
        justification=req.justification,
        links=tuple(req.links or ()),
        requester=req.requester,
        rule=req.rule,
        policy_version=req.policy_version,
        state=req.state,
        steps=step_progress(session, req),
        actionable=actionable,
        approvers=(req.approvers or "") if at == req.step else req.steps[at]["approvers"] if req.steps else "",
        escalated=req.escalated and at == req.step,
        outcome=outcome,
        decided_by=decided_by,
        reason=req.decision_reason if outcome in ("rejected", "changes_requested") else None,
        precedents=precedents,
        one_step_per_person=req.one_step_per_person,
        route=route_reason(req, policies),
    )
