"""Recording a decision exactly once.

Every click first *claims* the request row with a conditional UPDATE
(``... SET version = version + 1 WHERE id = :id AND state = 'pending' AND step = :n AND approvers = :p``).
That statement takes the row's write lock (PostgreSQL) or the database write lock (SQLite), so concurrent
clicks on one request run one after another; each re-checks the state under the lock, and only the first
can move it. A vote row unique on (request, step, approver) stops a repeated click from counting twice
towards a quorum. Refusals change nothing but the audit trail.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.approvals.auditing import audit
from bot.approvals.models import APPROVED, CHANGES_REQUESTED, PENDING, REJECTED, ApprovalRequest, ApprovalVote
from bot.approvals.publish import post_step_message, refresh_message, tell_requester, thread_note
from bot.approvals.results import label
from bot.mrkdwn import mention
from bot.notify import SentRef
from bot.services import Services
from bot.store.db import session_scope

log = logging.getLogger(__name__)

DECISIONS = {"approve": APPROVED, "reject": REJECTED, "changes": CHANGES_REQUESTED}
# A decision's follow-up normally reaches Slack within a second; one still pending after this is orphaned.
NOTICE_GRACE = dt.timedelta(minutes=2)
_VALUE = re.compile(r"^(\d{1,18}):(\d{1,3})$")


class _Refused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class DecisionOutcome:
    accepted: bool
    code: str  # approved | rejected | changes_requested | advanced | vote_recorded | <refusal code>
    message: str  # one clear sentence for the clicker (ephemeral)
    request_id: int | None = None
    state: str | None = None
    step: int | None = None


def parse_button_value(value: str) -> tuple[int, int] | None:
    """``"42:0"`` -> (42, 0); anything else (forged or truncated) -> None."""
    m = _VALUE.match(value or "")
    return (int(m[1]), int(m[2])) if m else None


def eligibility(services: Services, req: ApprovalRequest, actor: str) -> str | None:
    """Why ``actor`` may not decide the current step of ``req`` (refusal code), or None if they may.

    Membership only; :func:`other_step_decided` adds separation of duties across steps.
    """
    if actor == req.requester:
        return "self_approval"
    if not req.approvers or not services.policies.is_member(actor, req.approvers):
        return "not_eligible"
    return None


def other_step_decided(s: Session, req: ApprovalRequest, actor: str, step: int) -> int | None:
    """The other step of ``req`` that ``actor`` already approved (separation of duties), or None.

    Only approvals count: a rejection or a change request ends the request, so nothing follows it.
    """
    if not req.one_step_per_person:
        return None
    return s.scalar(
        select(ApprovalVote.step)
        .where(
            ApprovalVote.request_id == req.id,
            ApprovalVote.approver == actor,
            ApprovalVote.step != step,
            ApprovalVote.decision == "approve",
        )
        .limit(1)
    )


REFUSALS = {
    "not_found": "Request #{id} does not exist.",
    "malformed": "That button is not one Rapport sent; nothing was changed.",
    "already_decided": "Request #{id} was already decided ({state}); nothing was changed.",
    "stale_step": "Request #{id} has moved on since this message was posted; use the current message.",
    "self_approval": "You raised request #{id}, so you cannot decide it (separation of duties).",
    "not_eligible": "You are not an approver for this step of request #{id} ({who}).",
    "already_voted": "You already approved this step of request #{id}; it needs another approver.",
    "other_step": (
        "You already decided another step of request #{id}; each step needs a different person "
        "(separation of duties). Someone else in {who} can decide this one."
    ),
    "reason_required": "Give a reason to reject or request changes.",
    "bad_decision": "Unknown decision.",
}


def refuse(
    services: Services,
    code: str,
    actor: str,
    request_id: int | None,
    req: ApprovalRequest | None = None,
    *,
    logged: bool = True,
    step: int | None = None,
    decision: str | None = None,
) -> DecisionOutcome:
    message = REFUSALS[code].format(
        id=request_id if request_id is not None else "?",
        state=req.state.replace("_", " ") if req else "",
        who=mention(req.approvers) if req else "",
    )
    if logged:
        with session_scope(services.sessions) as s:
            audit(
                s,
                actor,
                "approval.refused",
                request_id if request_id is not None else "?",
                {"code": code, "step": step, "decision": decision},
            )
    log.info("approval %s: refused %s for %s (%s)", request_id, decision, actor, code)
    return DecisionOutcome(False, code, message, request_id, req.state if req else None, req.step if req else None)


def checked_request(
    services: Services, request_id: int, step: int, actor: str, decision: str
) -> ApprovalRequest | DecisionOutcome:
    """The request if ``actor`` may decide ``step`` of it now, else a logged refusal.

    A read outside any lock: it gives precise refusals (and lets the Reject button refuse before opening its
    modal); the claim in :func:`decide` re-checks state, step and approvers under the lock.
    """
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, request_id)
        earlier = other_step_decided(s, req, actor, step) if req is not None else None
    if req is None:
        return refuse(services, "not_found", actor, request_id, step=step, decision=decision)
    if req.state != PENDING:
        return refuse(services, "already_decided", actor, request_id, req, step=step, decision=decision)
    if req.step != step:
        return refuse(services, "stale_step", actor, request_id, req, step=step, decision=decision)
    why = eligibility(services, req, actor) or ("other_step" if earlier is not None else None)
    return refuse(services, why, actor, request_id, req, step=step, decision=decision) if why else req


def precheck(services: Services, request_id: int, step: int, actor: str, decision: str) -> DecisionOutcome | None:
    checked = checked_request(services, request_id, step, actor, decision)
    return checked if isinstance(checked, DecisionOutcome) else None


def decide(
    services: Services,
    request_id: int,
    step: int,
    actor: str,
    decision: str,
    reason: str | None = None,
) -> DecisionOutcome:
    """Record ``actor``'s ``decision`` (approve | reject | changes) on step ``step``; then tell Slack.

    Safe to call any number of times concurrently for the same request: at most one call moves each step.
    """
    if decision not in DECISIONS:
        return refuse(services, "bad_decision", actor, request_id, logged=False)
    reason = (reason or "").strip() or None
    if decision != "approve" and not reason:
        return refuse(services, "reason_required", actor, request_id, logged=False)
    now = services.clock()

    checked = checked_request(services, request_id, step, actor, decision)
    if isinstance(checked, DecisionOutcome):
        return checked
    seen_approvers = checked.approvers

    old_ref: SentRef | None = None
    version = 0
    try:
        with session_scope(services.sessions) as s:
            claimed = (
                s.connection()
                .execute(
                    update(ApprovalRequest)
                    .where(
                        ApprovalRequest.id == request_id,
                        ApprovalRequest.state == PENDING,
                        ApprovalRequest.step == step,
                        ApprovalRequest.approvers == seen_approvers,
                    )
                    .values(version=ApprovalRequest.version + 1)
                )
                .rowcount
            )
            if claimed == 1:
                # We hold the lock: this read is current, and nobody else can move the request until commit.
                cur = s.execute(select(ApprovalRequest).where(ApprovalRequest.id == request_id)).scalar_one()
                s.refresh(cur)
                if other_step_decided(s, cur, actor, step) is not None:
                    raise _Refused("other_step")  # rolls the claim back: nothing changed
                try:
                    with s.begin_nested():
                        s.add(
                            ApprovalVote(
                                request_id=request_id,
                                step=step,
                                approver=actor,
                                decision=decision,
                                reason=reason,
                                created_at=now,
                            )
                        )
                except IntegrityError:
                    claimed = 0
                    code = "already_voted"
                else:
                    if cur.message_channel and cur.message_ts:
                        old_ref = SentRef(cur.message_channel, cur.message_ts)
                    code = _apply(s, services, cur, step, actor, decision, reason, now)
                    cur.notice = {"code": code, "step": step, "ref": [old_ref.channel, old_ref.ts] if old_ref else None}
                    cur.notice_at = now
                    version = cur.version
            else:
                code = ""
    except _Refused as refused:  # raised under the claim: the transaction rolled back, nothing changed
        return refuse(services, refused.code, actor, request_id, checked, step=step, decision=decision)
    if claimed != 1:
        with session_scope(services.sessions) as s:
            latest = s.get(ApprovalRequest, request_id)
        if code != "already_voted":
            code = "already_decided" if latest is None or latest.state != PENDING else "stale_step"
        return refuse(services, code, actor, request_id, latest, step=step, decision=decision)

    _after(services, request_id, step, code, old_ref)
    _notice_delivered(services, request_id, now, version)
    with session_scope(services.sessions) as s:
        final = s.get(ApprovalRequest, request_id)
        state = final.state if final else None
        now_step = final.step if final else None
    return DecisionOutcome(True, code, _confirmation(code, request_id), request_id, state, now_step)


def _apply(
    s: Session,
    services: Services,
    cur: ApprovalRequest,
    step: int,
    actor: str,
    decision: str,
    reason: str | None,
    now: dt.datetime,
) -> str:
    """State change under the claim. Returns the outcome code."""
    details = {
        "step": step,
        "step_name": cur.steps[step]["name"],
        "decision": decision,
        "policy_version": services.policies.version,
        "request_policy_version": cur.policy_version,
        "reason_given": reason is not None,
    }
    if decision != "approve":
        cur.state = DECISIONS[decision]
        cur.decided_at = now
        cur.decided_by = actor
        cur.decision_reason = reason
        audit(s, actor, "approval.decided", cur.id, {**details, "outcome": cur.state})
        return cur.state
    approvals = (
        s.scalar(
            select(func.count())
            .select_from(ApprovalVote)
            .where(ApprovalVote.request_id == cur.id, ApprovalVote.step == step, ApprovalVote.decision == "approve")
        )
        or 0
    )
    required = int(cur.steps[step]["required"])
    if approvals < required:
        audit(s, actor, "approval.vote", cur.id, {**details, "approvals": approvals, "required": required})
        return "vote_recorded"
    if step + 1 < len(cur.steps):
        nxt = cur.steps[step + 1]
        cur.step = step + 1
        cur.approvers = nxt["approvers"]
        cur.step_started_at = now
        cur.reminded_at = None
        cur.escalated = False
        cur.message_channel = None
        cur.message_ts = None
        # One event per transaction (see bot.approvals.auditing); the next step's opening is part of it.
        audit(
            s,
            actor,
            "approval.decided",
            cur.id,
            {
                **details,
                "outcome": "step_approved",
                "next_step": {
                    "step": step + 1,
                    "name": nxt["name"],
                    "approvers": nxt["approvers"],
                    "channel": nxt["channel"],
                },
            },
        )
        return "advanced"
    cur.state = APPROVED
    cur.decided_at = now
    cur.decided_by = actor
    audit(s, actor, "approval.decided", cur.id, {**details, "outcome": APPROVED})
    return APPROVED


def _confirmation(code: str, request_id: int) -> str:
    return {
        "approved": f"Request #{request_id} approved.",
        "rejected": f"Request #{request_id} rejected.",
        "changes_requested": f"Changes requested on request #{request_id}.",
        "advanced": f"Step approved; request #{request_id} moved to the next step.",
        "vote_recorded": f"Your approval of request #{request_id} is recorded; the step needs more approvers.",
    }.get(code, "Done.")


def _notice_delivered(services: Services, request_id: int, at: dt.datetime, version: int) -> bool:
    """Clear the notice of the decision made at ``at`` (``version``); False if someone else took it first."""
    with session_scope(services.sessions) as s:
        done = s.execute(
            update(ApprovalRequest)
            .where(
                ApprovalRequest.id == request_id,
                ApprovalRequest.notice_at == at,
                ApprovalRequest.version == version,
            )
            .values(notice=None, notice_at=None)
        ).rowcount  # type: ignore[attr-defined]
    return bool(done)


def deliver_stale_notices(services: Services, older_than: dt.timedelta = NOTICE_GRACE) -> int:
    """Slack follow-ups of decisions whose replica died before telling Slack: deliver each once.

    The notice is claimed (cleared by a conditional UPDATE) before it is sent, so two sweepers never both
    send it; a sweeper dying mid-send loses at most that one follow-up, never the decision.
    """
    cutoff = services.clock() - older_than
    with session_scope(services.sessions) as s:
        stale = s.execute(
            select(ApprovalRequest.id, ApprovalRequest.notice, ApprovalRequest.notice_at, ApprovalRequest.version)
            .where(ApprovalRequest.notice_at.is_not(None), ApprovalRequest.notice_at < cutoff)
            .order_by(ApprovalRequest.id)
            .limit(100)
        ).all()
    sent = 0
    for request_id, notice, at, version in stale:
        if not notice or not _notice_delivered(services, request_id, at, version):
            continue
        ref = SentRef(*notice["ref"]) if notice.get("ref") else None
        log.warning("approval #%s: delivering the Slack follow-up of a decision left undelivered", request_id)
        _after(services, request_id, int(notice["step"]), str(notice["code"]), ref)
        sent += 1
    return sent


def _after(services: Services, request_id: int, step: int, code: str, old_ref: SentRef | None) -> None:
    """Slack side of a decision, after commit: update in place, next step's message, tell the requester."""
    refresh_message(services, request_id, old_ref, step)
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, request_id)
        if req is None:
            return
        what, who, customer = label(req.request_type), mention(req.decided_by), req.customer_name
        next_name = req.steps[req.step]["name"] if req.state == PENDING else ""
        has_message = req.message_ts is not None
    if code == "advanced":
        if not has_message:  # a redelivered notice must not post the next step twice
            post_step_message(services, request_id)
        tell_requester(
            services, request_id, f"Request #{request_id} ({what} for {customer}) passed a step; now with {next_name}."
        )
    elif code in (APPROVED, REJECTED, CHANGES_REQUESTED):
        verb = {APPROVED: "was approved", REJECTED: "was rejected", CHANGES_REQUESTED: "needs changes"}[code]
        tell_requester(services, request_id, f"Request #{request_id} ({what} for {customer}) {verb} by {who}.")
    elif code == "vote_recorded":
        thread_note(services, old_ref, f"Approval recorded on request #{request_id}; more approvals needed.")
