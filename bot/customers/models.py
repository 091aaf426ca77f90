"""Golden-record bookkeeping: field provenance (survivorship) and merge events (for explain and unmerge)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, BigID, utcnow


class FieldProvenance(Base):
    """Which source and record supplied each golden-record field (identity resolution survivorship)."""

    __tablename__ = "customer_field_provenance"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_customer_id: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MergeEvent(Base):
    """One merge of ``merged_id`` into ``golden_id``: the evidence, and the values it overwrote (for unmerge)."""

    __tablename__ = "customer_merges"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    golden_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"domain": "...", "name_key": ...}
    previous_golden: Mapped[dict[str, Any]] = mapped_column(JSON)  # golden fields before the merge
    merged_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[dt.datetime | None] = mapped_column()
