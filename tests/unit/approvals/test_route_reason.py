"""Why a request took its route, as the card says it; and the form asking for the amount the policy routes by."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.approvals.intake import parse_slash
from bot.approvals.results import RequestPrefill, RouteReason
from bot.approvals.routing import amount_needed, explain, missing_amount
from bot.policies import Policies, load_policies
from bot.slack.views.approvals import request_modal, route_line

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


def test_one_line_discount_without_amount_says_no_amount_given(policies: Policies) -> None:
    draft = parse_slash("discount Crescenthaven Health Group 8%: renewal at risk", "U0AMGOLD")
    assert draft.amount == "" and draft.percent == "8%"
    reason = explain(policies, "discount", None, 8.0, "gold", "na", "low")
    assert reason is not None
    assert (reason.rule, reason.catch_all) == ("strategic-discount", True)
    assert [name for name, _ in reason.passed_over] == ["standard-discount", "manager-discount", "deal-desk-discount"]
    assert all(why == ("no amount given",) for _, why in reason.passed_over)  # 8% itself is within every rule
    assert reason.amount_measure == "discount value in USD over the contract term"
    line = route_line(reason)
    assert "`strategic-discount`, the catch-all" in line and "`standard-discount`: no amount given" in line
    assert "Give the amount (discount value in USD over the contract term)" in line


def test_the_failed_conditions_are_named_with_their_figures(policies: Policies) -> None:
    reason = explain(policies, "discount", Decimal(40000), 12.0, "gold", "na", "medium")
    assert reason is not None and reason.rule == "manager-discount" and not reason.catch_all
    assert reason.passed_over == (
        ("standard-discount", ("$40,000 is over $10,000", "12% is over 10%", "risk medium is not low")),
    )
    assert reason.amount_measure is None
    assert "Give the amount" not in route_line(reason)
    first = explain(policies, "discount", Decimal(500), 5.0, "gold", "na", "low")
    assert first == RouteReason("standard-discount", False, (), None)
    assert "the first rule that applies" in route_line(first)
    access = explain(policies, "data_access", Decimal(40), None, "gold", "na", "low")
    assert access is not None and access.passed_over == (("single-record-access", ("40 is over 1",)),)  # records


def test_the_form_asks_for_the_amount_when_the_policy_routes_by_it(policies: Policies) -> None:
    assert amount_needed(policies, "discount") == "discount value in USD over the contract term"
    assert amount_needed(policies, "nonsense") is None
    assert missing_amount(policies, "discount", " ") == (
        "The policy routes this request by its amount (discount value in USD over the contract term): give it, or 0"
    )
    assert missing_amount(policies, "discount", "$5,000") is None
    prefill = RequestPrefill(request_type="discount", customer="Acme")
    asked = request_modal(prefill, amount_needed(policies, "discount"))
    block = next(b for b in asked["blocks"] if b["block_id"] == "amount")
    assert block["optional"] is False and block["hint"]["text"].startswith("Discount value in USD")
    free = next(b for b in request_modal(prefill)["blocks"] if b["block_id"] == "amount")
    assert free["optional"] is True
