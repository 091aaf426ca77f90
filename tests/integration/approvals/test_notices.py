"""A decision's Slack follow-up survives a replica dying between the commit and Slack: the sweep delivers
it once, and a follow-up already delivered is never sent again."""

from __future__ import annotations

import pytest

import bot.approvals.decisions as decisions
from bot.approvals.decisions import decide, deliver_stale_notices
from bot.approvals.models import ApprovalRequest
from bot.approvals.requests import submit_request
from bot.approvals.validation import RequestDraft
from bot.notify import RecordingNotifier
from bot.services import Services
from bot.store.db import session_scope

from .conftest import Clock


def _request(services: Services) -> int:
    draft = RequestDraft(
        request_type="discount",
        customer="Northwave Foods Inc",
        requester="U0AMGOLD",
        amount="$40,000",
        percent="12%",
        justification="Competitor offered 12% off; renewal at risk.",
        origin_channel="C0ASK",
        origin_thread_ts="1700000000.000001",
    )
    rid = submit_request(services, draft).request_id
    assert rid is not None
    return rid


def _notice(services: Services, rid: int) -> tuple[object, object]:
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, rid)
        assert req is not None
        return req.notice, req.notice_at


def test_a_delivered_decision_leaves_no_notice(services: Services, notifier: RecordingNotifier, clock: Clock) -> None:
    rid = _request(services)
    assert decide(services, rid, 0, "U0SALESMGR", "approve").state == "approved"
    assert _notice(services, rid) == (None, None)
    clock.advance(minutes=10)
    sent_before = len(notifier.sent)
    assert deliver_stale_notices(services) == 0
    assert len(notifier.sent) == sent_before


def test_crash_after_commit_is_followed_up_once(
    services: Services, notifier: RecordingNotifier, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = _request(services)
    posted_ref = notifier.sent[0][0]

    def die(*_: object) -> None:
        raise SystemExit("replica killed after the commit")

    with monkeypatch.context() as m:
        m.setattr(decisions, "_after", die)
        with pytest.raises(SystemExit):
            decide(services, rid, 0, "U0SALESMGR", "approve")
    notice, _ = _notice(services, rid)
    assert notice and notice["code"] == "approved"  # type: ignore[index]
    assert not notifier.updates and len(notifier.sent) == 1  # Slack heard nothing

    assert deliver_stale_notices(services) == 0  # too fresh: the deciding replica may still be at it
    clock.advance(minutes=3)
    assert deliver_stale_notices(services) == 1
    ((ref, update),) = notifier.updates
    assert ref == posted_ref and not update.view.actionable  # type: ignore[attr-defined]
    told = [(o.channel, o.thread_ts) for _, o in notifier.sent[1:]]
    assert told == [("U0AMGOLD", None), ("C0ASK", "1700000000.000001")]
    assert _notice(services, rid) == (None, None)
    clock.advance(minutes=10)
    assert deliver_stale_notices(services) == 0
    assert len(notifier.sent) == 3 and len(notifier.updates) == 1


def test_an_approver_that_is_not_a_slack_id_is_shown_as_text(services: Services, notifier: RecordingNotifier) -> None:
    """A policy file's approver is a user or group id; anything else (a typo, a pasted ``<!channel>``) is named
    as escaped text in the governance post, not wrapped into a mention."""
    from bot.approvals.publish import post_step_message

    rid = _request(services)
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, rid)
        assert req is not None
        req.approvers, req.message_ts = "<!channel> deal desk", None
    post_step_message(services, rid)
    text = notifier.sent[-1][1].text
    assert text.endswith("&lt;!channel&gt; deal desk") and "<@" not in text and "<!" not in text
