"""A complaint from a high-value customer raises the existing complaint alert, with the message as evidence:
a complaint ticket on the record (what the complaint rules read), the rule's own dedupe, routing and outbox;
the rules' evaluation keeps it open while the ticket is open and resolves it once solved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.alerts.evaluate import evaluate
from bot.alerts.models import Alert, AlertOutbox
from bot.channels.complaints import ComplaintModel, Detector, load_exemplars, raise_complaint
from bot.channels.models import ChannelTicket
from bot.channels.reactions import Reacted, react
from bot.services import Services
from bot.store.models import Ticket

from ...conftest import Clock
from .conftest import HOME, NOW, Channel, FakeDirectory

H = dt.timedelta(hours=1)
ANGRY = "This is the third outage this month. We are seriously considering cancelling our contract."


def complaint_alerts(services: Services) -> list[Alert]:
    with services.sessions() as s:
        return list(s.scalars(select(Alert).where(Alert.kind == "complaint").order_by(Alert.id)))


def test_a_complaint_raises_the_high_value_complaint_alert_with_the_message(
    services: Services, channel: Callable[[str], Channel], clock: Clock, directory: FakeDirectory
) -> None:
    acme = channel("C0EXTACME")  # platinum: alerts.yaml high-value-complaint (platinum, gold)
    ts, tracked = acme.customer(ANGRY, NOW)
    assert tracked.conversation_id is not None
    alert_id = raise_complaint(services, tracked.conversation_id, "C0EXTACME", ts, ANGRY, 0.93)
    (alert,) = complaint_alerts(services)
    assert alert.id == alert_id and (alert.rule, alert.severity, alert.urgent) == (
        "high-value-complaint",
        "critical",
        True,
    )
    assert alert.open_key == "high-value-complaint:1" and alert.recipient == "U0AMPLAT"
    summary = alert.evidence["summary"]
    assert "1 complaint ticket(s) in the last 1d" in summary and "third outage this month" in summary
    with services.sessions() as s:
        (t,) = s.scalars(select(Ticket)).all()
        assert (t.category, t.source, t.sentiment, t.status) == ("complaint", "slack", -0.93, "open")
        assert s.scalars(select(ChannelTicket.reason)).one() == "complaint"
        rows = list(s.scalars(select(AlertOutbox.recipient).where(AlertOutbox.alert_id == alert.id)))
    assert sorted(rows) == ["C0ACCTALRT", "U0AMPLAT"]  # owner and the rule's channel, now (urgent)
    # The rule's dedupe: a second complaint the same day adds a ticket, not an alert
    ts2, tracked2 = acme.customer("And nobody has answered. Unacceptable.", NOW + H)
    assert raise_complaint(services, tracked2.conversation_id or 0, "C0EXTACME", ts2, "unacceptable", 0.9) is None
    assert len(complaint_alerts(services)) == 1
    # The rules' own evaluation keeps it open while a complaint ticket is open...
    evaluate(services.engine, services.policies, NOW + 2 * H, rules=["high-value-complaint"])
    assert complaint_alerts(services)[0].state == "open"
    # ...and resolves it once the conversations are resolved (✅ solves their tickets) after the look-back
    for t in (ts, ts2):
        react(services, Reacted("C0EXTACME", t, "U0AMPLAT", "white_check_mark", None, HOME), directory)
    evaluate(services.engine, services.policies, NOW + 30 * H, rules=["high-value-complaint"])
    assert complaint_alerts(services)[0].state == "resolved"


def test_only_high_value_customers_are_checked(services: Services, channel: Callable[[str], Channel]) -> None:
    initech = channel("C0EXTINIT")  # silver: not in customer_channels.complaints.tiers
    _, tracked = initech.customer(ANGRY, NOW)
    detector = Detector(services, model=None)
    assert not detector.wanted(tracked)
    acme = channel("C0EXTACME")
    _, short = acme.customer("ok thanks", NOW)
    assert not detector.wanted(short)  # too short to judge


@pytest.mark.slow
def test_the_real_classifier_tells_a_complaint_from_a_question(
    services: Services, channel: Callable[[str], Channel]
) -> None:
    from retrieval.embedder import SentenceTransformerEmbedder

    detector = Detector(services, model=ComplaintModel(SentenceTransformerEmbedder(), load_exemplars()))
    acme = channel("C0EXTACME")
    ts, question = acme.customer("Could you send us the SOC 2 report and the list of subprocessors?", NOW)
    assert detector.check(question, "C0EXTACME", ts) is None
    ts, angry = acme.customer(ANGRY, NOW + H)
    assert detector.check(angry, "C0EXTACME", ts) is not None
    (alert,) = complaint_alerts(services)
    assert "cancelling our contract" in alert.evidence["summary"]
