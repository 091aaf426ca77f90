"""Slash-command parsing and the request/reason modals (pure)."""

from __future__ import annotations

import json

from bot.approvals.decisions import parse_button_value
from bot.approvals.intake import parse_slash
from bot.approvals.results import RequestPrefill
from bot.slack import ids
from bot.slack.views.approvals import reason_modal, request_modal


def test_slash_parses_type_customer_measures_risk_and_links() -> None:
    d = parse_slash(
        "discount for Northwave Foods 15% $12,500 risk=medium: competitor offer https://x.io/a, renewal",
        "U0AMGOLD",
        "C1",
    )
    assert (d.request_type, d.customer, d.percent, d.amount, d.risk) == (
        "discount",
        "Northwave Foods",
        "15%",
        "$12,500",
        "medium",
    )
    assert d.links == ("https://x.io/a",) and d.justification.startswith("competitor") and d.origin_channel == "C1"


def test_slash_quoted_terms_and_because() -> None:
    d = parse_slash('terms "Helios Analytics" $250k terms="unlimited liability" because EU deal', "U1")
    assert (d.customer, d.amount, d.terms, d.justification) == (
        "Helios Analytics",
        "$250k",
        "unlimited liability",
        "EU deal",
    )


def test_slash_without_justification_leaves_it_empty_for_validation() -> None:
    assert parse_slash("sla Acme", "U1").justification == ""


def test_button_values_reject_forgeries() -> None:
    assert parse_button_value("42:1") == (42, 1)
    for bad in ("", "42", "x:1", "42:1:2", "-1:0", "42:1 OR 1=1"):
        assert parse_button_value(bad) is None


def test_request_modal_blocks_match_error_fields_and_limits() -> None:
    modal = request_modal(
        RequestPrefill(request_type="discount", customer="Northwave", origin_channel="C1", origin_thread_ts="1.2")
    )
    assert modal["callback_id"] == ids.APPROVAL_REQUEST_MODAL and len(modal["title"]["text"]) <= 24
    block_ids = [b["block_id"] for b in modal["blocks"]]
    assert block_ids == ["request_type", "customer", "amount", "percent", "terms", "justification", "links", "risk"]
    assert json.loads(modal["private_metadata"]) == {"c": "C1", "t": "1.2"}
    assert modal["blocks"][0]["element"]["initial_option"]["value"] == "discount"


def test_reason_modal_carries_request_and_step() -> None:
    m = reason_modal("reject", 42, 1)
    assert m["callback_id"] == ids.APPROVAL_REJECT_MODAL and json.loads(m["private_metadata"]) == {"r": 42, "s": 1}
    assert reason_modal("changes", 1, 0)["callback_id"] == ids.APPROVAL_CHANGES_MODAL
