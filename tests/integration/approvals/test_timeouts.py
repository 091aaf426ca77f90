"""Reminder, escalation and expiry: driven by stored times, applied once, audited, surviving restarts."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from sqlalchemy import select

from bot.approvals.decisions import decide
from bot.approvals.jobs import jobs
from bot.approvals.models import ApprovalRequest
from bot.approvals.requests import submit_request
from bot.approvals.timeouts import SweepStats, sweep
from bot.approvals.validation import RequestDraft
from bot.governance.audit import verify
from bot.notify import RecordingNotifier
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import AuditEvent


def _request(services: Services, n: int = 1) -> int:
    # manager-discount: one step, reminder 8h, timeout 24h, escalate to S0CSLEADS
    return submit_request(
        services,
        RequestDraft(
            request_type="discount",
            customer="Northwave Foods Inc",
            requester="U0AMGOLD",
            amount="$40,000",
            percent="12%",
            justification=f"Competitor offered 12% off; renewal {n} at risk.",
        ),
    ).request_id


def _req(services: Services, rid: int) -> ApprovalRequest:
    with session_scope(services.sessions) as s:
        r = s.get(ApprovalRequest, rid)
        assert r is not None
        return r


def _actions(services: Services) -> Counter[str]:
    with session_scope(services.sessions) as s:
        return Counter(s.scalars(select(AuditEvent.action)).all())


def test_remind_then_escalate_then_expire(services: Services, clock: Any, notifier: RecordingNotifier) -> None:
    rid = _request(services)
    assert sweep(services) == SweepStats()
    clock.advance(hours=8)
    assert sweep(services).reminded == 1
    assert sweep(services).reminded == 0  # once per step
    note = notifier.sent[-1][1]
    assert note.thread_ts == notifier.sent[0][0].ts and "Reminder" in note.text

    clock.advance(hours=16)
    assert sweep(services).escalated == 1
    req = _req(services, rid)
    assert req.escalated and req.approvers == "S0CSLEADS" and req.state == "pending"
    # the original approvers lose the step; the escalation target can decide it
    assert decide(services, rid, 0, "U0SALESMGR", "approve").code == "not_eligible"

    clock.advance(hours=24)
    assert sweep(services).expired == 1
    assert _req(services, rid).state == "expired"
    assert notifier.sent[-1][1].channel == "U0AMGOLD" and "expired" in notifier.sent[-1][1].text
    acts = _actions(services)
    assert acts["approval.reminded"] == 1 and acts["approval.escalated"] == 1 and acts["approval.expired"] == 1
    with session_scope(services.sessions) as s:
        assert verify(s).ok


def test_escalation_target_can_decide(services: Services, clock: Any) -> None:
    rid = _request(services)
    clock.advance(hours=25)
    sweep(services)
    assert decide(services, rid, 0, "U0VPCX", "approve").code == "approved"


def test_decided_requests_are_left_alone(services: Services, clock: Any) -> None:
    rid = _request(services)
    decide(services, rid, 0, "U0SALESMGR", "approve")
    clock.advance(days=10)
    assert sweep(services) == SweepStats()
    assert _req(services, rid).state == "approved"


def test_concurrent_sweeps_apply_each_transition_once(services: Services, clock: Any) -> None:
    for n in range(3):
        _request(services, n)  # three different requests (identical ones would be one: test_duplicate_submissions)
    clock.advance(hours=25)
    results: list[SweepStats] = []
    threads = [threading.Thread(target=lambda: results.append(sweep(services))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.escalated for r in results) == 3
    assert _actions(services)["approval.escalated"] == 3


def test_missing_governance_message_is_reposted(services: Services, clock: Any, notifier: RecordingNotifier) -> None:
    notifier.fail_channels.add("C0DEALDESK")
    rid = _request(services)
    notifier.fail_channels.clear()
    clock.advance(minutes=5)
    assert sweep(services).reposted == 1
    assert _req(services, rid).message_ts is not None


def test_jobs_expose_the_sweep(services: Services) -> None:
    (spec,) = jobs(services)
    assert spec.name == "approvals.timeouts" and spec.seconds == 60
    spec.func()  # runs against the database without error
