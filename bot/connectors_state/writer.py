"""Bulk upsert of one validated batch into the store, inside the caller's transaction.

Per batch: one keyed look-up of ``sync_keys`` (what each external id became and its content hash),
one look-up resolving customer references, then Core bulk INSERT (with RETURNING ids) for new rows
and executemany UPDATE for changed ones. Unchanged rows (same hash) cost nothing. Rows whose
customer cannot be resolved are returned as errors for quarantine; nothing is half-written because
the caller commits the batch, its quarantine rows and its cursor together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, false, func, insert, select, update

from bot.connectors_state.models import SyncKey
from bot.customers.normalize import name_key, normalize_domain
from bot.store.models import Contact, Customer, CustomerIdentifier, Order, Ticket, UsageEvent, utcnow
from connectors.base import RowError
from connectors.records import (
    ContactRecord,
    CustomerRecord,
    OrderRecord,
    Record,
    TicketRecord,
    UsageRecord,
)

CHUNK = 2000  # keys per IN (...) probe: well under SQLite's variable limit
TABLES: dict[str, Table] = {
    "customer": Customer.__table__,  # type: ignore[dict-item]
    "contact": Contact.__table__,  # type: ignore[dict-item]
    "ticket": Ticket.__table__,  # type: ignore[dict-item]
    "order": Order.__table__,  # type: ignore[dict-item]
    "usage": UsageEvent.__table__,  # type: ignore[dict-item]
}
KEYS: Table = SyncKey.__table__  # type: ignore[assignment]
IDENT: Table = CustomerIdentifier.__table__  # type: ignore[assignment]


@dataclass
class WriteStats:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def record_hash(record: Record) -> str:
    return hashlib.md5(record.model_dump_json(exclude={"updated_at"}).encode(), usedforsecurity=False).hexdigest()


def _ref(record: Record) -> str:
    """The customer a child record belongs to (contacts, tickets, orders, usage all carry one)."""
    return str(record.__dict__["customer_external_id"])


def _existing(conn: Connection, source: str, entity: str, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    for part in _chunks(ids):
        rows = conn.execute(
            select(KEYS.c.external_id, KEYS.c.target_id, KEYS.c.row_hash).where(
                KEYS.c.source == source, KEYS.c.entity == entity, KEYS.c.external_id.in_(part)
            )
        )
        out.update({r[0]: (r[1], r[2]) for r in rows})
    return out


def resolve_customers(conn: Connection, customer_source: str, refs: Iterable[str]) -> dict[str, int]:
    """Customer ids for external references: the source's own keys first, then any identifier."""
    wanted = sorted(set(refs))
    found: dict[str, int] = {}
    for part in _chunks(wanted):
        rows = conn.execute(
            select(KEYS.c.external_id, KEYS.c.target_id).where(
                KEYS.c.source == customer_source, KEYS.c.entity == "customer", KEYS.c.external_id.in_(part)
            )
        )
        found.update({r[0]: r[1] for r in rows})
    rest = [r for r in wanted if r not in found]
    lowered = {r.lower(): r for r in rest}
    for part in _chunks(list(lowered)):
        rows = conn.execute(
            select(IDENT.c.value, IDENT.c.customer_id).where(IDENT.c.kind == "external_id", IDENT.c.value.in_(part))
        )
        for value, cid in rows:
            found.setdefault(lowered[value], cid)
    return found


def _customer_row(r: CustomerRecord, source: str, new: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"name": r.name}
    for key in (
        "tier",
        "segment",
        "region",
        "timezone",
        "lifetime_value",
        "arr",
        "renewal_date",
        "owner_slack_id",
        "consent_outreach",
        "consent_marketing",
    ):
        value = getattr(r, key)
        if value is not None:
            row[key] = value
    if r.domain:
        row["domains"] = [normalize_domain(r.domain)]
    if new:
        row.setdefault("tier", "bronze")
        row.setdefault("region", "unknown")
        row.setdefault("domains", [])
        row["external_ids"] = {source: r.external_id}
        row["created_at"] = r.updated_at or utcnow()
    row["updated_at"] = r.updated_at or utcnow()
    return row


def _identifiers(cid: int, r: CustomerRecord, source: str) -> list[dict[str, Any]]:
    out = {("external_id", r.external_id.lower())}
    key = name_key(r.name)
    if key:
        out.add(("name", key))
    if r.domain:
        out.add(("domain", normalize_domain(r.domain)))
    return [{"customer_id": cid, "kind": k, "value": v[:320], "source": source} for k, v in sorted(out)]


def _child_row(entity: str, r: Record, source: str, cid: int) -> dict[str, Any]:
    if isinstance(r, ContactRecord):
        return {
            "customer_id": cid,
            "name": r.name,
            "email": r.email,
            "phone": r.phone,
            "title": r.title,
            "opted_out": bool(r.opted_out),
        }
    if isinstance(r, TicketRecord):
        return {
            "customer_id": cid,
            "source": source,
            "external_id": r.external_id,
            "subject": r.subject[:300],
            "priority": r.priority,
            "status": r.status,
            "category": r.category[:40] or "question",
            "opened_at": r.opened_at,
            "first_response_at": r.first_response_at,
            "resolved_at": r.resolved_at,
        }
    if isinstance(r, OrderRecord):
        return {
            "customer_id": cid,
            "source": source,
            "external_id": r.external_id,
            "amount": r.amount,
            "currency": r.currency,
            "status": r.status,
            "ordered_at": r.ordered_at,
            "due_at": r.due_at,
            "paid_at": r.paid_at,
        }
    if isinstance(r, UsageRecord):
        return {"customer_id": cid, "day": r.day, "metric": r.metric, "quantity": r.quantity}
    raise TypeError(f"no store mapping for {entity}")  # pragma: no cover


