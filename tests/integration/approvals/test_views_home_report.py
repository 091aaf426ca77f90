"""Rendering real cards (precedent, chain, buttons), App Home, the report and the approvals CLI."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.approvals.cards import build_card
from bot.approvals.decisions import decide
from bot.approvals.intake import prefill_from_button
from bot.approvals.models import ApprovalRequest
from bot.approvals.queries import home_summary
from bot.approvals.report import build_report, format_report
from bot.approvals.requests import submit_request
from bot.approvals.validation import RequestDraft
from bot.services import Services
from bot.slack import ids
from bot.slack.views.approvals import card_blocks, home_blocks


def _req(services: Services, amount: str = "$40,000", percent: str = "12%", who: str = "U0AMGOLD") -> int:
    return submit_request(
        services,
        RequestDraft(
            request_type="discount",
            customer="Northwave Foods Inc",
            requester=who,
            amount=amount,
            percent=percent,
            justification="Competitor offered 12% off; renewal at risk.",
        ),
    ).request_id


def _buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_card_shows_precedent_and_buttons_then_outcome(services: Services) -> None:
    for pct in ("11%", "13%"):
        rid = _req(services, percent=pct)
        decide(services, rid, 0, "U0SALESMGR", "approve")
    rid = _req(services)
    with services.sessions() as s:
        req = s.get(ApprovalRequest, rid)
        assert req is not None
        card = build_card(s, req)
    assert len(card.precedents) == 2 and {p.state for p in card.precedents} == {"approved"}
    blocks = card_blocks(card)
    assert _buttons(blocks) == [ids.APPROVAL_APPROVE, ids.APPROVAL_REJECT, ids.APPROVAL_CHANGES]
    assert "Similar past decisions" in json.dumps(blocks) and len(blocks) <= 50
    decide(services, rid, 0, "U0SALESMGR", "reject", "Too deep for gold")
    notifier = services.notifier
    _, upd = notifier.updates[-1]  # type: ignore[attr-defined]
    done = card_blocks(upd.view)
    assert _buttons(done) == [] and "Rejected" in json.dumps(done) and "Too deep for gold" in json.dumps(done)


def test_home_lists_what_waits_for_me_and_my_requests(services: Services) -> None:
    _req(services)
    approver = home_summary(services, "U0SALESMGR")
    requester = home_summary(services, "U0AMGOLD")
    assert len(approver.to_decide) == 1 and not approver.my_open
    assert len(requester.my_open) == 1 and not requester.to_decide
    assert "Northwave" in json.dumps(home_blocks(approver))


def test_report_counts_and_recurring(services: Services, clock: Any) -> None:
    for _ in range(3):  # the same request again on later days (at once, it would be one: a duplicate)
        decide(services, _req(services), 0, "U0CSLEAD", "approve")
        clock.advance(days=1)
    decide(services, _req(services, who="U0AMPLAT"), 0, "U0CSLEAD", "reject", "no")
    rep = build_report(services.sessions(), dt.datetime(2000, 1, 1, tzinfo=dt.UTC), recurring_min=3, min_rate=0.7)
    (row,) = rep.by_type_tier
    assert (row.requests, row.decided, row.approved) == (4, 4, 3)
    assert len(rep.recurring) == 1 and rep.recurring[0].band == "10-15%"
    assert "consider a standard option" in format_report(rep)


def test_prefill_from_answer_button(services: Services) -> None:
    with services.sessions() as s:
        from bot.store.models import Customer

        cid = s.query(Customer.id).filter(Customer.name == "Helios Analytics").scalar()
    p = prefill_from_button(services, json.dumps({"q": 7, "c": cid}), "C0ASK", "1.2")
    assert p.customer == "Helios Analytics" and p.origin_thread_ts == "1.2"
    assert prefill_from_button(services, "not json", None, None).customer == ""


@pytest.fixture
def cli_env(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.setenv("DATABASE_URL", services.engine.url.render_as_string(hide_password=False))
    return services


def test_approvals_cli(cli_env: Services) -> None:
    from bot.commands.approvals import app

    rid = _req(cli_env)
    runner = CliRunner()
    listed = runner.invoke(app, ["list", "--state", "pending"])
    assert listed.exit_code == 0 and f"#{rid}" in listed.output and "Northwave" in listed.output
    shown = runner.invoke(app, ["show", str(rid)])
    assert shown.exit_code == 0 and "approval.requested" in shown.output and "Sales manager" in shown.output
    rep = runner.invoke(app, ["report", "--days", "36500"])
    assert rep.exit_code == 0 and "By type / tier" in rep.output
