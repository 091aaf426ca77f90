"""Bulk upsert of one validated batch into the store, inside the caller's transaction.

Per batch: one keyed look-up of ``sync_keys`` (what each external id became and its content hash),
one look-up resolving customer references (set-based, not per row), then a bulk load of new rows
and executemany UPDATE for changed ones. Unchanged rows (same hash) cost nothing. Rows whose
customer cannot be resolved are returned as errors for quarantine; nothing is half-written because
the caller commits the batch, its quarantine rows and its cursor together.

New rows go in through the driver, not per-row Core parameter processing (which cost more than the
database work): PostgreSQL takes ids from the table's sequence in one query and the rows by
``COPY``; SQLite takes an ``executemany`` of tuples. Values are converted by the columns' own
SQLAlchemy bind processors (SQLite) or rendered as COPY text (PostgreSQL), and columns the batch
does not set get the column's Python default, so the rows stored are the ones a Core insert stores.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ARRAY,
    Column,
    Connection,
    String,
    Table,
    any_,
    bindparam,
    delete,
    false,
    func,
    select,
    text,
    update,
)

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

    def add(self, other: WriteStats) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.errors.extend(other.errors)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


_HASHED: dict[type[Record], Callable[[dict[str, Any]], tuple[Any, ...]]] = {}


def record_hash(record: Record) -> str:
    """Content hash of a record's values (not its change time): equal records, equal hashes, whichever
    validator built them. ``repr`` of the values is exact for the types records hold."""
    model = type(record)
    pick = _HASHED.get(model)
    if pick is None:
        names = [f for f in model.model_fields if f != "updated_at"]
        pick = _HASHED[model] = itemgetter(*names)  # type: ignore[assignment]
    return hashlib.md5(repr(pick(record.__dict__)).encode(), usedforsecurity=False).hexdigest()


def _ref(record: Record) -> str:
    """The customer a child record belongs to (contacts, tickets, orders, usage all carry one)."""
    return str(record.__dict__["customer_external_id"])


def _one_of(conn: Connection, column: Any, values: Sequence[str]) -> Any:
    """``column IN values`` as ONE bound parameter however many values (an array on PostgreSQL, a
    JSON list on SQLite): a 10,000-row batch is one probe, not five statements of 2,000 parameters
    that SQLAlchemy, the driver and the server each expand and parse."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String)).table_valued("value")
    return column.in_(select(listed.c.value))


def _existing(conn: Connection, source: str, entity: str, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
    rows = conn.execute(
        select(KEYS.c.external_id, KEYS.c.target_id, KEYS.c.row_hash).where(
            KEYS.c.source == source, KEYS.c.entity == entity, _one_of(conn, KEYS.c.external_id, ids)
        )
    )
    return {r[0]: (r[1], r[2]) for r in rows}


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


def _copy_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


# PostgreSQL COPY text format per Python type (values are what the records and row builders hold).
_COPY: dict[type, Callable[[Any], str]] = {
    str: _copy_text,
    int: str,
    float: repr,
    Decimal: str,
    bool: lambda v: "t" if v else "f",
    dt.datetime: lambda v: v.isoformat(),
    dt.date: lambda v: v.isoformat(),
    dict: lambda v: _copy_text(json.dumps(v)),
    list: lambda v: _copy_text(json.dumps(v)),
    type(None): lambda v: "\\N",
}


def _column_default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_scalar:  # type: ignore[attr-defined]
        return default.arg  # type: ignore[attr-defined]
    return default.arg(None)  # type: ignore[attr-defined]  # SQLAlchemy wraps zero-arg callables to take a context


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], with_ids: bool = False) -> list[int]:
    """Insert ``rows`` (dicts of column values) and, if ``with_ids``, return their new ids in order.

    Columns no row sets are left to the database; columns some rows leave out get the column's
    Python default (or NULL), as a Core insert would. Ids: PostgreSQL draws them from the table's
    sequence; SQLite takes its write lock first (a no-op UPDATE) and hands out ids above max(id), so
    no other writer can interleave until this transaction commits.
    """
    if not rows:
        return []
    present: set[str] = set()
    for row in rows:
        present.update(row)
    columns = [c for c in table.columns if c.name != "id" and (c.name in present or c.default is not None)]
    names = [c.name for c in columns]
    template = {c.name: _column_default(c) for c in columns}
    pick = itemgetter(*names, names[0])  # always a tuple; the extra trailing value is dropped below
    values: list[Sequence[Any]] = [pick(template | row)[:-1] for row in rows]
    ids: list[int] = []
    dialect = conn.dialect
    if dialect.name == "postgresql":
        if with_ids:
            ids = list(
                conn.scalars(
                    text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                    {"t": table.name, "n": len(rows)},
                )
            )
            values = [(i, *v) for i, v in zip(ids, values, strict=True)]
            names = ["id", *names]
        buf = io.StringIO()
        write = buf.write
        for vals in values:
            write("\t".join([_COPY[type(v)](v) for v in vals]))
            write("\n")
        buf.seek(0)
        quote = dialect.identifier_preparer.quote
        sql = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.copy_expert(sql, buf)
        finally:
            cursor.close()
        return ids
    procs = [(i, c.type.dialect_impl(dialect).bind_processor(dialect)) for i, c in enumerate(columns)]
    procs = [(i, p) for i, p in procs if p is not None]
    if procs:
        converted: list[Sequence[Any]] = []
        for vals in values:
            out = list(vals)
            for i, proc in procs:
                if out[i] is not None:  # NULL stays NULL for every type here; skip the call
                    out[i] = proc(out[i])  # type: ignore[misc]
            converted.append(out)
        values = converted
    if with_ids:
        conn.execute(update(table).where(false()).values(id=table.c.id))
        start = int(conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1
        ids = list(range(start, start + len(rows)))
        values = [(i, *v) for i, v in zip(ids, values, strict=True)]
        names = ["id", *names]
    quote = dialect.identifier_preparer.quote
    cols, marks = ", ".join(quote(n) for n in names), ", ".join("?" * len(names))
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({cols}) VALUES ({marks})", values)
    return ids


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

    new_ids = bulk_insert(conn, table, [n[4] for n in new], with_ids=True)
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
        bulk_insert(conn, IDENT, idents)

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
    bulk_insert(conn, KEYS, key_rows)
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
