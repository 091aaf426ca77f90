"""A submission repeated with the same content by the same requester within the window (a replayed slash
command, a double-submitted modal) is answered with the first request; nothing new is created or posted."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from bot.approvals.models import ApprovalRequest, ApprovalSubmission
from bot.approvals.requests import DUPLICATE_WINDOW, Submitted, submit_request
from bot.approvals.validation import RequestDraft
from bot.notify import RecordingNotifier
from bot.services import Services
from bot.store.db import session_scope

from ...conftest import Clock

DRAFT = RequestDraft(
    request_type="discount",
    customer="Northwave Foods Inc",
    requester="U0AMGOLD",
    amount="$40,000",
    percent="12%",
    justification="Competitor offered 12% off; renewal at risk.",
    origin_channel="C0ASK",
)


def _count(services: Services) -> int:
    with session_scope(services.sessions) as s:
        return int(s.scalar(select(func.count()).select_from(ApprovalRequest)) or 0)


def test_the_same_content_again_is_answered_with_the_first_request(
    services: Services, notifier: RecordingNotifier
) -> None:
    first = submit_request(services, DRAFT)
    posts = len(notifier.sent)
    again = submit_request(services, DRAFT)
    assert again.duplicate and not first.duplicate
    assert again.request_id == first.request_id and again.state == "pending"
    assert f"#{first.request_id}" in again.message and "already sent" in again.message
    assert _count(services) == 1 and len(notifier.sent) == posts  # no second governance post
    # the same content written differently ($40000 vs $40,000, from another channel) is still the same request
    same = RequestDraft(**{**DRAFT.__dict__, "amount": "40000", "origin_channel": "C0OTHER"})
    assert submit_request(services, same).request_id == first.request_id


def test_different_content_requester_or_an_expired_window_make_new_requests(services: Services, clock: Clock) -> None:
    first = submit_request(services, DRAFT).request_id
    other_text = RequestDraft(**{**DRAFT.__dict__, "justification": "Competitor offered 12% off; board asked."})
    other_person = RequestDraft(**{**DRAFT.__dict__, "requester": "U0AMSILV"})
    ids = {first, submit_request(services, other_text).request_id, submit_request(services, other_person).request_id}
    assert len(ids) == 3
    clock.now += DUPLICATE_WINDOW + dt.timedelta(seconds=1)
    later = submit_request(services, DRAFT)
    assert not later.duplicate and later.request_id not in ids
    with session_scope(services.sessions) as s:
        row = s.scalars(select(ApprovalSubmission).where(ApprovalSubmission.request_id == later.request_id)).one()
        assert row.submitted_at == clock.now  # the window now runs from the newest request
    assert submit_request(services, DRAFT).request_id == later.request_id


def test_auto_approved_requests_are_not_made_twice_either(services: Services, notifier: RecordingNotifier) -> None:
    small = RequestDraft(**{**DRAFT.__dict__, "amount": "$5,000", "percent": "5%"})
    first = submit_request(services, small)
    told = len(notifier.sent)
    again = submit_request(services, small)
    assert first.state == again.state == "auto_approved" and again.request_id == first.request_id
    assert len(notifier.sent) == told


def test_identical_submissions_racing_create_one_request(services: Services) -> None:
    n = 8
    barrier = threading.Barrier(n)
    results: list[Submitted | BaseException] = []
    lock = threading.Lock()

    def submit() -> None:
        barrier.wait()
        try:
            out: Submitted | BaseException = submit_request(services, DRAFT)
        except BaseException as exc:  # surfaced by the assertion below
            out = exc
        with lock:
            results.append(out)

    threads = [threading.Thread(target=submit) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:2]
    subs = [r for r in results if isinstance(r, Submitted)]
    assert len({s.request_id for s in subs}) == 1
    assert sum(not s.duplicate for s in subs) == 1
    assert _count(services) == 1
