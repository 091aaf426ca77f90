"""Bulk upsert of one validated batch into the store, inside the caller's transaction.

Per batch: one keyed look-up of ``sync_keys`` (what each external id became, its content hash and
the source's change time of the stored version; skipped on a source's first load), one look-up
resolving the customer references the run has not resolved yet (set-based, not per row), then a bulk
load of new rows and executemany UPDATE for changed ones. Unchanged rows (same hash) cost nothing.
A record older than the stored version (its ``updated_at`` before the stored one: a replayed webhook
delivery, a late retry, an old export) is skipped and counted as stale, whatever the source; within a
batch the newest version of an id wins. Records of an erased customer (:mod:`bot.sync.suppression`)
are skipped and counted as erased. Rows whose customer cannot be resolved are returned as errors for
quarantine; nothing is half-written because the caller commits the batch, its quarantine rows and its
cursor together.

New rows go in through the driver, not per-row Core parameter processing (which cost more than the
database work): PostgreSQL takes ids from the table's sequence in one query and the rows by
``COPY``; SQLite takes an ``executemany`` of tuples. Values are converted by the columns' own
SQLAlchemy bind processors (SQLite; datetimes and dates by one-call equivalents proven equal in
``tests/unit/connectors/test_bind_formats.py``) or rendered as COPY text (PostgreSQL), a column at a
time, and columns the batch does not set get the column's Python default, so the rows stored are the
ones a Core insert stores. Child rows are built as tuples, not dicts: this runs for every row.

One module because one batch's upsert is one algorithm (keys, references, inserts, updates, provenance)
over one transaction; its steps share the batch's look-up tables.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from types import NoneType
from typing import Any

from sqlalchemy import (
    ARRAY,
    Column,
    Connection,
    Date,
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

from bot.customers.normalize import name_key, normalize_domain
from bot.store.models import (
    Contact,
    ContactChange,
    Customer,
    CustomerIdentifier,
    HealthScore,
    Note,
    Order,
    Renewal,
    Shipment,
    SurveyResponse,
    Ticket,
    UsageEvent,
    UTCDateTime,
    utcnow,
)
from bot.sync.config import Vocabulary
from bot.sync.models import SyncKey, Untiered
from bot.sync.suppression import Suppressed
from connectors.base import RowError
from connectors.hashing import record_hashes
from connectors.records import (
    ActivityRecord,
    ContactChangeRecord,
    ContactRecord,
    CustomerRecord,
    HealthScoreRecord,
    OrderRecord,
    Record,
    RenewalRecord,
    ShipmentRecord,
    SurveyResponseRecord,
    TicketRecord,
    UsageRecord,
)

CHUNK = 2000  # keys per IN (...) probe: well under SQLite's variable limit
# Rows per chunk handed to COPY: the server stores one chunk while the next is rendered. Rendering it
# all first, then sending it, left the two in turn (200,000 orders, paired runs: +2-5% with a child
# reader, 38-40k -> 40-43k rows/s with the in-process one).
COPY_CHUNK_ROWS = 1000
TABLES: dict[str, Table] = {
    "customer": Customer.__table__,  # type: ignore[dict-item]
    "contact": Contact.__table__,  # type: ignore[dict-item]
    "ticket": Ticket.__table__,  # type: ignore[dict-item]
    "order": Order.__table__,  # type: ignore[dict-item]
    "usage": UsageEvent.__table__,  # type: ignore[dict-item]
    "survey": SurveyResponse.__table__,  # type: ignore[dict-item]
    "contact_change": ContactChange.__table__,  # type: ignore[dict-item]
    "shipment": Shipment.__table__,  # type: ignore[dict-item]
    "health": HealthScore.__table__,  # type: ignore[dict-item]
    "renewal": Renewal.__table__,  # type: ignore[dict-item]
    "activity": Note.__table__,  # type: ignore[dict-item]
}
KEYS: Table = SyncKey.__table__  # type: ignore[assignment]
IDENT: Table = CustomerIdentifier.__table__  # type: ignore[assignment]
UNTIERED: Table = Untiered.__table__  # type: ignore[assignment]
LEGACY_TIER = "bronze"  # a new customer's tier when no policy vocabulary is given (older callers)


KEY_COLUMNS = ("source", "entity", "external_id", "target_id", "customer_id", "row_hash", "updated_at")
Stored = tuple[int, str, "dt.datetime | None"]  # a key's target row id, content hash, change time


@dataclass
class WriteStats:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0  # older than the stored version: skipped
    erased: int = 0  # an erased customer's: skipped, not stored
    untiered: int = 0  # new customers without a tier: queued for placement (sync_untiered)
    errors: list[RowError] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated

    def add(self, other: WriteStats) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stale += other.stale
        self.erased += other.erased
        self.untiered += other.untiered
        self.errors.extend(other.errors)


def older(incoming: dt.datetime | None, stored: dt.datetime | None) -> bool:
    """Whether a version changed at ``incoming`` is older than the one stored; an unknown time on
    either side cannot be ordered, so the incoming version is taken."""
    return incoming is not None and stored is not None and incoming < stored


def _newest(
    records: Sequence[Record], lines: Sequence[int | None], digests: Sequence[str]
) -> dict[str, tuple[Record, int | None, str]]:
    """Each external id's newest version in the batch (by ``updated_at``; the later row on a tie)."""
    out: dict[str, tuple[Record, int | None, str]] = {}
    for rec, line, digest in zip(records, lines, digests, strict=True):
        ext = rec.__dict__["external_id"]
        held = out.get(ext)
        if held is None or not older(rec.__dict__["updated_at"], held[0].__dict__["updated_at"]):
            out[ext] = (rec, line, digest)
    return out


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _ref(record: Record) -> str:
    """The customer a child record belongs to (every entity but customers carries one)."""
    return str(record.__dict__["customer_external_id"])


