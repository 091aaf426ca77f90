"""Rule reload keeps the last good rules on a bad edit; Block Kit renderers respect Slack's limits."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.compose import digest_groups, digest_text
from bot.alerts.rulebook import RuleBook
from bot.alerts.views import (
    AlertCard,
    AlertMessage,
    CapNotice,
    DigestMessage,
    DigestSummary,
    OpenAlerts,
    SnoozeNotice,
)
from bot.policies import load_policies
from bot.slack import ids
from bot.slack.views import render
from bot.slack.views.alerts import snooze_modal

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
    assert len(before) == 14  # still the rules loaded before the bad edit
    path.write_text(text.replace("name: payment-overdue", "name: payment-late"))
    assert "payment-late" in [r.name for r in book.current().alerts.rules] and book.last_error is None


def test_unknown_channel_in_a_rule_is_refused(policy_dir: Path) -> None:
    book = RuleBook(load_policies(policy_dir))
    path = policy_dir / "alerts.yaml"
    path.write_text(path.read_text().replace("channel: C0FINALRT", "channel: C0NOWHERE"))
    assert [r.name for r in book.current().alerts.rules][-1] == "shipment-delay"
    assert book.last_error is not None and "C0NOWHERE" in str(book.last_error)


def card(i: int, customer: int, severity: str = "high", state: str = "open", priority: float = 10.0) -> AlertCard:
    return AlertCard(
        alert_id=i,
        rule="sla-breach",
        kind="sla_breach",
        severity=severity,
        urgent=True,
        state=state,
        why="1 open ticket(s) past target; worst: P1 first response 5h 55m elapsed against a 15m target",
        customer_id=customer,
        customer=f"Customer {customer} <!channel> *bold*",
        tier="gold",
        region="na",
        owner="U0AMGOLD",
        renewal_date=dt.date(2026, 5, 1),
        open_tickets=2,
        created_at=dt.datetime(2026, 3, 4, tzinfo=dt.UTC),
        outreach_allowed=customer % 2 == 0,
        preferred_channel="phone",
        priority=priority,
        arr=4_200_000.0 if customer % 2 else None,
    )


def test_digest_groups_rank_customers_and_signals_by_priority() -> None:
    groups = digest_groups(
        [
            card(1, 10, "medium", priority=5),
            card(2, 11, "critical", priority=20),
            card(3, 10, priority=30),
            card(4, 12, priority=1),
        ]
    )
    assert [g.customer_id for g in groups] == [10, 11, 12]
    assert [c.alert_id for c in groups[0].alerts] == [3, 1]


def _summary(shown: int, more: int) -> DigestSummary:
    return DigestSummary(
        customers=shown + more,
        shown=shown,
        alerts=shown + more + 3,
        urgent=3,
        at_risk=12,
        at_risk_arr=4_100_000,
        more=more,
    )


def test_digest_text_is_the_summary_line() -> None:
    assert (
        digest_text(_summary(15, 40))
        == "Alert digest: 3 urgent, 12 at-risk ARR $4.1M, 43 opportunities, 40 more in /rapport alerts"
    )
    hidden = DigestSummary(12, 12, 12, 0, 12, None, 0)
    assert digest_text(hidden) == "Alert digest: 12 at-risk"


def mrkdwn(node: object) -> list[str]:
    """Every mrkdwn text in blocks (plain_text shows literally: a mention there is never live)."""
    if isinstance(node, dict):
        own = [str(node["text"])] if node.get("type") == "mrkdwn" else []
        return own + [t for v in node.values() for t in mrkdwn(v)]
    if isinstance(node, list):
        return [t for v in node for t in mrkdwn(v)]
    return []


def test_renderers_mark_the_first_block_escape_data_and_stay_within_limits() -> None:
    groups = digest_groups([card(i, 1000 + i) for i in range(20)] + [card(99, 1000, "low", priority=1)])
    full = DigestMessage("U0AMGOLD", 7, groups, _summary(20, 40), "rapport-outbox-7")
    rollup = AlertMessage(card(1, 3), "alert", "rapport-outbox-5", (card(2, 3, "medium", priority=3),))
    escalation = AlertMessage(
        card(1, 3),
        "escalation",
        "rapport-outbox-6",
        (),
        "Delivered to <@U0AMGOLD> 2h 10m before this, not acknowledged.",
    )
    snoozed = SnoozeNotice(
        card(1, 3), "U0AMGOLD", dt.datetime(2026, 3, 11, tzinfo=dt.UTC), "on holiday <!here>", "rapport-outbox-8"
    )
    for view in (
        AlertMessage(card(1, 3), "alert", "rapport-outbox-5"),
        rollup,
        escalation,
        full,
        snoozed,
        CapNotice("complaint", 900, 500, 400, "rapport-outbox-9"),
    ):
        blocks = render(view)
        assert blocks[0]["block_id"] == view.marker
        assert len(blocks) <= 50
        assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
        live = " ".join(mrkdwn(blocks))
        assert "<!channel>" not in live and "<!here>" not in live  # data never becomes a live mention
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
    assert "opted out" in text and "ARR $4.2M" in text  # customer 3: no outreach consent; ARR visible
    assert "ARR" not in str(render(AlertMessage(card(1, 4), "alert", "m")))  # hidden from this reader
    acked = render(AlertMessage(card(1, 4, state="acked"), "alert", "m"))
    assert ids.ALERT_ACK not in str(acked) and "phone" in str(acked)
    rolled = str(render(rollup))
    assert "Also for this customer" in rolled and ids.ALERT_ACK_GROUP in rolled and "1,2" in rolled
    assert "2h 10m" in str(render(escalation))
    digest = render(full)
    assert "*3 urgent*" in str(digest[1]) and "$4.1M" in str(digest[1]) and "*40 more*" in str(digest[1])
    assert digest[2]["elements"][0]["action_id"] == ids.ALERT_ACK_ALL and digest[2]["elements"][0]["value"] == "7"
    entries = [b for b in digest if b["type"] == "actions" and b["block_id"].startswith("alert-")]
    assert len(entries) == len(groups) == 20  # one entry per customer, each with one row of buttons
    assert render(OpenAlerts("U0X", ()))[1]["type"] == "context"


def test_open_alerts_page_with_the_true_total() -> None:
    page = OpenAlerts("U0AMGOLD", tuple(card(i, i) for i in range(10)), total=109, page=2, pages=11, urgent=7)
    blocks = render(page)
    assert "109" in blocks[0]["text"]["text"] and "7 urgent" in blocks[0]["text"]["text"]
    text = str(blocks)
    assert "Showing 11–20 of 109" in text
    paging = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == ids.ALERTS_PAGE]
    assert [e["value"] for e in paging] == ["1", "3"]
    assert "more:" not in text  # no pointer to a CLI command


def test_the_snooze_modal_asks_why() -> None:
    modal = snooze_modal(12, "1d")
    listed: list[dict[str, Any]] = modal["blocks"]  # type: ignore[assignment]
    blocks = {b["block_id"]: b for b in listed}
    assert blocks["snooze"]["element"]["initial_value"] == "1d"
    assert blocks["reason"]["element"]["action_id"] == "reason" and "optional" not in blocks["reason"]
