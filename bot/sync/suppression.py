"""Erased identities: what ``rapport forget`` leaves behind so no source can bring the customer back.

An erasure adds the customer's identities (its external ids per source, domains, contact emails and
name key) as SHA-256 digests of ``kind`` and the normalised value: never the value. Every write path
(file, SQL and helpdesk syncs, webhooks) consults the list before it stores a row: a customer record
with a suppressed id, domain or name, a child record (contact, ticket, order...) of a suppressed
customer and a contact with a suppressed email are skipped and counted as "erased", and a rejected row
that names one is not quarantined either (its raw values would be a copy of the erased data).

A digest is not encryption: someone who can read the table can confirm a guess ("was acme.com
erased?"). It only lets the list exist without holding the data it suppresses.

Erasures and sync batches are serialised so a batch that read the list before an erasure committed
cannot store the customer after it: on PostgreSQL each batch holds a shared advisory lock for its
transaction and an erasure takes it exclusively before it changes anything; SQLite has one writer at a
time, and a batch takes the write lock before it reads the list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, false, func, insert, select, text, update

from bot.customers.normalize import name_key, normalize_domain, normalize_email
from bot.store.models import utcnow
from bot.sync.models import Suppression
from connectors.records import ContactRecord, CustomerRecord, Record

TABLE: Table = Suppression.__table__  # type: ignore[assignment]
KINDS = ("external_id", "domain", "email", "name")
LOCK_KEY = 0x5241_5050  # "RAPP": the advisory lock that orders erasures against sync batches (PostgreSQL)
SEP = "\x1f"  # between a source and an id; never in either


def normalise(kind: str, value: str) -> str:
    """The form a value is compared in: external ids as ``source<US>id`` lower-cased, domains and
    emails as the customer record normalises them, names by their comparison key."""
    if kind == "external_id":
        source, _, ext = value.partition(SEP)
        return f"{source}{SEP}{ext.strip().lower()}"
    if kind == "domain":
        return normalize_domain(value)
    if kind == "email":
        return normalize_email(value)
    if kind == "name":
        return name_key(value)
    raise ValueError(f"unknown identity kind {kind!r} (one of {', '.join(KINDS)})")


def external_id(source: str, ext: str) -> str:
    """The value of an ``external_id`` identity: ids are only unique within their source."""
    return f"{source}{SEP}{ext}"


def digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}{SEP}{normalise(kind, value)}".encode()).hexdigest()


@dataclass
class Suppressed:
    """The list as one sync run or delivery sees it (``version``: the highest row id read)."""

    digests: frozenset[str] = frozenset()
    version: int = 0
    _seen: dict[tuple[str, str], bool] = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return bool(self.digests)

    def has(self, kind: str, value: str | None) -> bool:
        if not value or not self.digests:
            return False
        key = (kind, value)
        hit = self._seen.get(key)
        if hit is None:
            if len(self._seen) > 100_000:  # one run's memo of references; bounded
                self._seen.clear()
            hit = self._seen[key] = digest(kind, value) in self.digests
        return hit

    def customer(self, source: str, record: CustomerRecord) -> bool:
        return (
            self.has("external_id", external_id(source, record.external_id))
            or self.has("domain", record.domain)
            or self.has("name", record.name)
        )

    def child(self, customer_source: str, record: Record) -> bool:
        ref = record.__dict__.get("customer_external_id")
        if isinstance(ref, str) and self.has("external_id", external_id(customer_source, ref)):
            return True
        return isinstance(record, ContactRecord) and self.has("email", record.email)

    def raw(self, source: str, customer_source: str, values: Mapping[str, Any] | None) -> bool:
        """A rejected row (values as read, any column names) naming an erased identity."""
        if not values or not self.digests:
            return False
        for value in values.values():
            if not isinstance(value, str) or not value.strip():
                continue
            if (
                self.has("external_id", external_id(source, value))
                or self.has("external_id", external_id(customer_source, value))
                or self.has("email", value)
                or self.has("name", value)
                or ("." in value and self.has("domain", value))
            ):
                return True
        return False


def lock_shared(conn: Connection) -> None:
    """Hold off erasures until this transaction ends (PostgreSQL; SQLite writers are serialised anyway)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": LOCK_KEY})


def lock_exclusive(conn: Connection) -> None:
    """Wait for sync batches in flight and keep new ones out until this transaction ends: the advisory
    lock on PostgreSQL, the database's write lock on SQLite (taken by a no-op UPDATE, so nothing a
    sync writes can land between what the caller reads next and its commit)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        conn.execute(update(TABLE).where(false()).values(kind=TABLE.c.kind))


def load(conn: Connection, known: Suppressed | None = None) -> Suppressed:
    """The list now: ``known`` again when nothing was added since it was read (one indexed look-up)."""
    version = int(conn.scalar(select(func.coalesce(func.max(TABLE.c.id), 0))) or 0)
    if known is not None and known.version == version:
        return known
    digests = frozenset(conn.scalars(select(TABLE.c.digest)).all()) if version else frozenset()
    return Suppressed(digests, version)


def add(conn: Connection, identities: Iterable[tuple[str, str]], reference: str) -> int:
    """Suppress ``identities`` ((kind, value) pairs) in the caller's transaction; returns how many are new.
    Call :func:`lock_exclusive` first, before the transaction changes anything else."""
    wanted: dict[str, str] = {}
    for kind, value in identities:
        if value and normalise(kind, value).strip(SEP):
            wanted.setdefault(digest(kind, value), kind)
    if not wanted:
        return 0
    have = set(conn.scalars(select(TABLE.c.digest).where(TABLE.c.digest.in_(list(wanted)))).all())
    rows = [
        {"kind": kind, "digest": d, "reference": reference, "created_at": utcnow()}
        for d, kind in wanted.items()
        if d not in have
    ]
    if rows:
        conn.execute(insert(TABLE), rows)
    return len(rows)
