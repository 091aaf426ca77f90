"""The sweep: the owner's DM at 75%, one breach alert per conversation through the alerts outbox (owner and
the tier's escalation channel, Ack/Snooze as any alert), quiet hours, resolution when answered or quiet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select

from bot.alerts import actions
from bot.alerts.delivery import deliver_due
from bot.alerts.models import Alert, AlertNotification, AlertOutbox
from bot.alerts.views import AlertMessage
from bot.channels.breaches import RULE
from bot.channels.models import RESOLVED, Conversation
from bot.channels.sweep import sweep
from bot.channels.views import Nudge
from bot.governance.audit import verify
from bot.notify import RecordingNotifier
from bot.services import Services

from ...conftest import Clock
from .conftest import NOW, Channel

M, H = dt.timedelta(minutes=1), dt.timedelta(hours=1)


def alerts(services: Services) -> list[Alert]:
    with services.sessions() as s:
        return list(s.scalars(select(Alert).where(Alert.rule == RULE).order_by(Alert.id)))


def outbox(services: Services) -> list[AlertOutbox]:
    with services.sessions() as s:
        return list(s.scalars(select(AlertOutbox).order_by(AlertOutbox.id)))


def test_the_owner_is_nudged_once_at_75_percent(
    services: Services, channel: Callable[[str], Channel], notifier: RecordingNotifier
) -> None:
    acme = channel("C0EXTACME")  # platinum P3: 2h, nudge at 1h30
    acme.customer("Can someone confirm the renewal paperwork arrived?", NOW)
    assert sweep(services, NOW + 89 * M).nudged == 0
    report = sweep(services, NOW + 91 * M)
    assert report.nudged == 1 and not report.breaches
    ((_, msg),) = notifier.sent
    assert msg.channel == "U0AMPLAT" and isinstance(msg.view, Nudge)
    assert msg.view.conversation.customer == "Acme Corp" and msg.view.conversation.clock_state == "at_risk"
    assert sweep(services, NOW + 100 * M).nudged == 0  # once


def test_a_breach_alerts_the_owner_and_the_escalation_channel_once(
    services: Services, channel: Callable[[str], Channel], notifier: RecordingNotifier, clock: Clock
) -> None:
    acme = channel("C0EXTACME")  # platinum, P1 target 15m; escalation.yaml platinum sev1 -> C0PLATESC
    ts, _ = acme.customer("Our production checkout is down!", NOW)
    report = sweep(services, NOW + 16 * M)
    (breach,) = report.breaches
    assert set(breach.recipients) == {"U0AMPLAT", "C0PLATESC"}
    (alert,) = alerts(services)
    assert (alert.kind, alert.severity, alert.state, alert.recipient) == (
        "conversation_sla",
        "critical",
        "open",
        "U0AMPLAT",
    )
    assert alert.open_key == f"{RULE}:{breach.conversation_id}" and alert.routed_at is not None
    assert "unanswered" in alert.evidence["summary"] and "15m" in alert.evidence["summary"]
    assert "Our production checkout is down!" in alert.evidence["summary"]
    # Again and again: still one alert; the outbox holds one message per recipient
    assert sweep(services, NOW + 30 * M).breaches == [] and len(alerts(services)) == 1
    rows = outbox(services)
    assert sorted(r.recipient for r in rows) == ["C0PLATESC", "U0AMPLAT"] and {r.kind for r in rows} == {"alert"}
    clock.now = NOW + 31 * M
    report_d = deliver_due(services.engine, notifier, clock=clock)
    assert report_d.sent == 2
    views = [m.view for _, m in notifier.sent if isinstance(m.view, AlertMessage)]
    assert len(views) == 2 and all(v.card.rule == RULE and v.card.customer == "Acme Corp" for v in views)
    # Ack / Snooze work as for any alert
    done = actions.ack(services.engine, services.policies, "U0AMPLAT", alert.id, NOW + 32 * M)
    assert done.ok and alerts(services)[0].state == "acked"
    with services.sessions() as s:
        assert verify(s).ok


def test_an_answer_resolves_the_breach_alert(services: Services, channel: Callable[[str], Channel]) -> None:
    globex = channel("C0EXTGLOBEX")  # gold P2: 1h
    ts, _ = globex.customer("The export keeps failing with an error", NOW)
    sweep(services, NOW + 61 * M)
    (alert,) = alerts(services)
    globex.staff("Sorry for the wait, fixing it now", NOW + 70 * M, thread=ts)
    (alert,) = alerts(services)
    assert alert.state == "resolved" and alert.open_key is None
    with services.sessions() as s:
        conv = s.scalars(select(Conversation)).one()
    assert conv.breached_at == NOW + 61 * M and conv.response_seconds == 70 * 60


def test_no_alert_for_a_conversation_answered_in_time(
    services: Services, channel: Callable[[str], Channel], notifier: RecordingNotifier
) -> None:
    acme = channel("C0EXTACME")
    ts, _ = acme.customer("Our production checkout is down!", NOW)
    acme.staff("On it", NOW + 14 * M, thread=ts)
    for minute in range(0, 120, 5):
        sweep(services, NOW + minute * M)
    assert alerts(services) == [] and notifier.sent == []


def test_quiet_hours_hold_a_non_urgent_nudge_but_not_an_urgent_one(
    services: Services, channel: Callable[[str], Channel], notifier: RecordingNotifier
) -> None:
    night = dt.datetime(2026, 3, 4, 23, 0, tzinfo=dt.UTC)  # 08:00 Thu in Tokyo, 23:00 in London
    umbrella = channel("C0EXTUMB")  # bronze, owner U0AMAPAC in Asia/Tokyo (quiet 20:00-07:30 there)
    umbrella.customer("Could you share the usage report for February?", night - 3 * dt.timedelta(days=7))
    acme = channel("C0EXTACME")  # platinum (never deferred), owner U0AMPLAT in Europe/London
    acme.customer("Could you confirm the SSO certificate date?", night - 91 * M)
    tokyo_night = dt.datetime(2026, 3, 4, 13, 0, tzinfo=dt.UTC)  # 22:00 in Tokyo
    with services.sessions.begin() as s:  # put the bronze conversation's nudge in its owner's night
        conv = s.scalars(select(Conversation).where(Conversation.channel_id == "C0EXTUMB")).one()
        conv.nudge_at, conv.due_at = tokyo_night - M, tokyo_night + 12 * H
    report = sweep(services, tokyo_night)
    assert report.nudged == 0 and report.nudges_waiting == 1
    assert sweep(services, dt.datetime(2026, 3, 4, 22, 31, tzinfo=dt.UTC)).nudged == 1  # 07:31 in Tokyo
    assert sweep(services, night).nudged == 1  # 23:00 in London, but a platinum customer: nudged at once
    assert [m.channel for _, m in notifier.sent] == ["U0AMAPAC", "U0AMPLAT"]


def test_an_answered_conversation_resolves_after_the_quiet_period(
    services: Services, channel: Callable[[str], Channel]
) -> None:
    acme = channel("C0EXTACME")
    ts, _ = acme.customer("Where do we download the invoices?", NOW)
    acme.staff("Billing > Invoices, top right", NOW + 5 * M, thread=ts)
    assert sweep(services, NOW + 47 * H).resolved == 0
    assert sweep(services, NOW + 49 * H).resolved == 1
    with services.sessions() as s:
        conv = s.scalars(select(Conversation)).one()
    assert conv.state == RESOLVED and conv.resolved_how == "quiet"


def test_bronze_breaches_wait_for_the_digest_and_never_reach_the_escalation_channel(
    services: Services, channel: Callable[[str], Channel]
) -> None:
    umbrella = channel("C0EXTUMB")  # bronze, small ARR: the lowest band (digest only, escalate: false)
    umbrella.customer("The API is down for us", dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC))  # Mon 10:00 Tokyo
    sweep(services, dt.datetime(2026, 3, 4, 1, 0, tzinfo=dt.UTC))
    (alert,) = alerts(services)
    assert alert.band == "digest"
    with services.sessions() as s:
        notes = list(s.scalars(select(AlertNotification).where(AlertNotification.alert_id == alert.id)))
    assert [(n.recipient, n.mode) for n in notes] == [("U0AMAPAC", "digest")]
