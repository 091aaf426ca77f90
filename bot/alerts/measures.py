"""Alert measures (kpis-per-tier.md, "Alert and approval measures"): volume, ack rate and time to ack, per rule and
tier or over a whole window, and the alerts still waiting for someone's acknowledgement."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from bot.alerts.models import OPEN, SNOOZED, Alert


@dataclass(frozen=True)
class AlertMeasure:
    rule: str  # "" when the measure is over every rule
    tier: str  # "" when over every tier
    volume: int
    acked: int
    median_minutes_to_ack: float | None
    urgent: int = 0
    escalated: int = 0
    snoozed: int = 0

    @property
    def ack_rate(self) -> float:
        return self.acked / self.volume if self.volume else 0.0


@dataclass(frozen=True)
class _Row:
    rule: str
    tier: str
    minutes: float | None  # created to acknowledged; None while not acknowledged
    urgent: bool
    escalated: bool
    snoozed: bool


def _rows(engine: Engine, since: dt.datetime, until: dt.datetime) -> list[_Row]:
    """Alerts created in [since, until). Reads only alerts of the window (bounded by the caps)."""
    a = Alert.__table__.c
    query = select(a.rule, a.tier, a.created_at, a.acked_at, a.urgent, a.escalated_at, a.snoozed_by).where(
        a.created_at >= since, a.created_at < until
    )
    with engine.connect() as conn:
        return [
            _Row(
                rule,
                tier,
                (acked - created).total_seconds() / 60 if acked is not None else None,
                bool(urgent),
                escalated is not None,
                snoozed_by is not None,
            )
            for rule, tier, created, acked, urgent, escalated, snoozed_by in conn.execute(query)
        ]


def _measure(rule: str, tier: str, rows: list[_Row]) -> AlertMeasure:
    acked = [r.minutes for r in rows if r.minutes is not None]
    return AlertMeasure(
        rule,
        tier,
        len(rows),
        len(acked),
        statistics.median(acked) if acked else None,
        urgent=sum(r.urgent for r in rows),
        escalated=sum(r.escalated for r in rows),
        snoozed=sum(r.snoozed for r in rows),
    )


def _grouped(rows: Iterable[_Row], key: Callable[[_Row], tuple[str, str]]) -> list[AlertMeasure]:
    groups: dict[tuple[str, str], list[_Row]] = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    return [_measure(rule, tier, rs) for (rule, tier), rs in sorted(groups.items())]


def measures(engine: Engine, since: dt.datetime, until: dt.datetime) -> list[AlertMeasure]:
    """Per rule and tier, the alerts created in [since, until)."""
    return _grouped(_rows(engine, since, until), lambda r: (r.rule, r.tier))


def window_measures(engine: Engine, since: dt.datetime, until: dt.datetime) -> tuple[AlertMeasure, list[AlertMeasure]]:
    """The alerts created in [since, until): over all of them, and per rule (most alerts first)."""
    rows = _rows(engine, since, until)
    per_rule = sorted(_grouped(rows, lambda r: (r.rule, "")), key=lambda m: (-m.volume, m.rule))
    return _measure("", "", rows), per_rule


@dataclass(frozen=True)
class Waiting:
    person: str  # the assignee, else the recipient (the owner, or the tier's on-duty owner)
    alerts: int
    oldest: dt.datetime


def waiting_for_ack(engine: Engine) -> list[Waiting]:
    """Open or snoozed alerts nobody has acknowledged, by the person each waits on; most waiting first."""
    a = Alert.__table__.c
    person = func.coalesce(a.assignee, a.recipient)
    query = (
        select(person, func.count(), func.min(a.created_at))
        .where(a.open_key.is_not(None), a.state.in_((OPEN, SNOOZED)), a.acked_at.is_(None), person.is_not(None))
        .group_by(person)
        .order_by(func.count().desc(), person)
    )
    with engine.connect() as conn:
        return [Waiting(str(p), int(n), oldest) for p, n, oldest in conn.execute(query)]
