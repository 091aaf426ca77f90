"""Scheduled segmentation work, collected into the leased scheduler (one process runs each job at a time):

* ``segments.untiered`` (every 10 minutes): customers a sync created without a tier are placed from their record
  and orders and moved (placing a customer that has no tier is not a move to sign off);
* ``segments.promises`` (hourly): approved tier overrides applied, promises past their last day ended;
* ``segments.yearly_review`` (hourly check): on the review date of ``tiers.yaml`` (``segmentation``), once a year,
  the proposed moves are posted to the governance channel for CS leadership to sign off (not applied).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.governance import audit
from bot.scheduler import JobSpec
from bot.segments.overrides import apply_approved_overrides, end_promises
from bot.segments.present import post_review
from bot.segments.review import review
from bot.services import Services
from bot.store.models import AuditEvent
from bot.sync.models import Untiered

log = logging.getLogger(__name__)
UNTIERED_SECONDS = 600
PROMISES_SECONDS = 3600
YEARLY_CHECK_SECONDS = 3600
UNTIERED_BATCH = 50_000  # customers placed per run (a first load of a big export takes a few runs)
PROPOSED = "segment.proposed"


def place_untiered(services: Services) -> int:
    """Place the customers a sync created without a tier; returns how many were placed."""
    with services.engine.connect() as conn:
        ids = list(conn.scalars(select(Untiered.customer_id).order_by(Untiered.customer_id).limit(UNTIERED_BATCH)))
    if not ids:
        return 0
    result = review(
        services.engine,
        services.policies,
        services.clock().date(),
        apply=True,
        actor="system:segment.untiered",
        only=ids,
        kind="untiered",
    )
    log.info("placed %d customers a sync created without a tier: %s", len(ids), dict(result.counts))
    return len(ids)


def yearly_review(services: Services) -> bool:
    """Post this year's proposed moves once, from the review date on; True when it posted."""
    today = services.clock().date()
    seg = services.policies.tiers.segmentation
    if today < seg.review_date(today.year):
        return False
    key = str(today.year)
    with services.sessions() as s:
        done = s.scalar(select(AuditEvent.id).where(AuditEvent.action == PROPOSED, AuditEvent.subject_id == key))
    if done is not None:
        return False
    result = review(services.engine, services.policies, today, kind="yearly")
    ref = post_review(services, result)
    with services.sessions.begin() as s:
        audit.record(
            s,
            "system:segment.yearly",
            PROPOSED,
            "segment_review",
            key,
            {"as_of": today.isoformat(), "counts": dict(result.counts), "moves_sha256": result.digest, "ts": ref.ts},
        )
    return True


def jobs(services: Services) -> list[JobSpec]:
    def promises() -> None:
        apply_approved_overrides(services)
        end_promises(services)

    return [
        JobSpec("segments.untiered", lambda: place_untiered(services), seconds=UNTIERED_SECONDS, jitter=30),
        JobSpec("segments.promises", promises, seconds=PROMISES_SECONDS, jitter=60),
        JobSpec("segments.yearly_review", lambda: yearly_review(services), seconds=YEARLY_CHECK_SECONDS, jitter=60),
    ]
