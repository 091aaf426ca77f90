"""Decisions: eligibility, separation of duties, chains, quorum, and exactly-once under concurrent clicks."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from bot.approvals.decisions import DecisionOutcome, decide
from bot.approvals.models import ApprovalRequest, ApprovalVote
from bot.approvals.requests import submit_request
from bot.approvals.validation import RequestDraft
from bot.governance.audit import verify
from bot.notify import RecordingNotifier
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import AuditEvent


def _request(services: Services, **kw: str) -> int:
    fields = dict(
        request_type="discount",
        customer="Northwave Foods Inc",
        requester="U0AMGOLD",
        amount="$40,000",
        percent="12%",
        justification="Competitor offered 12% off; renewal at risk.",
        origin_channel="C0ASK",
        origin_thread_ts="1700000000.000001",
    )
    fields.update(kw)
    return submit_request(services, RequestDraft(**fields)).request_id  # type: ignore[arg-type]


def _state(services: Services, rid: int) -> ApprovalRequest:
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, rid)
        assert req is not None
        return req


def _actions(services: Services) -> Counter[str]:
    with session_scope(services.sessions) as s:
        return Counter(s.scalars(select(AuditEvent.action)).all())


def _votes(services: Services, rid: int) -> list[tuple[int, str, str]]:
    with session_scope(services.sessions) as s:
        return [
            tuple(r)
            for r in s.execute(  # type: ignore[misc]
                select(ApprovalVote.step, ApprovalVote.approver, ApprovalVote.decision)
                .where(ApprovalVote.request_id == rid)
                .order_by(ApprovalVote.id)
            ).all()
        ]


def test_approve_updates_message_in_place_and_tells_requester(services: Services, notifier: RecordingNotifier) -> None:
    rid = _request(services)
    posted_ref = notifier.sent[0][0]
    out = decide(services, rid, 0, "U0SALESMGR", "approve")
    assert out.accepted and out.code == "approved" and out.state == "approved"
    ((ref, upd),) = notifier.updates
    assert ref == posted_ref and upd.view is not None and not upd.view.actionable  # type: ignore[attr-defined]
    told = [(o.channel, o.thread_ts) for _, o in notifier.sent[1:]]
    assert told == [("U0AMGOLD", None), ("C0ASK", "1700000000.000001")]
    req = _state(services, rid)
    assert req.decided_by == "U0SALESMGR" and req.decided_at is not None


def test_requester_and_outsiders_are_refused_and_logged(services: Services) -> None:
    rid = _request(services, requester="U0CSLEAD")  # U0CSLEAD is also a sales manager
    refused = [
        decide(services, rid, 0, "U0CSLEAD", "approve"),  # own request
        decide(services, rid, 0, "U0LOGDSP", "approve"),  # not in S0SALESMGR
        decide(services, 999_999, 0, "U0SALESMGR", "approve"),  # no such request
        decide(services, rid, 3, "U0SALESMGR", "approve"),  # forged step
    ]
    assert [o.code for o in refused] == ["self_approval", "not_eligible", "not_found", "stale_step"]
    assert all(not o.accepted for o in refused)
    assert "separation of duties" in refused[0].message and "not an approver" in refused[1].message
    assert _actions(services)["approval.refused"] == 4
    assert _state(services, rid).state == "pending" and _votes(services, rid) == []


def test_reject_needs_reason_and_replays_are_refused(services: Services, notifier: RecordingNotifier) -> None:
    rid = _request(services)
    assert decide(services, rid, 0, "U0SALESMGR", "reject").code == "reason_required"
    assert _state(services, rid).state == "pending"
    out = decide(services, rid, 0, "U0SALESMGR", "reject", "Margin floor is 15% for gold")
    assert out.code == "rejected"
    replay = decide(services, rid, 0, "U0SALESMGR", "approve")
    assert replay.code == "already_decided" and "already decided (rejected)" in replay.message
    req = _state(services, rid)
    assert req.state == "rejected" and req.decision_reason == "Margin floor is 15% for gold"
    assert "Margin floor" in str(notifier.sent[1][1].view)


def test_chain_advances_step_by_step_and_old_buttons_go_stale(services: Services, notifier: RecordingNotifier) -> None:
    rid = _request(services, amount="$150,000", percent="20%")  # deal-desk-discount: 2 steps
    assert decide(services, rid, 0, "U0SALESMGR", "approve").code == "advanced"
    req = _state(services, rid)
    assert req.step == 1 and req.approvers == "S0DEALDESK" and req.message_ts is not None
    assert decide(services, rid, 0, "U0CSLEAD", "approve").code == "stale_step"  # old message's button
    assert decide(services, rid, 1, "U0SALESMGR", "approve").code == "not_eligible"
    assert decide(services, rid, 1, "U0DEALDS2", "changes", "Split into two orders").code == "changes_requested"
    assert _state(services, rid).state == "changes_requested"
    posted = [o.channel for _, o in notifier.sent]
    assert posted.count("C0DEALDESK") == 2  # one governance message per step


def test_quorum_needs_distinct_approvers(services: Services) -> None:
    # bulk data access: CS leadership, then Privacy office with quorum 2
    rid = _request(
        services,
        request_type="data_access",
        amount="500",
        percent="",
        justification="Quarterly churn analysis for the board",
    )
    assert decide(services, rid, 0, "U0VPCX", "approve").code == "advanced"
    assert decide(services, rid, 1, "U0PRIVACY", "approve").code == "vote_recorded"
    again = decide(services, rid, 1, "U0PRIVACY", "approve")
    assert again.code == "already_voted" and _state(services, rid).state == "pending"
    assert decide(services, rid, 1, "U0LEGAL", "approve").code == "approved"
    assert [v[1] for v in _votes(services, rid)] == ["U0VPCX", "U0PRIVACY", "U0LEGAL"]


def _storm(services: Services, calls: list[tuple[int, int, str, str, str | None]]) -> list[DecisionOutcome]:
    barrier = threading.Barrier(len(calls))
    results: list[DecisionOutcome | BaseException] = [RuntimeError("not run")] * len(calls)

    def click(i: int) -> None:
        rid, step, user, decision, reason = calls[i]
        barrier.wait()
        try:
            results[i] = decide(services, rid, step, user, decision, reason)
        except BaseException as exc:  # surfaced below, not swallowed
            results[i] = exc

    threads = [threading.Thread(target=click, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    return results  # type: ignore[return-value]


def test_hundred_concurrent_clicks_make_exactly_one_decision(services: Services) -> None:
    rid = _request(services)
    users = ["U0SALESMGR", "U0CSLEAD", "U0AMGOLD", "U0LOGDSP"]  # two eligible, the requester, an outsider
    decisions = [("approve", None), ("reject", "over budget")]
    calls = [(rid, 0, users[i % 4], *decisions[(i // 4) % 2]) for i in range(100)]
    results = _storm(services, calls)
    accepted = [r for r in results if r.accepted]
    assert len(accepted) == 1
    assert Counter(r.code for r in results if not r.accepted).keys() <= {
        "already_decided",
        "self_approval",
        "not_eligible",
    }
    req = _state(services, rid)
    assert req.state == accepted[0].code and req.decided_by in {"U0SALESMGR", "U0CSLEAD"}
    assert len(_votes(services, rid)) == 1
    actions = _actions(services)
    assert actions["approval.decided"] == 1 and actions["approval.refused"] == 99
    with session_scope(services.sessions) as s:
        assert verify(s).ok


def test_concurrent_quorum_votes_each_count_once(services: Services) -> None:
    rid = _request(
        services,
        request_type="data_access",
        amount="500",
        percent="",
        justification="Quarterly churn analysis for the board",
    )
    decide(services, rid, 0, "U0CSLEAD", "approve")
    calls = [(rid, 1, ["U0PRIVACY", "U0LEGAL"][i % 2], "approve", None) for i in range(40)]
    results = _storm(services, calls)
    assert Counter(r.code for r in results if r.accepted) == Counter({"vote_recorded": 1, "approved": 1})
    assert _state(services, rid).state == "approved"
    with session_scope(services.sessions) as s:
        n = s.scalar(select(func.count()).select_from(ApprovalVote).where(ApprovalVote.step == 1))
    assert n == 2
