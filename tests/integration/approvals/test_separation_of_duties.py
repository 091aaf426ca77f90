"""Separation of duties across steps: one person decides at most one step of a request unless the policy
relaxes it for the request type; the card of a later step names who decided the earlier ones."""

from __future__ import annotations

import dataclasses
from collections import Counter
from unittest import mock

from sqlalchemy import select

from bot.approvals import decisions
from bot.approvals.decisions import decide
from bot.approvals.models import ApprovalRequest, ApprovalVote
from bot.approvals.queries import home_summary
from bot.approvals.requests import submit_request
from bot.approvals.results import ApprovalCard
from bot.approvals.validation import RequestDraft
from bot.notify import RecordingNotifier
from bot.policies.approvals import SeparationOfDuties
from bot.services import Services
from bot.slack.views.approvals import card_blocks
from bot.store.db import session_scope
from bot.store.models import AuditEvent

# Helios Analytics is an EMEA customer: custom terms go Deal desk -> Legal -> Privacy office, and the Legal
# and Privacy groups have the same two members (U0LEGAL, U0PRIVACY): the chain of finding 6.
EMEA_TERMS = dict(
    request_type="terms",
    customer="Helios Analytics",
    requester="U0AMGOLD",
    terms="Data stays in the EU; 60-day deletion",
    justification="Customer's DPO requires EU-only processing before renewal.",
)


def _submit(services: Services, **kw: str) -> int:
    return submit_request(services, RequestDraft(**{**EMEA_TERMS, **kw})).request_id  # type: ignore[arg-type]


def _req(services: Services, rid: int) -> ApprovalRequest:
    with session_scope(services.sessions) as s:
        req = s.get(ApprovalRequest, rid)
        assert req is not None
        return req


def _refusal_codes(services: Services) -> Counter[str]:
    with session_scope(services.sessions) as s:
        rows = s.scalars(select(AuditEvent.details).where(AuditEvent.action == "approval.refused")).all()
    return Counter(d["code"] for d in rows)


def _relaxed(services: Services, request_type: str) -> Services:
    reason = "One counsel covers legal and privacy review in this region"
    approvals = services.policies.approvals.model_copy(
        update={"separation_of_duties": SeparationOfDuties(relaxed={request_type: reason})}  # type: ignore[dict-item]
    )
    return dataclasses.replace(services, policies=dataclasses.replace(services.policies, approvals=approvals))


def test_one_person_cannot_decide_two_steps_even_as_member_of_both_groups(
    services: Services, notifier: RecordingNotifier
) -> None:
    rid = _submit(services)
    req = _req(services, rid)
    assert [s["approvers"] for s in req.steps] == ["S0DEALDESK", "S0LEGAL", "S0PRIVACY"] and req.one_step_per_person
    assert decide(services, rid, 0, "U0DEALDSK", "approve").code == "advanced"
    assert decide(services, rid, 1, "U0LEGAL", "approve").code == "advanced"

    # App Home: the Privacy step waits for U0PRIVACY, not for U0LEGAL, though both are in the group
    assert [r.request_id for r in home_summary(services, "U0PRIVACY").to_decide] == [rid]
    assert home_summary(services, "U0LEGAL").to_decide == ()

    refused = decide(services, rid, 2, "U0LEGAL", "approve")
    assert not refused.accepted and refused.code == "other_step"
    assert "separation of duties" in refused.message
    after = _req(services, rid)
    assert (after.state, after.step) == ("pending", 2)
    # a rejection is a decision too: the person who approved Legal cannot end the request at Privacy either
    assert decide(services, rid, 2, "U0LEGAL", "reject", "not needed").code == "other_step"
    assert _refusal_codes(services)["other_step"] == 2

    assert decide(services, rid, 2, "U0PRIVACY", "approve").code == "approved"
    with session_scope(services.sessions) as s:
        voters = s.execute(select(ApprovalVote.step, ApprovalVote.approver).where(ApprovalVote.request_id == rid))
        assert sorted(voters) == [(0, "U0DEALDSK"), (1, "U0LEGAL"), (2, "U0PRIVACY")]

    privacy_card = [o.view for _, o in notifier.sent if isinstance(o.view, ApprovalCard) and o.view.step == 2][0]
    assert privacy_card.earlier_deciders == ("U0DEALDSK", "U0LEGAL")
    texts = str(card_blocks(privacy_card))
    assert "Earlier steps decided by <@U0DEALDSK>, <@U0LEGAL>: separation of duties" in texts


def test_the_check_holds_under_the_claim_when_the_precheck_is_skipped(services: Services) -> None:
    """Two clicks racing past the unlocked read must still meet the check made while the row is claimed."""
    rid = _submit(services)
    decide(services, rid, 0, "U0DEALDSK", "approve")
    decide(services, rid, 1, "U0PRIVACY", "approve")
    version = _req(services, rid).version

    def no_precheck(svc: Services, request_id: int, step: int, actor: str, decision: str) -> ApprovalRequest:
        return _req(svc, request_id)

    with mock.patch.object(decisions, "checked_request", no_precheck):
        out = decide(services, rid, 2, "U0PRIVACY", "approve")
    assert out.code == "other_step"
    after = _req(services, rid)
    assert (after.state, after.step, after.version) == ("pending", 2, version)  # the claim was rolled back


def test_policy_may_relax_it_per_request_type_and_requests_keep_the_rule_they_were_made_under(
    services: Services, notifier: RecordingNotifier
) -> None:
    relaxed = _relaxed(services, "custom_terms")
    rid = _submit(relaxed)
    strict_rid = _submit(services, justification="Second customer asks the same; DPO requirement again.")
    assert _req(services, rid).one_step_per_person is False

    decide(relaxed, rid, 0, "U0DEALDSK", "approve")
    assert decide(relaxed, rid, 1, "U0LEGAL", "approve").code == "advanced"
    assert [r.request_id for r in home_summary(relaxed, "U0LEGAL").to_decide] == [rid]
    card = [o.view for _, o in notifier.sent if isinstance(o.view, ApprovalCard) and o.view.request_id == rid][-1]
    assert "policy lets one person decide several steps" in str(card_blocks(card))
    assert decide(relaxed, rid, 2, "U0LEGAL", "approve").code == "approved"

    # the strict request stays strict under the relaxed policy: the rule is stored with the request
    decide(relaxed, strict_rid, 0, "U0DEALDSK", "approve")
    decide(relaxed, strict_rid, 1, "U0LEGAL", "approve")
    assert decide(relaxed, strict_rid, 2, "U0LEGAL", "approve").code == "other_step"
    # relaxing one type leaves the others strict
    assert relaxed.policies.approvals.one_step_per_person("discount")


def test_requester_is_still_refused_and_quorum_steps_count_each_person_once(services: Services) -> None:
    # bulk data access: CS leadership (any), then Privacy office (2 of U0PRIVACY, U0LEGAL)
    rid = _submit(services, request_type="data_access", amount="500", terms="",
                  justification="Quarterly churn analysis for the board")  # fmt: skip
    assert decide(services, rid, 0, "U0AMGOLD", "approve").code == "self_approval"
    assert decide(services, rid, 0, "U0CSLEAD", "approve").code == "advanced"
    assert decide(services, rid, 1, "U0CSLEAD", "approve").code in ("not_eligible", "other_step")
    assert decide(services, rid, 1, "U0PRIVACY", "approve").code == "vote_recorded"
    assert decide(services, rid, 1, "U0LEGAL", "approve").code == "approved"
