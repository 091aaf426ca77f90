"""Reminders, escalation and expiry of pending steps, driven by the leased scheduler (``bot.approvals.jobs``).

Everything is derived from the database (``step_started_at``, ``reminded_at``, ``escalated``), so a restart
loses nothing; each transition is a conditional UPDATE, so a second runner (or a decision landing at the
same moment) cannot apply it twice. Per step: remind after ``reminder_after``; at ``timeout`` hand the step
to ``escalate_to`` (its clock restarts); if the escalated step times out too, the request expires.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, update

from bot.approvals.auditing import audit
from bot.approvals.models import EXPIRED, PENDING, ApprovalRequest
from bot.approvals.publish import post_step_message, refresh_message, tell_requester, thread_note
from bot.approvals.results import label
from bot.mrkdwn import mention
from bot.notify import SentRef
from bot.services import Services
from bot.store.db import session_scope

log = logging.getLogger(__name__)
REPOST_AFTER = dt.timedelta(minutes=2)  # a missing governance message older than this is re-posted
ACTOR = "system:approvals-timeouts"


@dataclass
class SweepStats:
    reminded: int = 0
    escalated: int = 0
    expired: int = 0
    reposted: int = 0


@dataclass(frozen=True)
class _Seen:
    id: int
    step: int
    started: dt.datetime
    reminded: bool
    escalated: bool
    approvers: str | None
    escalate_to: str
    reminder: dt.timedelta
    timeout: dt.timedelta
    ref: SentRef | None


def _pending(services: Services) -> list[_Seen]:
    with session_scope(services.sessions) as s:
        rows = s.scalars(
            select(ApprovalRequest).where(
                ApprovalRequest.state == PENDING, ApprovalRequest.step_started_at.is_not(None)
            )
        ).all()
        out = []
        for r in rows:
            st = r.steps[r.step]
            assert r.step_started_at is not None
            out.append(
                _Seen(
                    r.id,
                    r.step,
                    r.step_started_at,
                    r.reminded_at is not None,
                    r.escalated,
                    r.approvers,
                    st["escalate_to"],
                    dt.timedelta(seconds=st["reminder_s"]),
                    dt.timedelta(seconds=st["timeout_s"]),
                    SentRef(r.message_channel, r.message_ts) if r.message_channel and r.message_ts else None,
                )
            )
        return out


def _claim(services: Services, seen: _Seen, action: str, details: dict[str, object], **values: object) -> bool:
    """Apply ``values`` if the step is still exactly as we saw it; audit it in the same transaction."""
    with session_scope(services.sessions) as s:
        done = (
            s.connection()
            .execute(
                update(ApprovalRequest)
                .where(
                    ApprovalRequest.id == seen.id,
                    ApprovalRequest.state == PENDING,
                    ApprovalRequest.step == seen.step,
                    ApprovalRequest.step_started_at == seen.started,
                    ApprovalRequest.escalated == seen.escalated,
                    (ApprovalRequest.reminded_at.is_not(None))
                    if seen.reminded
                    else ApprovalRequest.reminded_at.is_(None),
                )
                .values(version=ApprovalRequest.version + 1, **values)
            )
            .rowcount
        )
        if done != 1:
            return False
        audit(s, ACTOR, action, seen.id, {"step": seen.step, "policy_version": services.policies.version, **details})
        return True


def sweep(services: Services) -> SweepStats:
    now = services.clock()
    stats = SweepStats()
    for seen in _pending(services):
        try:
            _handle(services, seen, now, stats)
        except Exception:  # one bad request must not stop the sweep; the next run retries it
            log.exception("approval %s: timeout handling failed", seen.id)
    return stats


def _handle(services: Services, seen: _Seen, now: dt.datetime, stats: SweepStats) -> None:
    elapsed = now - seen.started
    if seen.ref is None and elapsed >= REPOST_AFTER and post_step_message(services, seen.id) is not None:
        stats.reposted += 1
    if elapsed >= seen.timeout and not seen.escalated:
        waited = int(elapsed.total_seconds())
        details: dict[str, object] = {"from": seen.approvers, "to": seen.escalate_to, "waited_s": waited}
        if _claim(
            services,
            seen,
            "approval.escalated",
            details,
            escalated=True,
            approvers=seen.escalate_to,
            step_started_at=now,
            reminded_at=None,
        ):
            stats.escalated += 1
            refresh_message(services, seen.id, seen.ref, seen.step)
            thread_note(services, seen.ref, f"No decision in time: escalated to {mention(seen.escalate_to)}.")
    elif elapsed >= seen.timeout:
        if _claim(
            services,
            seen,
            "approval.expired",
            {"waited_s": int(elapsed.total_seconds())},
            state=EXPIRED,
            decided_at=now,
            decided_by=ACTOR,
        ):
            stats.expired += 1
            refresh_message(services, seen.id, seen.ref, seen.step)
            _tell_expired(services, seen.id)
    elif (
        elapsed >= seen.reminder
        and not seen.reminded
        and _claim(services, seen, "approval.reminded", {"approvers": seen.approvers}, reminded_at=now)
    ):
        stats.reminded += 1
        thread_note(services, seen.ref, f"Reminder {mention(seen.approvers)}: request #{seen.id} is waiting.")


def _tell_expired(services: Services, request_id: int) -> None:
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, request_id)
        if req is None:
            return
        text = f"Request #{req.id} ({label(req.request_type)} for {req.customer_name}) expired without a decision."
    tell_requester(services, request_id, text)
