"""Retention: delete rows older than their data type's period (``sources.yaml`` ``retention``).

Customers under legal hold (``legal_holds``) are exempt. Tables of features that are not installed
are skipped. Audit events are never purged (the hash chain must stay verifiable end to end).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Date, and_, delete, select
from sqlalchemy.orm import Session

from bot.governance import audit
from bot.policies.primitives import parse_duration
from bot.privacy.erasure import database_tables
from bot.privacy.models import LegalHold
from bot.sync.config import load_sources

if TYPE_CHECKING:
    from bot.services import Services

# data type -> (table, timestamp column, extra condition on a status column or None)
TARGETS: dict[str, tuple[str, str, tuple[str, tuple[str, ...]] | None]] = {
    "interactions": ("notes", "created_at", None),
    "tickets": ("tickets", "opened_at", ("status", ("solved", "closed"))),  # open tickets are kept
    "orders": ("orders", "ordered_at", None),
    "usage": ("usage_events", "day", None),
    "answers_log": ("questions", "created_at", None),
    "feedback": ("answer_feedback", "created_at", None),
    "quarantine": ("sync_quarantine", "created_at", None),
    "sync_runs": ("sync_runs", "finished_at", None),
}


@dataclass
class RetentionReport:
    deleted: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # data types whose table is not installed


def purge(services: Services, now: dt.datetime | None = None, actor: str = "system:retention") -> RetentionReport:
    periods = load_sources(services.settings.policies_dir).retention.periods
    now = now or services.clock()
    report = RetentionReport()
    with Session(services.engine) as session, session.begin():
        conn = session.connection()
        metadata = database_tables(conn)
        held = select(LegalHold.customer_id)
        for kind, period in periods.items():
            if period is None or kind not in TARGETS:
                continue
            name, column, status = TARGETS[kind]
            table = metadata.tables.get(name)
            if table is None:
                report.skipped.append(kind)
                continue
            cutoff: dt.datetime | dt.date = now - parse_duration(period)
            col = table.c[column]
            if isinstance(col.type, Date):
                cutoff = cutoff.date()  # type: ignore[union-attr]
            cond = and_(col.is_not(None), col < cutoff)
            if status is not None:
                cond = and_(cond, table.c[status[0]].in_(status[1]))
            if "customer_id" in table.c:
                cond = and_(cond, table.c.customer_id.not_in(held) | table.c.customer_id.is_(None))
            n = conn.execute(delete(table).where(cond)).rowcount or 0
            if n:
                report.deleted[kind] = n
        if report.deleted:
            audit.record(session, actor, "retention.purge", "retention", now.date().isoformat(), report.deleted)
    return report