def _one_of(conn: Connection, column: Any, values: Sequence[str]) -> Any:
    """``column IN values`` as ONE bound parameter however many values (an array on PostgreSQL, a
    JSON list on SQLite): a 10,000-row batch is one probe, not five statements of 2,000 parameters
    that SQLAlchemy, the driver and the server each expand and parse."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String)).table_valued("value")
    return column.in_(select(listed.c.value))


def _existing(conn: Connection, source: str, entity: str, ids: Sequence[str]) -> dict[str, Stored]:
    rows = conn.execute(
        select(KEYS.c.external_id, KEYS.c.target_id, KEYS.c.row_hash, KEYS.c.updated_at).where(
            KEYS.c.source == source, KEYS.c.entity == entity, _one_of(conn, KEYS.c.external_id, ids)
        )
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


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


def new_customer_tier(r: CustomerRecord, vocabulary: Vocabulary | None) -> str:
    """The tier of a new customer whose source gave none: its record's placement by value, the lowest tier when
    it has no value on record; either way it is queued for ``rapport segment`` (which also reads orders)."""
    if vocabulary is None or not vocabulary.tiers:
        return LEGACY_TIER
    ltv = float(r.lifetime_value) if r.lifetime_value is not None else None
    arr = float(r.arr) if r.arr is not None else None
    return vocabulary.place(ltv, arr) or vocabulary.tiers[-1]


def _customer_row(r: CustomerRecord, source: str, new: bool, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
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
        if "tier" not in row:
            row["tier"] = new_customer_tier(r, vocabulary)
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


# Store columns of each child entity, in the order ``_child_values`` gives them.
CHILD_COLUMNS: dict[str, tuple[str, ...]] = {
    "contact": ("customer_id", "name", "email", "phone", "title", "opted_out"),
    "ticket": (
        "customer_id",
        "source",
        "external_id",
        "subject",
        "priority",
        "status",
        "category",
        "opened_at",
        "first_response_at",
        "resolved_at",
        "agent_replies",
        "reopened_at",
    ),
    "order": (
        "customer_id",
        "source",
        "external_id",
        "amount",
        "currency",
        "status",
        "ordered_at",
        "due_at",
        "paid_at",
    ),
    "usage": ("customer_id", "day", "metric", "quantity"),
    "survey": ("customer_id", "source", "external_id", "survey", "score", "comment", "responded_at"),
    "contact_change": ("customer_id", "source", "external_id", "role", "change", "title", "changed_at"),
    "shipment": (
        "customer_id",
        "source",
        "external_id",
        "order_external_id",
        "status",
        "carrier",
        "promised_at",
        "shipped_at",
        "delivered_at",
    ),
    "health": ("customer_id", "source", "day", "score", "usage", "support", "engagement", "sentiment", "payment"),
    "renewal": (
        "customer_id",
        "source",
        "external_id",
        "outcome",
        "renewal_date",
        "decided_at",
        "arr_before",
        "arr_after",
        "reason",
    ),
    "activity": ("customer_id", "author_slack_id", "kind", "body", "created_at"),
}


def _child_values(r: Record, source: str, cid: int) -> tuple[Any, ...]:
    """A child record's store row as values in ``CHILD_COLUMNS`` order (a tuple, not a dict: this runs
    once per row of every batch)."""
    d = r.__dict__
    if isinstance(r, OrderRecord):
        return (
            cid,
            source,
            d["external_id"],
            d["amount"],
            d["currency"],
            d["status"],
            d["ordered_at"],
            d["due_at"],
            d["paid_at"],
        )
    if isinstance(r, TicketRecord):
        return (
            cid,
            source,
            d["external_id"],
            d["subject"][:300],
            d["priority"],
            d["status"],
            d["category"][:40] or "question",
            d["opened_at"],
            d["first_response_at"],
            d["resolved_at"],
            d["agent_replies"],
            d["reopened_at"],
        )
    if isinstance(r, UsageRecord):
        return (cid, d["day"], d["metric"], d["quantity"])
    if isinstance(r, ContactRecord):
        return (cid, d["name"], d["email"], d["phone"], d["title"], bool(d["opted_out"]))
    if isinstance(r, SurveyResponseRecord):
        return (cid, source, d["external_id"], d["survey"], d["score"], d["comment"], d["responded_at"])
    if isinstance(r, ContactChangeRecord):
        return (cid, source, d["external_id"], d["role"], d["change"], d["title"], d["changed_at"])
    if isinstance(r, ShipmentRecord):
        return (
            cid,
            source,
            d["external_id"],
            d["order_external_id"],
            d["status"],
            d["carrier"],
            d["promised_at"],
            d["shipped_at"],
            d["delivered_at"],
        )
    if isinstance(r, HealthScoreRecord):
        return (
            cid,
            source,
            d["day"],
            d["score"],
            d["usage"],
            d["support"],
            d["engagement"],
            d["sentiment"],
            d["payment"],
        )
    if isinstance(r, RenewalRecord):
        return (
            cid,
            source,
            d["external_id"],
            d["outcome"],
            d["renewal_date"],
            d["decided_at"],
            d["arr_before"],
            d["arr_after"],
            d["reason"],
        )
    if isinstance(r, ActivityRecord):
        return (cid, d["owner"], d["kind"], d["subject"] or "", d["occurred_at"])
    raise TypeError(f"no store mapping for {type(r).__name__}")  # pragma: no cover


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


def _copy_column(column: Sequence[Any]) -> Sequence[str]:
    """One column's values as COPY text. A column of one plain type is rendered by one C-level
    ``map``, and text that holds nothing to escape (the usual case) is used as it is."""
    kinds = set(map(type, column))
    if kinds == {str}:
        joined = "".join(column)
        if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
            return list(map(_copy_text, column))
        return column
    if len(kinds) == 1:
        (kind,) = kinds
        if kind is NoneType:  # an optional column no row of the batch sets
            return ["\\N"] * len(column)
        if kind in (int, Decimal):
            return list(map(str, column))
        if kind is dt.datetime:
            return list(map(dt.datetime.isoformat, column))
    copy = _COPY
    return [copy[type(v)](v) for v in column]


def _copy_rows(values: Sequence[Sequence[Any]]) -> str:
    """Rows as PostgreSQL COPY text (tab-separated, one line each), built a column at a time."""
    if not values:
        return ""
    columns = [_copy_column(c) for c in zip(*values, strict=True)]
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


class _CopyStream:
    """Rows as COPY text, rendered a chunk at a time as psycopg2 reads them (it sends each chunk
    before it asks for the next, and ignores ``size`` beyond passing it)."""

    def __init__(self, values: Sequence[Sequence[Any]]) -> None:
        self._values, self._rows, self._at = values, COPY_CHUNK_ROWS, 0

    def read(self, size: int = -1) -> str:
        part = self._values[self._at : self._at + self._rows]
        self._at += self._rows
        return _copy_rows(part)


def _column_default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_scalar:  # type: ignore[attr-defined]
        return default.arg  # type: ignore[attr-defined]
    return default.arg(None)  # type: ignore[attr-defined]  # SQLAlchemy wraps zero-arg callables to take a context


def sqlite_utc_text(value: dt.datetime) -> str:
    """What a ``UTCDateTime`` column binds on SQLite: the naive UTC value in SQLAlchemy's SQLite
    DATETIME storage format (``YYYY-MM-DD HH:MM:SS.ffffff``, which is ``isoformat`` with a space and
    microseconds), in one call instead of the TypeDecorator's and the dialect's processors (~3 us a
    value). ``tests/unit/connectors/test_bind_formats.py`` proves the strings equal."""
    if value.tzinfo is not dt.UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a timezone first")
        value = value.astimezone(dt.UTC)
    return value.isoformat(" ", "microseconds")[:-6]  # less the "+00:00" every UTC value ends in


# Column type -> (the value type it is sure of, its SQLite bind value): same result as the column's
# SQLAlchemy bind processor, which still converts every other value.
_SQLITE_FAST: dict[type, tuple[type, Callable[[Any], Any]]] = {
    UTCDateTime: (dt.datetime, sqlite_utc_text),
    Date: (dt.date, dt.date.isoformat),
}


def _sqlite_bound(columns: Sequence[Column[Any]], values: list[tuple[Any, ...]], dialect: Any) -> list[tuple[Any, ...]]:
    """Rows converted by their columns' bind processors, a column at a time (NULL stays NULL for every
    type here)."""
    procs = []
    for i, c in enumerate(columns):
        proc = c.type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            procs.append((i, proc, _SQLITE_FAST.get(type(c.type))))
    if not procs or not values:
        return values
    cols: list[Sequence[Any]] = list(zip(*values, strict=True))
    for i, proc, fast in procs:
        if fast is None:
            cols[i] = [None if v is None else proc(v) for v in cols[i]]
        else:
            kind, conv = fast
            cols[i] = [None if v is None else conv(v) if type(v) is kind else proc(v) for v in cols[i]]
    return list(zip(*cols, strict=True))


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], with_ids: bool = False) -> list[int]:
    """Insert ``rows`` (dicts of column values) and, if ``with_ids``, return their new ids in order.

    Columns no row sets are left to the database; columns some rows leave out get the column's
    Python default (or NULL), as a Core insert would. See :func:`insert_values`.
    """
    if not rows:
        return []
    present: set[str] = set()
    for row in rows:
        present.update(row)
    names = [c.name for c in table.columns if c.name != "id" and c.name in present]
    template = {c.name: _column_default(c) for c in table.columns if c.name in present}
    pick = itemgetter(*names, names[0])  # always a tuple; the extra trailing value is dropped below
    exact = present == set(names)  # then a row with as many keys as names has every one of them
    values = [pick(row if exact and len(row) == len(names) else template | row)[:-1] for row in rows]
    return insert_values(conn, table, names, values, with_ids)


def insert_values(
    conn: Connection, table: Table, names: Sequence[str], values: list[tuple[Any, ...]], with_ids: bool = False
) -> list[int]:
    """Insert rows given as value tuples for the columns ``names`` and, if ``with_ids``, return their
    new ids in order. Columns not named that have a Python default get it, as a Core insert would.

    Ids: PostgreSQL draws them from the table's sequence; SQLite takes its write lock first (a no-op
    UPDATE) and hands out ids above max(id), so no other writer can interleave until this
    transaction commits.
    """
    if not values:
        return []
    extra = [c for c in table.columns if c.name != "id" and c.name not in names and c.default is not None]
    if extra:
        fill = tuple(_column_default(c) for c in extra)
        values = [v + fill for v in values]
        names = [*names, *(c.name for c in extra)]
    columns = [table.c[n] for n in names]
    ids: list[int] = []
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    if dialect.name == "postgresql":
        if with_ids:
            # One row holding an array: 10,000 ids come back as one value, not 10,000 result rows.
            # MATERIALIZED: the sequence is looked up once; inlined, the planner called
            # pg_get_serial_sequence for every id (~3 us each, 10x the nextval itself).
            ids = list(
                conn.scalar(
                    text(
                        "WITH q AS MATERIALIZED (SELECT pg_get_serial_sequence(:t, 'id')::regclass AS s)"
                        " SELECT array_agg(nextval(q.s)) FROM q, generate_series(1, :n)"
                    ),
                    {"t": table.name, "n": len(values)},
                )
                or ()
            )
            values = [(i, *v) for i, v in zip(ids, values, strict=True)]
            names = ["id", *names]
        sql = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.copy_expert(sql, _CopyStream(values))
        finally:
            cursor.close()
        return ids
    values = _sqlite_bound(columns, values, dialect)
    if with_ids:
        conn.execute(update(table).where(false()).values(id=table.c.id))
        start = int(conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1
        ids = list(range(start, start + len(values)))
        values = [(i, *v) for i, v in zip(ids, values, strict=True)]
        names = ["id", *names]
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
    digests: Sequence[str] | None = None,
    probe: bool = True,
    customers: dict[str, int] | None = None,
    suppressed: Suppressed | None = None,
    vocabulary: Vocabulary | None = None,
) -> WriteStats:
    """Upsert ``records`` (all of ``entity``) from ``source``; later duplicates in the batch win.
    ``digests``: each record's :func:`~connectors.hashing.record_hashes` if the caller has them.
    ``probe=False``: the caller knows none of these keys is stored yet (see
    ``service.KeyLookup``), so the keyed look-up of ``sync_keys`` is skipped and every record is
    inserted; a key that was stored after all fails the batch on the table's primary key.
    ``customers``: customer references already resolved (reference -> customer id); only the others
    are looked up, and what they resolve to is added to it. ``suppressed``: erased identities, whose
    records are skipped (see :mod:`bot.sync.suppression`). ``vocabulary``: the policy files' words, which
    place a new customer that comes without a tier (see :func:`new_customer_tier`)."""
    stats = WriteStats()
    if not records:
        return stats
    if lines is None or len(lines) != len(records):
        lines = [lines[i] if lines and i < len(lines) else None for i in range(len(records))]
    if digests is None or len(digests) != len(records):
        digests = record_hashes(records)
    latest: dict[str, tuple[Record, int | None, str]] = dict(
        zip([r.__dict__["external_id"] for r in records], zip(records, lines, digests, strict=True), strict=True)
    )
    if len(latest) != len(records):  # an id twice in the batch: its newest version, not its last row
        latest = _newest(records, lines, digests)
    if suppressed:
        latest = _unsuppressed(latest, source, customer_source or source, suppressed, stats)
    existing = _existing(conn, source, entity, list(latest)) if probe else {}
    if entity == "customer":
        _write_customers(conn, source, latest, existing, stats, vocabulary)
        return stats

    refs = {_ref(v[0]) for v in latest.values()}
    if customers is None:
        customer_ids = resolve_customers(conn, customer_source or source, refs)
    else:
        missing = refs.difference(customers)
        if missing:
            customers.update(resolve_customers(conn, customer_source or source, missing))
        customer_ids = customers
    new_keys: list[tuple[str, int, str, dt.datetime | None]] = []  # external id, customer id, hash, change time
    new_rows: list[tuple[Any, ...]] = []
    # external id, hash, row id, customer id, row, change time
    changed: list[tuple[str, str, int, int, dict[str, Any], dt.datetime | None]] = []
    names = CHILD_COLUMNS[entity]
    for ext, (rec, line, digest) in latest.items():
        prior = existing.get(ext)
        if prior is not None:
            if prior[1] == digest:
                stats.unchanged += 1
                continue
            if older(rec.__dict__["updated_at"], prior[2]):
                stats.stale += 1
                continue
        ref = rec.__dict__["customer_external_id"]
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
        row = _child_values(rec, source, cid)
        if prior is None:
            new_rows.append(row)
            new_keys.append((ext, cid, digest, rec.__dict__["updated_at"]))
        else:
            changed.append((ext, digest, prior[0], cid, dict(zip(names, row, strict=True)), rec.__dict__["updated_at"]))

    new_ids = insert_values(conn, TABLES[entity], names, new_rows, with_ids=True)
    stats.inserted = len(new_ids)
    _update_by_id(conn, TABLES[entity], [(c[2], c[4]) for c in changed])
    stats.updated = len(changed)
    insert_values(
        conn,
        KEYS,
        KEY_COLUMNS,
        [(source, entity, k[0], target, k[1], k[2], k[3]) for k, target in zip(new_keys, new_ids, strict=True)],
    )
    _update_keys(conn, source, entity, [(c[0], c[1], c[3], c[5]) for c in changed])
    return stats


def _unsuppressed(
    latest: dict[str, tuple[Record, int | None, str]],
    source: str,
    customer_source: str,
    suppressed: Suppressed,
    stats: WriteStats,
) -> dict[str, tuple[Record, int | None, str]]:
    """``latest`` without the records of erased customers, counted in ``stats.erased``."""
    kept: dict[str, tuple[Record, int | None, str]] = {}
    for ext, held in latest.items():
        rec = held[0]
        gone = (
            suppressed.customer(source, rec)
            if isinstance(rec, CustomerRecord)
            else suppressed.child(customer_source, rec)
        )
        if gone:
            stats.erased += 1
        else:
            kept[ext] = held
    return kept


def _write_customers(
    conn: Connection,
    source: str,
    latest: dict[str, tuple[Record, int | None, str]],
    existing: dict[str, Stored],
    stats: WriteStats,
    vocabulary: Vocabulary | None = None,
) -> None:
    new: list[tuple[str, CustomerRecord, str, dict[str, Any]]] = []
    changed: list[tuple[str, CustomerRecord, str, int, dict[str, Any]]] = []
    for ext, (rec, _line, digest) in latest.items():
        prior = existing.get(ext)
        if prior is not None:
            if prior[1] == digest:
                stats.unchanged += 1
                continue
            if older(rec.__dict__["updated_at"], prior[2]):
                stats.stale += 1
                continue
        assert isinstance(rec, CustomerRecord)
        row = _customer_row(rec, source, new=prior is None, vocabulary=vocabulary)
        if prior is None:
            new.append((ext, rec, digest, row))
        else:
            changed.append((ext, rec, digest, prior[0], row))

    new_ids = bulk_insert(conn, TABLES["customer"], [n[3] for n in new], with_ids=True)
    stats.inserted = len(new_ids)
    _update_by_id(conn, TABLES["customer"], [(c[3], c[4]) for c in changed])
    stats.updated = len(changed)

    idents: list[dict[str, Any]] = []
    untiered: list[tuple[Any, ...]] = []
    now = utcnow()
    for n, target in zip(new, new_ids, strict=True):
        idents.extend(_identifiers(target, n[1], source))
        if n[1].tier is None:
            untiered.append((target, source, now))
    insert_values(conn, UNTIERED, ("customer_id", "source", "created_at"), untiered)
    stats.untiered = len(untiered)
    touched = [c[3] for c in changed]
    for part in _chunks(touched):
        conn.execute(delete(IDENT).where(IDENT.c.customer_id.in_(part), IDENT.c.source == source))
    for c in changed:
        idents.extend(_identifiers(c[3], c[1], source))
    bulk_insert(conn, IDENT, idents)

    insert_values(
        conn,
        KEYS,
        KEY_COLUMNS,
        [
            (source, "customer", n[0], target, target, n[2], n[1].updated_at)
            for n, target in zip(new, new_ids, strict=True)
        ],
    )
    _update_keys(conn, source, "customer", [(c[0], c[2], c[3], c[1].updated_at) for c in changed])


def _update_keys(
    conn: Connection, source: str, entity: str, changed: list[tuple[str, str, int, dt.datetime | None]]
) -> None:
    """New hash, customer and change time of each changed key: (external id, hash, customer id, time)."""
    if changed:
        conn.execute(
            update(KEYS)
            .where(
                KEYS.c.source == bindparam("k_s"),
                KEYS.c.entity == bindparam("k_e"),
                KEYS.c.external_id == bindparam("k_x"),
            )
            .values(row_hash=bindparam("k_h"), customer_id=bindparam("k_c"), updated_at=bindparam("k_u")),
            [{"k_s": source, "k_e": entity, "k_x": x, "k_h": h, "k_c": c, "k_u": u} for x, h, c, u in changed],
        )
