"""Read models: what waits for me (App Home), my open requests, my past decisions, lists for the CLI."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, not_, or_, select

from bot.approvals.models import FINAL_STATES, PENDING, ApprovalRequest, ApprovalVote
from bot.approvals.results import ApprovalsHome, RequestSummary
from bot.services import Services
from bot.store.models import Customer


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


def _theirs(services: Services, user_id: str) -> ColumnElement[bool]:
    """The requests a user may see without being an admin: those whose current step they (or a group of theirs) may
    decide, and those they raised."""
    principals = {user_id, *services.policies.groups_of(user_id)}
    return or_(ApprovalRequest.approvers.in_(principals), ApprovalRequest.requester == user_id)


def overdue(
    services: Services, user_id: str, now: dt.datetime, everyone: bool, limit: int = 10
) -> tuple[int, list[tuple[RequestSummary, dt.timedelta, dt.timedelta, bool]]]:
    """Pending requests whose current step has waited past its reminder time, the longest waiting first: every one
    (``everyone``: an admin asking), else those the user may decide or raised. (How many in all, and up to
    ``limit`` of them as (summary, waiting, the step's reminder time, escalated).) The reminder time is in each
    request's own steps (JSON), so pending requests are read and compared here: they are few."""
    where = [ApprovalRequest.state == PENDING, *(() if everyone else (_theirs(services, user_id),))]
    with services.sessions() as s:
        rows = s.scalars(select(ApprovalRequest).where(*where)).all()
        late = []
        for r in rows:
            if r.step_started_at is None:
                continue
            waiting, reminder = now - r.step_started_at, dt.timedelta(seconds=r.steps[r.step]["reminder_s"])
            if waiting > reminder:
                late.append((summarize(r), waiting, reminder, bool(r.escalated)))
    late.sort(key=lambda x: -x[1])
    return len(late), late[:limit]


def of_customer(
    services: Services, customer_id: int, user_id: str, everyone: bool, limit: int = 10
) -> tuple[int, list[tuple[RequestSummary, str | None, dt.datetime | None]]]:
    """The requests made for a customer, pending first, each part newest first: every
    one (``everyone``: an admin, or the account's owner, asking), else those the user may decide or raised. How
    many in all, and up to ``limit`` as (summary, the current step's approvers, when it was decided)."""
    where = [ApprovalRequest.customer_id == customer_id, *(() if everyone else (_theirs(services, user_id),))]
    pending_first = case((ApprovalRequest.state == PENDING, 0), else_=1)
    with services.sessions() as s:
        total = int(s.scalar(select(func.count()).select_from(ApprovalRequest).where(*where)) or 0)
        rows = s.scalars(
            select(ApprovalRequest)
            .where(*where)
            .order_by(pending_first, ApprovalRequest.created_at.desc(), ApprovalRequest.id.desc())
            .limit(limit)
        ).all()
        return total, [(summarize(r), r.approvers if r.state == PENDING else None, r.decided_at) for r in rows]


@dataclass(frozen=True)
class RequestStatus:
    """Where one request stands: its summary, the current step's approvers (pending), and each decision made on
    it, in order, as (step name, approver, decision, reason, when)."""

    summary: RequestSummary
    approvers: str | None
    decided_at: dt.datetime | None
    votes: tuple[tuple[str, str, str, str | None, dt.datetime], ...]


def one_request(services: Services, request_id: int, user_id: str, everyone: bool) -> RequestStatus | None:
    """Request ``request_id`` as ``user_id`` may see it: every one to an admin (``everyone``), else one they may
    decide or raised, or one for a customer they own. None when there is no such request they may see (whether
    it exists is not told)."""
    owned = ApprovalRequest.customer_id.in_(select(Customer.id).where(Customer.owner_slack_id == user_id))
    where = [ApprovalRequest.id == request_id, *(() if everyone else (or_(_theirs(services, user_id), owned),))]
    with services.sessions() as s:
        r = s.scalars(select(ApprovalRequest).where(*where)).first()
        if r is None:
            return None
        in_order = (ApprovalVote.created_at, ApprovalVote.id)
        votes = s.scalars(select(ApprovalVote).where(ApprovalVote.request_id == r.id).order_by(*in_order)).all()
        said = tuple(
            (
                str(r.steps[v.step]["name"]) if v.step < len(r.steps) else f"step {v.step + 1}",
                v.approver,
                v.decision,
                v.reason,
                v.created_at,
            )
            for v in votes
        )
        return RequestStatus(summarize(r), r.approvers if r.state == PENDING else None, r.decided_at, said)


def decisions_by(
    services: Services,
    user_id: str,
    since: dt.datetime,
    until: dt.datetime | None,
    decision: str | None = None,
    limit: int = 10,
) -> tuple[int, list[tuple[RequestSummary, str, dt.datetime]]]:
    """The decisions ``user_id`` clicked from ``since`` to before ``until`` (None: to now): the audit trail's votes,
    only those of ``decision`` when given, the latest first. How many in all, and the first ``limit`` as (request,
    approve | reject | changes, when)."""
    window = [ApprovalVote.approver == user_id, ApprovalVote.created_at >= since]
    if until is not None:
        window.append(ApprovalVote.created_at < until)
    if decision:
        window.append(ApprovalVote.decision == decision)
    with services.sessions() as s:
        total = s.scalar(select(func.count()).select_from(ApprovalVote).where(*window)) or 0
        rows = s.execute(
            select(ApprovalVote, ApprovalRequest)
            .join(ApprovalRequest, ApprovalRequest.id == ApprovalVote.request_id)
            .where(*window)
            .order_by(ApprovalVote.created_at.desc(), ApprovalVote.id.desc())
            .limit(limit)
        ).all()
        return total, [(summarize(r), v.decision, v.created_at) for v, r in rows]


def decided_for(
    services: Services,
    user_id: str,
    since: dt.datetime,
    until: dt.datetime | None,
    states: tuple[str, ...] = FINAL_STATES,
    limit: int = 10,
) -> tuple[int, list[tuple[RequestSummary, str, dt.datetime]]]:
    """``user_id``'s own requests that reached one of ``states`` from ``since`` to before ``until`` (None: to now),
    the latest first: how many in all, and the first ``limit`` as (request, its final state, when)."""
    window = [
        ApprovalRequest.requester == user_id,
        ApprovalRequest.state.in_(states),
        ApprovalRequest.decided_at >= since,
    ]
    if until is not None:
        window.append(ApprovalRequest.decided_at < until)
    with services.sessions() as s:
        total = s.scalar(select(func.count()).select_from(ApprovalRequest).where(*window)) or 0
        rows = s.scalars(
            select(ApprovalRequest).where(*window).order_by(ApprovalRequest.decided_at.desc()).limit(limit)
        ).all()
        return total, [(summarize(r), r.state, r.decided_at or r.created_at) for r in rows]
