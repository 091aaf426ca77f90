"""Rule reload keeps the last good rules on a bad edit; Block Kit renderers respect Slack's limits."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.alerts.compose import digest_groups
from bot.alerts.rulebook import RuleBook
from bot.alerts.views import DIGEST_PART_SIZE, AlertCard, AlertMessage, CapNotice, DigestMessage, OpenAlerts
from bot.policies import load_policies
from bot.slack import ids
from bot.slack.views import render

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(REPO / "playbooks" / "policies", target)
    return target


def test_bad_rule_file_is_refused_with_file_and_line_and_old_rules_keep_running(policy_dir: Path) -> None:
    book = RuleBook(load_policies(policy_dir))
    path = policy_dir / "alerts.yaml"
    text = path.read_text()
    path.write_text(text.replace("severity: high\n", "severity: urgentest\n", 1))
    before = [r.name for r in book.current().alerts.rules]
    assert book.last_error is not None
    line = next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if "urgentest" in ln)
    assert book.last_error.line == line and "alerts.yaml" in str(book.last_error)
    assert len(before) == 9  # still the rules loaded before the bad edit
    path.write_text(text.replace("name: payment-overdue", "name: payment-late"))
    assert "payment-late" in [r.name for r in book.current().alerts.rules] and book.last_error is None


def test_unknown_channel_in_a_rule_is_refused(policy_dir: Path) -> None:
    book = RuleBook(load_policies(policy_dir))
    path = policy_dir / "alerts.yaml"
    path.write_text(path.read_text().replace("channel: C0FINALRT", "channel: C0NOWHERE"))
    assert [r.name for r in book.current().alerts.rules][-1] == "payment-overdue"
    assert book.last_error is not None and "C0NOWHERE" in str(book.last_error)


def card(i: int, customer: int, severity: str = "high", state: str = "open") -> AlertCard:
    return AlertCard(
        alert_id=i,
        rule="sla-breach",
        kind="sla_breach",
        severity=severity,
        urgent=True,
        state=state,
        why="1 open ticket(s) past their SLA target",
        customer_id=customer,
        customer=f"Customer {customer}",
        tier="gold",
        region="na",
        owner="U0AMGOLD",
        renewal_date=dt.date(2026, 5, 1),
        open_tickets=2,
        created_at=dt.datetime(2026, 3, 4, tzinfo=dt.UTC),
        outreach_allowed=customer % 2 == 0,
        preferred_channel="phone",
    )


def test_digest_groups_by_customer_most_severe_first() -> None:
    groups = digest_groups(
        [card(1, 10, "medium"), card(2, 11, "critical"), card(3, 10, "critical"), card(4, 12, "low")]
    )
    assert [g.customer_id for g in groups] == [10, 11, 12]
    assert [c.alert_id for c in groups[0].alerts] == [3, 1]


def test_renderers_mark_the_first_block_and_stay_within_limits() -> None:
    full = DigestMessage(
        "U0AMGOLD", 1, 3, 30, digest_groups([card(i, i) for i in range(DIGEST_PART_SIZE)]), "rapport-outbox-7"
    )
    for view in (
        AlertMessage(card(1, 3), "alert", "rapport-outbox-5"),
        full,
        CapNotice("complaint", 900, 500, 400, "rapport-outbox-9"),
    ):
        blocks = render(view)
        assert blocks[0]["block_id"] == view.marker
        assert len(blocks) <= 50
        assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    alert_blocks = render(AlertMessage(card(1, 3), "alert", "rapport-outbox-5"))
    action_ids = [e["action_id"] for b in alert_blocks if b["type"] == "actions" for e in b["elements"]]
    assert action_ids == [
        ids.ALERT_ACK,
        ids.ALERT_SNOOZE_1D,
        ids.ALERT_SNOOZE_7D,
        ids.ALERT_SNOOZE_CUSTOM,
        ids.ALERT_ASSIGN_ME,
        ids.ALERT_ASSIGN_USER,
        ids.ALERT_OPEN_CARD,
    ]
    text = str(alert_blocks)
    assert "opted out" in text  # customer 3: no outreach consent, said on the card
    acked = render(AlertMessage(card(1, 4, state="acked"), "alert", "m"))
    assert ids.ALERT_ACK not in str(acked) and "phone" in str(acked)
    assert render(OpenAlerts("U0X", ()))[1]["type"] == "context"
