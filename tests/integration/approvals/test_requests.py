"""Request creation: validation errors, routing through the policy matrix, audit, governance message."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.approvals.models import ApprovalRequest
from bot.approvals.requests import submit_request
from bot.approvals.validation import RequestDraft, ValidationFailed
from bot.governance.audit import verify
from bot.notify import RecordingNotifier
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import AuditEvent


def draft(**kw: object) -> RequestDraft:
    base: dict[str, object] = dict(
        request_type="discount",
        customer="Northwave Foods Inc",
        requester="U0AMGOLD",
        amount="$40,000",
        percent="12%",
        justification="Competitor offered 12% off; renewal at risk.",
        origin_channel="C0ASK",
        origin_thread_ts="1700000000.000001",
    )
    base.update(kw)
    return RequestDraft(**base)  # type: ignore[arg-type]


def test_manager_discount_routes_to_sales_managers_and_posts(services: Services, notifier: RecordingNotifier) -> None:
    sub = submit_request(services, draft())
    assert sub.state == "pending" and sub.rule == "manager-discount" and sub.first_channel == "C0DEALDESK"
    ((ref, out),) = notifier.sent
    assert out.channel == "C0DEALDESK" and out.view is not None
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, sub.request_id)
        assert req is not None
        assert (req.message_channel, req.message_ts) == (ref.channel, ref.ts)
        assert req.tier == "gold" and req.approvers == "S0SALESMGR"
        assert req.policy_version == services.policies.version
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["approval.requested", "approval.step_posted"]
        assert verify(s).ok


def test_small_low_risk_discount_is_auto_approved_and_requester_told(
    services: Services, notifier: RecordingNotifier
) -> None:
    sub = submit_request(services, draft(amount="$5,000", percent="8%"))
    assert sub.state == "auto_approved" and not sub.step_names
    assert [o.channel for _, o in notifier.sent] == ["U0AMGOLD", "C0ASK"]
    assert notifier.sent[1][1].thread_ts == "1700000000.000001"


def test_emea_custom_terms_need_three_steps(services: Services) -> None:
    sub = submit_request(
        services,
        draft(
            request_type="terms",
            customer="Helios Analytics",
            amount="$250k",
            percent="",
            terms="Unlimited liability cap for data breaches",
        ),
    )
    assert sub.rule == "emea-data-terms" and sub.step_names == ("Deal desk", "Legal", "Privacy office")


def test_validation_collects_every_error_and_stores_nothing(services: Services) -> None:
    with pytest.raises(ValidationFailed) as err:
        submit_request(services, draft(request_type="refund", customer="Nobody Ltd", amount="12,50", justification=""))
    errors = err.value.errors
    assert set(errors) == {"request_type", "customer", "amount", "justification"}
    assert "unknown customer" in errors["customer"] and "$12,500" in errors["amount"]
    assert "required" in errors["justification"]
    with session_scope(services.sessions) as s:
        assert s.scalars(select(ApprovalRequest)).first() is None


def test_ambiguous_customer_lists_candidates(services: Services) -> None:
    with pytest.raises(ValidationFailed) as err:
        submit_request(services, draft(customer="helios"))
    assert "Helios Analytics" in err.value.errors["customer"] and "Helios Logistics" in err.value.errors["customer"]


def test_discount_without_measure_is_refused(services: Services) -> None:
    with pytest.raises(ValidationFailed) as err:
        submit_request(services, draft(amount="", percent=""))
    assert "percentage" in err.value.errors["amount"]


def test_failed_post_is_audited_and_request_kept(services: Services, notifier: RecordingNotifier) -> None:
    notifier.fail_channels.add("C0DEALDESK")
    sub = submit_request(services, draft())
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, sub.request_id)
        assert req is not None and req.state == "pending" and req.message_ts is None
        assert "approval.notify_failed" in s.scalars(select(AuditEvent.action)).all()
