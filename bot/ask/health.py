"""A customer's health score read for an answer: how it moved over the last month and its weak parts (the
components the CS platform sends with each snapshot, bot.store.models.HealthScore), so "what's X's health score
and why?" gets the why. ``health_score`` is a sensitive field (roles.yaml): bot.ask.facts states this only to the
roles that see the score."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import HEALTH_COMPONENTS, HealthScore

TREND_DAYS = 30  # the change is measured against the last snapshot at least this old
LOOK_BACK = 45  # days of snapshots read: one a month old is found even when the feed skipped a few days
HEALTHY = 70  # a score at or above this is healthy, and a part under it is named as weak
AT_RISK = 50  # a score under this is at risk (between the two: watch)
NAMED = 2  # weak parts named at most, the weakest first


@dataclass(frozen=True)
class HealthTrend:
    then: int | None  # the score TREND_DAYS ago (the last snapshot at least that old); None when none is
    weak: list[tuple[str, int]]  # the latest snapshot's parts under HEALTHY, weakest first (at most NAMED)


def health_trend(session: Session, customer_id: int, today: dt.date) -> HealthTrend | None:
    """The trend and weak parts from the customer's snapshots up to ``today``; None when there are none."""
    h = HealthScore.__table__.c
    rows = session.execute(
        select(h.day, h.score, *(h[c] for c in HEALTH_COMPONENTS))
        .where(h.customer_id == customer_id, h.day <= today, h.day >= today - dt.timedelta(days=LOOK_BACK))
        .order_by(h.day, h.id)
    ).all()
    if not rows:
        return None
    last = rows[-1]
    old = [r for r in rows if r.day <= today - dt.timedelta(days=TREND_DAYS)]
    then = int(old[-1].score) if old else None
    parts = [(c, int(v)) for c in HEALTH_COMPONENTS if (v := getattr(last, c)) is not None and v < HEALTHY]
    return HealthTrend(then, sorted(parts, key=lambda cv: (cv[1], cv[0]))[:NAMED])
