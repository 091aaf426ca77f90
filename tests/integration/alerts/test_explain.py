"""`rapport alerts explain`: each condition of each rule with the customer's value against its threshold."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from bot.alerts.evaluate import evaluate
from bot.alerts.explain import explain
from bot.alerts.models import Alert
from bot.cli import app as cli
from bot.policies import Policies
from bot.store.models import Customer, Order

from .conftest import NOW, REPO


def test_explain_shows_each_condition_with_the_value_and_the_threshold(small_book: Engine, policies: Policies) -> None:
    with small_book.begin() as conn:  # the example: $32,698 unpaid, 53 days past due
        cid = conn.scalar(
            select(Customer.id).where(Customer.lifetime_value >= 60_000, Customer.tier == "silver").limit(1)
        )
        order = conn.scalar(select(Order.id).where(Order.customer_id == cid).limit(1))
        conn.execute(
            update(Order)
            .where(Order.id == order)
            .values(paid_at=None, status="overdue", amount=32_698, due_at=NOW - dt.timedelta(days=53))
        )
    assert cid is not None
    evaluate(small_book, policies, NOW, rules=["payment-overdue"])
    ex = explain(small_book, policies, cid, NOW)
    verdict = {v.rule: v for v in ex.verdicts}
    overdue = verdict["payment-overdue"]
    assert overdue.matches and overdue.alert_state == "open"
    labels = {c.label: c for c in overdue.conditions}
    assert labels["lifetime value"].met and labels["lifetime value"].rule == "≥ $50,000"
    days = labels["days past due"]
    assert days.met and days.rule == "> 30 days" and days.value == "53 days"
    amount = labels["amount overdue"]
    assert amount.met and amount.value == "$32,698" and amount.rule == "≥ $5,000"
    assert overdue.why.startswith("$32,698 unpaid on 1 invoice(s), 53 days overdue")
    # A rule that does not fire says which condition fails, with the customer's own value.
    quiet = verdict["growth-account-gone-quiet"]
    assert not quiet.matches and ("not in the rule's segment" in quiet.why or "does not fire" in quiet.why)
    assert any(not c.met for c in quiet.conditions)
    assert all(v.priority > 0 and v.band for v in ex.verdicts)


def test_the_cli_prints_the_conditions(small_book: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", small_book.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PLAYBOOKS_DIR", str(REPO / "playbooks"))
    with small_book.connect() as conn:
        cid = conn.scalar(select(Alert.customer_id).where(Alert.rule == "usage-drop").limit(1))
    res = CliRunner().invoke(cli, ["alerts", "explain", str(cid), "--now", NOW.isoformat()])
    assert res.exit_code == 0, res.output
    assert re.search(r"usage-drop\s+FIRES\s+Usage down \d+% \(rule: 40%\+\)", res.output)
    assert re.search(r"ok\s+usage change: -\d+%\s+\(rule: < -40%\)", res.output)
    assert "priority" in res.output
