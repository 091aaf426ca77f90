"""The governance card of a one-line request without an amount says why it took the long route."""

from __future__ import annotations

import dataclasses

from bot.approvals.cards import build_card
from bot.approvals.intake import parse_slash
from bot.approvals.models import ApprovalRequest
from bot.approvals.requests import submit_request
from bot.approvals.results import ApprovalCard
from bot.notify import RecordingNotifier
from bot.services import Services


def test_card_explains_the_route_while_its_policy_is_in_force(services: Services, notifier: RecordingNotifier) -> None:
    draft = parse_slash("discount Northwave Foods Inc 8%: competitor offer, renewal at risk", "U0AMGOLD", "C0SUPPORT")
    sub = submit_request(services, draft)
    assert sub.rule == "strategic-discount" and len(sub.step_names) == 3
    cards = [m.view for _, m in notifier.sent if isinstance(m.view, ApprovalCard)]
    assert len(cards) == 1 and cards[0].route is not None
    route = cards[0].route
    assert route.rule == "strategic-discount" and route.catch_all
    assert [why for _, why in route.passed_over] == [("no amount given",)] * 3
    with services.sessions() as s:
        req = s.get(ApprovalRequest, sub.request_id)
        assert req is not None
        edited = dataclasses.replace(services.policies, version="0" * 64)  # the policy changed since
        assert build_card(s, req, policies=edited).route is None
        assert build_card(s, req).route is None  # no policy given: nothing to explain from
