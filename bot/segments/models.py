"""Segmentation tables: the runs of the placement, each move they made, and the promises kept meanwhile.

* ``segment_runs``: one row per placement run (the yearly review, ``rapport segment --apply``, the placement of
  customers a sync created without a tier, an override applied, promises ended), with its counts and the SHA-256
  of its moves; the audit event of the run carries the same digest, so the moves are tamper-evident.
* ``tier_moves``: every move a run made (or proposed: ``applied`` false on its run), with the figures it rested on.
* ``customer_tier_promises``: a customer served by a tier other than the one placement gives it, until a date: a
  review that moved it down ahead of its renewal (``review``), or an approved override (``override``).
  ``customers.tier`` holds the served tier; ``placed_tier`` the one it moves to when the promise ends.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, BigID, utcnow

REVIEW, OVERRIDE = "review", "override"  # promise kinds


class SegmentRun(Base):
    __tablename__ = "segment_runs"
    __table_args__ = (Index("ix_segment_runs_kind_as_of", "kind", "as_of"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # review | yearly | untiered | override | expiry
    as_of: Mapped[dt.date] = mapped_column(Date)
    applied: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(64), default="")
    customers: Mapped[int] = mapped_column(Integer, default=0)  # customers placed
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # action -> rows, "from>to" -> rows
    digest: Mapped[str | None] = mapped_column(String(64))  # sha256 of the moves, in customer order
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()


class TierMove(Base):
    __tablename__ = "tier_moves"
    __table_args__ = (Index("ix_tier_moves_run_customer", "run_id", "customer_id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("segment_runs.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # up | down | down_kept | set | end_promise | override | expiry
    from_tier: Mapped[str] = mapped_column(String(20))
    to_tier: Mapped[str] = mapped_column(String(20))
    kept_until: Mapped[dt.date | None] = mapped_column(Date)  # a down move served at from_tier until then
    lifetime_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    arr: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    revenue_12m: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))  # last 12 months of orders, in USD
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the approved override, if any


class TierPromise(Base):
    __tablename__ = "customer_tier_promises"
    __table_args__ = (Index("ix_customer_tier_promises_until", "until"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # review | override
    tier: Mapped[str] = mapped_column(String(20))  # the tier served (customers.tier) until ``until``
    placed_tier: Mapped[str] = mapped_column(String(20))  # the tier it moves to then
    until: Mapped[dt.date] = mapped_column(Date)  # last day the promise holds
    run_id: Mapped[int | None] = mapped_column(ForeignKey("segment_runs.id", ondelete="SET NULL"))
    request_id: Mapped[int | None] = mapped_column(Integer)  # the approved override
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
