"""Complaints in customer channels: a small offline classifier, and the existing complaint alert it raises.

**Classifier.** The playbook index's embedding model (all-MiniLM-L6-v2, offline) embeds the labelled
exemplars kept in ``data/complaint_exemplars.jsonl`` (complaints and strong dissatisfaction vs. everything
else a customer writes: questions, outage reports stated plainly, thanks); a logistic regression
(scikit-learn) on those embeddings gives the probability that a message is a complaint. ``threshold``
(``customer_channels.complaints`` in ``channels.yaml``) was chosen by 10-fold cross-validation on the
exemplars alone; ``benchmarks/channels_complaints.py`` measures it on a separate labelled set.

**Alert.** A complaint from a customer of the configured tiers (high-value: platinum, gold) becomes a
complaint ticket on the record (source ``slack``, the message as its subject, linked to the Slack message):
exactly what the ``complaint`` rules of ``alerts.yaml`` read. The rule whose segment fits the customer raises
its alert at once, with the rule's own dedupe (one open alert per customer, its cooldown), its evidence plus
the message, and its recipients routed like any alert; the rule's next evaluation keeps it open while the
ticket is open and resolves it when the ticket is solved (✅ or the conversation's quiet period).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from bot.alerts.evaluate import NewAlert, primary_recipient
from bot.alerts.evidence import Evidence, Fact, describe, measure
from bot.alerts.models import OPEN as ALERT_OPEN
from bot.alerts.models import Alert
from bot.alerts.rules import EvalContext, customer_timezones, segment_filter
from bot.channels.breaches import route
from bot.channels.links import LinkedTo
from bot.channels.models import ChannelTicket, Conversation
from bot.channels.text import plain
from bot.channels.tickets import Source, create
from bot.channels.tracking import Tracked, ts_time
from bot.governance import audit
from bot.policies import AlertRule
from bot.services import Services
from bot.store.models import Customer

if TYPE_CHECKING:
    from retrieval.embedder import Embedder

log = logging.getLogger(__name__)
EXEMPLARS = "complaint_exemplars.jsonl"
C = 2.0  # the regression's inverse regularisation, chosen with the threshold by cross-validation
MIN_WORDS = 3  # "ok", "thanks!", an emoji: nothing to judge


@dataclass(frozen=True)
class Exemplar:
    text: str
    complaint: bool


def load_exemplars(text: str | None = None) -> list[Exemplar]:
    raw = text if text is not None else resources.files("bot.channels").joinpath("data", EXEMPLARS).read_text("utf-8")
    out = []
    for line in raw.splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(Exemplar(str(row["text"]), row["label"] == "complaint"))
    return out


class ComplaintModel:
    """P(complaint | message) from the exemplars' embeddings."""

    def __init__(self, embedder: Embedder, exemplars: list[Exemplar], c: float = C) -> None:
        from sklearn.linear_model import LogisticRegression  # scikit-learn loads with the model stack

        self.embedder = embedder
        x = embedder.embed_documents([e.text for e in exemplars])
        y = np.array([e.complaint for e in exemplars])
        self.model = LogisticRegression(C=c, max_iter=2000).fit(x, y)

    def probabilities(self, texts: list[str]) -> list[float]:
        if not texts:
            return []
        return [float(p) for p in self.model.predict_proba(self.embedder.embed_documents(texts))[:, 1]]

    def probability(self, text: str) -> float:
        return self.probabilities([text])[0]


class Detector:
    """Builds the model once per process, on first use, from the playbook index's embedder. ``submit`` runs
    the check on its own worker thread: the model's first build and each embedding never hold up the
    handling of Slack events (the clock is already recorded when a message is classified)."""

    def __init__(self, services: Services, model: ComplaintModel | None = None) -> None:
        self.services = services
        self._model = model
        self._lock = threading.Lock()
        self._build = threading.Lock()
        self._worker: ThreadPoolExecutor | None = None

    def submit(self, tracked: Tracked, channel: str, ts: str) -> Future[int | None] | None:
        """Check in the background (one worker, in arrival order); None when the message is not one to check."""
        if not self.wanted(tracked):
            return None
        with self._lock:
            if self._worker is None:
                self._worker = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="complaints", initializer=_lower_priority
                )
        return self._worker.submit(self._check_logged, tracked, channel, ts)

    def _check_logged(self, tracked: Tracked, channel: str, ts: str) -> int | None:
        try:
            return self.check(tracked, channel, ts)
        except Exception:
            log.exception("complaint check failed for %s/%s", channel, ts)
            return None

    @property
    def model(self) -> ComplaintModel:
        if self._model is None:
            with self._build:
                if self._model is None:
                    self._model = ComplaintModel(self.services.index.embedder, load_exemplars())
        return self._model

    def wanted(self, tracked: Tracked) -> bool:
        cfg = self.services.policies.channels.customer_channels.complaints
        words = len(tracked.text.split())
        return tracked.conversation_id is not None and tracked.tier in cfg.tiers and words >= MIN_WORDS

    def check(self, tracked: Tracked, channel: str, ts: str) -> int | None:
        """Classify a tracked customer message; a complaint raises the complaint alert. The alert id (None:
        not a complaint, not a high-value customer, or the rule's dedupe already covers it)."""
        if not self.wanted(tracked):
            return None
        p = self.model.probability(tracked.text)
        threshold = self.services.policies.channels.customer_channels.complaints.threshold
        if p < threshold:
            return None
        assert tracked.conversation_id is not None
        return raise_complaint(self.services, tracked.conversation_id, channel, ts, tracked.text, p)


