"""Ack / snooze / assign update every message in place; unacked urgent alerts escalate; snoozes wake up."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from bot.alerts import actions
from bot.alerts.delivery import deliver_due
from bot.alerts.measures import measures
from bot.alerts.models import Alert, AlertOutbox
from bot.policies import Policies
from slackdouble import SlackDouble

from .conftest import NOW


def _urgent(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        row = conn.execute(
            select(Alert.id, AlertOutbox.recipient)
            .join(AlertOutbox, AlertOutbox.alert_id == Alert.id)
            .where(Alert.rule == "sla-breach", AlertOutbox.recipient.like("C%"))
            .limit(1)
        ).one()
    return int(row.id), str(row.recipient)


def test_ack_updates_the_message_in_place_once(
    small_book: Engine,
    double: SlackDouble,
    slack: tuple,
    policies: Policies,
) -> None:
    notifier, lookup = slack
    deliver_due(small_book, notifier, lookup)
    alert_id, channel = _urgent(small_book)
    first = actions.ack(small_book, policies, "U0SUPLEAD", alert_id, NOW + dt.timedelta(minutes=5))
    again = actions.ack(small_book, policies, "U0SUPAGT1", alert_id, NOW + dt.timedelta(minutes=6))
    assert first.ok and not again.ok and first.card is not None and first.card.acked_by == "U0SUPLEAD"
    assert actions.refresh_messages(small_book, notifier, alert_id) >= 1
    updated = [m for m in double.messages(channel) if f"alert-{alert_id}" in str(m.get("blocks"))]
    assert updated and all(
        "Acknowledged by" in str(m["blocks"]) and "alert_ack" not in str(m["blocks"]) for m in updated
    )
    assert not actions.ack(small_book, policies, "U0NOTSTAFF", alert_id, NOW).ok  # not on the roster


def test_unacked_urgent_alerts_escalate_once(small_book: Engine, policies: Policies) -> None:
    assert actions.escalate_unacked(small_book, policies, NOW + dt.timedelta(minutes=30)) == 0
    later = NOW + dt.timedelta(hours=3)
    n = actions.escalate_unacked(small_book, policies, later)
    assert n > 0 and actions.escalate_unacked(small_book, policies, later) == 0
    with small_book.connect() as conn:
        esc = conn.scalar(
            select(func.count()).where(AlertOutbox.kind == "escalation", AlertOutbox.recipient == "C0ESCALATE")
        )
    assert esc == n


def test_snooze_assign_wake_and_measures(small_book: Engine, policies: Policies) -> None:
    alert_id, _ = _urgent(small_book)
    assert actions.assign(small_book, policies, "U0SUPLEAD", alert_id, "U0SUPAGT2", NOW).ok
    assert not actions.assign(small_book, policies, "U0SUPLEAD", alert_id, "U0NOBODY", NOW).ok
    assert actions.snooze(small_book, policies, "U0SUPAGT2", alert_id, NOW, dt.timedelta(days=1)).ok
    assert actions.wake_snoozed(small_book, policies, NOW + dt.timedelta(hours=23)) == 0
    assert actions.wake_snoozed(small_book, policies, NOW + dt.timedelta(days=1, minutes=1)) == 1
    with small_book.connect() as conn:
        reminder = conn.execute(select(AlertOutbox.recipient).where(AlertOutbox.kind == "reminder")).scalars().all()
    assert reminder == ["U0SUPAGT2"]
    assert actions.open_alerts(small_book, "U0SUPAGT2").cards[0].alert_id == alert_id
    actions.ack(small_book, policies, "U0SUPAGT2", alert_id, NOW + dt.timedelta(days=1, hours=1))
    rows = {(m.rule, m.tier): m for m in measures(small_book, NOW - dt.timedelta(hours=1), NOW + dt.timedelta(hours=1))}
    acked = [m for m in rows.values() if m.acked]
    assert len(acked) == 1 and acked[0].median_minutes_to_ack == 25 * 60 and 0 < acked[0].ack_rate <= 1
