"""Alert measures for the KPI digest: volume, ack rate and time to ack, per rule and tier."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from sqlalchemy import Engine, select

from bot.alerts.models import Alert


@dataclass(frozen=True)
class AlertMeasure:
    rule: str
    tier: str
    volume: int
    acked: int
    median_minutes_to_ack: float | None

    @property
    def ack_rate(self) -> float:
        return self.acked / self.volume if self.volume else 0.0


def measures(engine: Engine, since: dt.datetime, until: dt.datetime) -> list[AlertMeasure]:
    """Alerts created in [since, until). Reads only alerts of the window (bounded by the caps)."""
    a = Alert.__table__.c
    groups: dict[tuple[str, str], list[float | None]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(a.rule, a.tier, a.created_at, a.acked_at).where(a.created_at >= since, a.created_at < until)
        )
        for rule, tier, created, acked in rows:
            minutes = (acked - created).total_seconds() / 60 if acked is not None else None
            groups.setdefault((rule, tier), []).append(minutes)
    out = []
    for (rule, tier), values in sorted(groups.items()):
        acked = [v for v in values if v is not None]
        out.append(AlertMeasure(rule, tier, len(values), len(acked), statistics.median(acked) if acked else None))
    return out