def _lower_priority() -> None:
    """The classifier's thread (and the math threads it starts) yields the CPU to event handling: clocks first."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # Linux: this thread only
    except (AttributeError, OSError):
        log.debug("could not lower the complaint worker's priority")


def complaint_rule(session: Session, services: Services, customer_id: int) -> AlertRule | None:
    """The first ``complaint`` rule of alerts.yaml whose segment fits the customer."""
    for rule in services.policies.alerts.rules:
        if rule.kind != "complaint":
            continue
        fits = session.scalar(select(Customer.id).where(Customer.id == customer_id, *segment_filter(rule.segment)))
        if fits is not None:
            return rule
    return None


def raise_complaint(
    services: Services, conversation_id: int, channel: str, ts: str, text: str, probability: float
) -> int | None:
    now = services.clock()
    policies = services.policies
    with services.sessions() as session, session.begin():
        conv = session.get(Conversation, conversation_id)
        customer = session.get(Customer, conv.customer_id) if conv is not None else None
        if conv is None or customer is None:
            return None
        linked = LinkedTo(customer.id, customer.name, customer.tier, customer.timezone, customer.owner_slack_id, 0.0)
        already = session.scalar(
            select(ChannelTicket.id).where(ChannelTicket.channel_id == channel, ChannelTicket.message_ts == ts)
        )
        if already is None:
            source = Source(channel, ts, text, (), ts_time(ts))
            create(
                session,
                source,
                linked,
                conv,
                conv.priority,
                "system:channels",
                "complaint",
                "",
                now,
                category="complaint",
                sentiment=-round(probability, 2),
            )
        rule = complaint_rule(session, services, customer.id)
        if rule is None:
            return None
        conn = session.connection()
        a = Alert.__table__.c
        known = session.scalar(
            select(
                exists().where(
                    a.rule == rule.name,
                    a.customer_id == customer.id,
                    or_(a.open_key.is_not(None), a.created_at > now - rule.cooldown),
                )
            )
        )
        if known:
            return None
        ctx = EvalContext(now=now, policies=policies, timezones=customer_timezones(conn))
        ev = measure(conn, rule, ctx, [customer.id])[customer.id]
        ev = Evidence(ev.kind, ev.label, (*ev.facts, *message_facts(text, probability)), ev.value_at_risk)
        ranking = policies.alerts.ranking
        score = ranking.score(rule.severity, customer.tier, float(customer.arr or 0))
        band = ranking.band(score).name
        recipients = tuple(primary_recipient(policies, rule, customer.owner_slack_id, customer.tier, customer.id))
        why = describe(ev, policies.sensitive_fields)
        alert = Alert(
            rule=rule.name,
            kind=rule.kind,
            customer_id=customer.id,
            tier=customer.tier,
            severity=rule.severity,
            urgent=rule.urgent,
            state=ALERT_OPEN,
            open_key=f"{rule.name}:{customer.id}",
            evidence={**ev.to_json(), "summary": why},
            created_at=now,
            last_seen_at=now,
            seen_count=1,
            reminders=0,
            priority=score,
            band=band,
            value_at_risk=ev.value_at_risk,
            recipient=recipients[0] if recipients else None,
            routed_at=now,
        )
        session.add(alert)
        session.flush()
        pending = [
            NewAlert(
                alert.id,
                rule.name,
                customer.id,
                customer.name,
                customer.tier,
                rule.severity,
                rule.urgent,
                score,
                band,
                why,
                recipients,
            )
        ]
        route(conn, policies, pending, now)
        audit.record(
            session,
            "system:channels",
            "channels.complaint",
            "alert",
            alert.id,
            {"conversation_id": conversation_id, "rule": rule.name, "probability": round(probability, 3)},
        )
        return int(alert.id)


def message_facts(text: str, probability: float) -> tuple[Fact, ...]:
    return (
        Fact("message", "message", plain(text, 300), "text"),
        Fact("complaint_probability", "complaint probability", round(probability, 2), "score", field="sentiment"),
    )
