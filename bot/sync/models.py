"""Sync bookkeeping: cursors, runs, quarantined rows, source keys, webhook deliveries, erased identities.

``SyncKey`` maps (source, entity, external id) to the store row a record became, with a hash of
the record so unchanged rows are skipped and re-deliveries are idempotent, and the source's change
time of the version stored, so an older version (a replayed delivery, a late retry) never replaces it.
``IngestDelivery`` remembers each webhook delivery id for a day: a delivery received twice is applied once.
``Suppression`` is the list of erased identities (hashes only) every sync and webhook consults, so a
customer erased by ``rapport forget`` is never recreated from a source (see :mod:`bot.sync.suppression`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, BigID, utcnow


class SyncCursor(Base):
    __tablename__ = "sync_cursors"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_source_started", "source", "started_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))  # full | incremental | webhook
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | ok | partial | failed
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    rows_stale: Mapped[int] = mapped_column(Integer, default=0)  # older than the stored version: skipped
    rows_erased: Mapped[int] = mapped_column(Integer, default=0)  # an erased customer's: skipped, not stored
    error: Mapped[str | None] = mapped_column(Text)
    # Values stored that no policy file knows: {"tier": {"Enterprise": 120}, "region": {...}} (counts only)
    unknown_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class QuarantineRow(Base):
    __tablename__ = "sync_quarantine"
    __table_args__ = (Index("ix_sync_quarantine_source_created", "source", "created_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(20))
    row: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # personal data: purged by retention/erasure
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SyncKey(Base):
    __tablename__ = "sync_keys"
    # customer_id is not indexed: only erasure looks keys up by it, and it scans this table anyway
    # (see migration 0009)

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity: Mapped[str] = mapped_column(String(20), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    target_id: Mapped[int] = mapped_column(BigInteger)
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    row_hash: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime | None] = mapped_column()  # the source's change time of the stored version


class IngestDelivery(Base):
    """One webhook delivery, by the sender's delivery id (or the body's hash): a repeat is answered, not applied."""

    __tablename__ = "sync_deliveries"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # counts only, never record values


class Untiered(Base):
    """A customer a sync created without a tier: placed from its record's value for now (or the lowest tier when
    it has none) until ``rapport segment`` (or its job) places it from the record and its orders."""

    __tablename__ = "sync_untiered"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Suppression(Base):
    """An erased identity: a SHA-256 of its kind and normalised value, never the value itself."""

    __tablename__ = "sync_suppressions"
    __table_args__ = (UniqueConstraint("digest", name="uq_sync_suppressions_digest"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # external_id | domain | email | name
    digest: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(32))  # the erasure's audit reference
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