def _insert_returning(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in bulk and return their new ids in order.

    PostgreSQL: one batched INSERT .. RETURNING (insertmanyvalues keeps parameter order). SQLite
    cannot order a batched RETURNING, so SQLAlchemy would fall back to one statement per row; instead
    take the write lock first (a no-op UPDATE) and hand out ids above max(id): no other writer can
    interleave until this transaction commits.
    """
    if not rows:
        return []
    if conn.dialect.name == "sqlite":
        conn.execute(update(table).where(false()).values(id=table.c.id))
        start = int(conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1
        ids = list(range(start, start + len(rows)))
        conn.execute(insert(table), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
        return ids
    result = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return [r[0] for r in result]


def _update_by_id(conn: Connection, table: Table, rows: list[tuple[int, dict[str, Any]]]) -> None:
    # executemany needs one key set per statement: group rows by the columns they set.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for target_id, values in rows:
        groups.setdefault(tuple(sorted(values)), []).append(
            {**{f"v_{k}": v for k, v in values.items()}, "b_id": target_id}
        )
    for cols, params in groups.items():
        stmt = update(table).where(table.c.id == bindparam("b_id")).values({c: bindparam(f"v_{c}") for c in cols})
        conn.execute(stmt.execution_options(synchronize_session=False), params)


def write_batch(
    conn: Connection,
    source: str,
    entity: str,
    records: Sequence[Record],
    lines: Sequence[int | None] | None = None,
    customer_source: str | None = None,
) -> WriteStats:
    """Upsert ``records`` (all of ``entity``) from ``source``; later duplicates in the batch win."""
    stats = WriteStats()
    if not records:
        return stats
    latest: dict[str, tuple[Record, int | None]] = {}
    for i, rec in enumerate(records):
        latest[rec.external_id] = (rec, lines[i] if lines and i < len(lines) else None)
    ids = list(latest)
    existing = _existing(conn, source, entity, ids)
    customer_ids: dict[str, int] = {}
    if entity != "customer":
        refs = {_ref(r) for r, _ in latest.values()}
        customer_ids = resolve_customers(conn, customer_source or source, refs)

    table = TABLES[entity]
    new: list[tuple[str, Record, str, int | None, dict[str, Any]]] = []
    changed: list[tuple[str, Record, str, int, int | None, dict[str, Any]]] = []
    for ext, (rec, line) in latest.items():
        digest = record_hash(rec)
        prior = existing.get(ext)
        if prior is not None and prior[1] == digest:
            stats.unchanged += 1
            continue
        cid: int | None = None
        if isinstance(rec, CustomerRecord):
            row = _customer_row(rec, source, new=prior is None)
        else:
            ref = _ref(rec)
            cid = customer_ids.get(ref)
            if cid is None:
                stats.errors.append(
                    RowError(
                        line,
                        "customer_external_id",
                        f"unknown customer {ref!r} (not found in source {customer_source or source!r})",
                        {"external_id": ext, "customer_external_id": ref},
                    )
                )
                continue
            row = _child_row(entity, rec, source, cid)
        if prior is None:
            new.append((ext, rec, digest, cid, row))
        else:
            changed.append((ext, rec, digest, prior[0], cid, row))

    new_ids = _insert_returning(conn, table, [n[4] for n in new])
    stats.inserted = len(new_ids)
    _update_by_id(conn, table, [(c[3], c[5]) for c in changed])
    stats.updated = len(changed)

    if entity == "customer":
        idents: list[dict[str, Any]] = []
        for (_, rec, *_rest), target in zip(new, new_ids, strict=True):
            idents.extend(_identifiers(target, rec, source))  # type: ignore[arg-type]
        touched = [c[3] for c in changed]
        for part in _chunks(touched):
            conn.execute(delete(IDENT).where(IDENT.c.customer_id.in_(part), IDENT.c.source == source))
        for c in changed:
            idents.extend(_identifiers(c[3], c[1], source))  # type: ignore[arg-type]
        if idents:
            conn.execute(insert(IDENT), idents)

    key_rows = [
        {
            "source": source,
            "entity": entity,
            "external_id": n[0],
            "target_id": target,
            "customer_id": target if entity == "customer" else n[3],
            "row_hash": n[2],
        }
        for n, target in zip(new, new_ids, strict=True)
    ]
    if key_rows:
        conn.execute(insert(KEYS), key_rows)
    if changed:
        conn.execute(
            update(KEYS)
            .where(
                KEYS.c.source == bindparam("k_s"),
                KEYS.c.entity == bindparam("k_e"),
                KEYS.c.external_id == bindparam("k_x"),
            )
            .values(row_hash=bindparam("k_h"), customer_id=bindparam("k_c")),
            [
                {"k_s": source, "k_e": entity, "k_x": c[0], "k_h": c[2], "k_c": c[3] if entity == "customer" else c[4]}
                for c in changed
            ],
        )
    return stats
