"""Separation of duties in the policy file (validated with file and line) and on the approval card."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from bot.approvals.results import ApprovalCard, StepProgress
from bot.policies import PolicyError, load_policies
from bot.slack.views.approvals import card_blocks

POLICIES = Path(__file__).resolve().parents[3] / "playbooks" / "policies"


def _with_relaxed(tmp_path: Path, block: str) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICIES, target)
    path = target / "approvals.yaml"
    text = path.read_text()
    assert "  relaxed: {}\n" in text
    path.write_text(text.replace("  relaxed: {}\n", block))
    return target


def test_shipped_policy_keeps_one_step_per_person_for_every_type() -> None:
    approvals = load_policies(POLICIES).approvals
    assert approvals.separation_of_duties.relaxed == {}
    assert all(approvals.one_step_per_person(t) for t in approvals.request_types)


def test_a_request_type_can_be_relaxed_with_a_reason(tmp_path: Path) -> None:
    d = _with_relaxed(tmp_path, "  relaxed:\n    special_handling: one service manager also runs logistics here\n")
    approvals = load_policies(d).approvals
    assert not approvals.one_step_per_person("special_handling")
    assert approvals.one_step_per_person("custom_terms")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("  relaxed:\n    refunds: because the team is small\n", "refunds"),
        ("  relaxed:\n    custom_terms: small\n", "at least 10 characters"),
        ("  relaxed:\n    custom_terms:\n", "custom_terms"),
        ("  relaxed: [custom_terms]\n", "relaxed"),
        ("  relax: {}\n", "relax"),
    ],
)
def test_mistakes_are_reported_with_file_and_line(tmp_path: Path, block: str, message: str) -> None:
    d = _with_relaxed(tmp_path, block)
    with pytest.raises(PolicyError) as err:
        load_policies(d)
    text = str(err.value)
    line = next(i for i, row in enumerate((d / "approvals.yaml").read_text().splitlines(), 1) if "separation_of" in row)
    assert "approvals.yaml:" in text and message in text
    reported = int(text.split("approvals.yaml:")[1].split(":")[0])
    assert line <= reported <= line + 3  # the offending line, not just the file


def _card(step: int, approved: tuple[tuple[str, ...], ...], one_step_per_person: bool = True) -> ApprovalCard:
    names = ("Deal desk", "Legal", "Privacy office")
    steps = tuple(
        StepProgress(i, n, g, "C0X", 1, "done" if i < step else "current" if i == step else "waiting", approved[i])
        for i, (n, g) in enumerate(zip(names, ("S0DEALDESK", "S0LEGAL", "S0PRIVACY"), strict=True))
    )
    return ApprovalCard(
        request_id=6, step=step, request_type="custom_terms", customer_name="Helios Analytics", tier="platinum",
        region="emea", risk="low", amount=Decimal(250000), percent=None, terms="EU only", justification="DPO asks",
        links=(), requester="U0AMGOLD", rule="emea-data-terms", policy_version="abc", state="pending", steps=steps,
        actionable=True, approvers=steps[step].approvers, one_step_per_person=one_step_per_person,
    )  # fmt: skip


def test_card_names_who_decided_earlier_steps() -> None:
    card = _card(2, (("U0DEALDSK",), ("U0LEGAL",), ()))
    assert card.earlier_deciders == ("U0DEALDSK", "U0LEGAL")
    text = json.dumps(card_blocks(card))
    assert "Earlier steps decided by <@U0DEALDSK>, <@U0LEGAL>: separation of duties" in text

    relaxed = json.dumps(card_blocks(_card(2, (("U0DEALDSK",), ("U0LEGAL",), ()), one_step_per_person=False)))
    assert "policy lets one person decide several steps" in relaxed and "separation of duties, so" not in relaxed
    assert "Earlier steps" not in json.dumps(card_blocks(_card(0, ((), (), ()))))  # first step: nobody yet
