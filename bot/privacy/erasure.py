"""Right to erasure: ``forget(services, customer_ref)`` removes a customer's personal data everywhere.

Works from the database's own schema (reflected), so tables other features add later are covered without
changes here, whichever model modules this process imported:

1. **Rows about the customer** are deleted: every table with a column that references the customer
   (a foreign key to ``customers.id`` or a ``customer_id``-style column), plus, transitively, rows that
   reference those rows (an approval's votes, an alert's outbox messages), children first.
2. **Mentions elsewhere** are scrubbed: every remaining text/JSON value containing one of the
   customer's names, domains, emails, phones or external ids is overwritten with ``[erased]``.
3. **Vector entries**: if the index exposes ``delete_where(customer_id=...)`` it is called.
4. **It stays erased**: the customer's identities (external ids per source, domains, contact emails,
   name key; those another customer still uses excepted) go on the suppression list
   (:mod:`bot.sync.suppression`) that every sync and webhook consults, so a full re-sync does not
   recreate them; quarantined rows that name them are deleted, not kept as raw copies.
5. **The bytes go too** (:mod:`bot.privacy.storage`): on SQLite the erasure runs with
   ``secure_delete`` on and the WAL is checkpointed and truncated afterwards; on PostgreSQL the
   affected tables are vacuumed after the commit. SECURITY.md says what that does not reach.
6. One audit event records that an erasure happened with row counts only: no name, no id.

The audit chain itself is never rewritten (it holds ids and actions only, by convention).
A customer under legal hold is refused (the hold must be lifted first).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    MetaData,
    String,
    Table,
    Text,
    cast,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from bot.customers.normalize import name_key, normalize_domain
from bot.governance import audit
from bot.privacy import storage
from bot.privacy.models import LegalHold
from bot.store.models import Contact, Customer, CustomerIdentifier
from bot.sync import suppression
from bot.sync.models import QuarantineRow, SyncKey

if TYPE_CHECKING:
    from bot.services import Services

ERASED_ACTION = "customer.erased"  # the audit action of an erasure (Ask counts them: bot.ask.erasures)

KEEP_TABLES = frozenset(
    {"audit_events", "alembic_version", "leases", "processed_events", "staff", "sync_suppressions", "sync_deliveries"}
)
CUSTOMER_COLUMNS = frozenset({"customer_id", "duplicate_of", "merged_id", "golden_id", "source_customer_id"})
MIN_NEEDLE = 4  # shorter strings would scrub unrelated text
ERASED = "[erased]"


class ErasureError(Exception):
    """The customer cannot be erased as asked (unknown, ambiguous, or under legal hold)."""


@dataclass
class ErasureReport:
    reference: str  # opaque id of the erasure in the audit trail
    customers: int
    rows_deleted: dict[str, int] = field(default_factory=dict)
    values_scrubbed: dict[str, int] = field(default_factory=dict)
    vector_entries: int = 0
    suppressed: int = 0  # identities added to the suppression list
    storage: list[str] = field(default_factory=list)  # what was done to the database files (see storage)


def resolve_ref(conn: Connection, customer_ref: str | int) -> int:
    text = str(customer_ref).strip()
    if text.isdigit():
        return int(text)
    ident = CustomerIdentifier.__table__
    candidates = {("external_id", text.lower()), ("domain", normalize_domain(text)), ("name", name_key(text))}
    ids = {
        r[0]
        for kind, value in candidates
        for r in conn.execute(select(ident.c.customer_id).where(ident.c.kind == kind, ident.c.value == value))
    }
    if not ids:
        raise ErasureError(f"no customer matches {text!r} (give an id, external id, domain or exact name)")
    if len(ids) > 1:
        raise ErasureError(
            f"{text!r} matches {len(ids)} customers ({', '.join(map(str, sorted(ids)[:10]))}); give an id"
        )
    return ids.pop()


@dataclass(frozen=True)
class ErasureTarget:
    """Who ``forget(customer_ref)`` would erase, read without changing anything (for a confirmation)."""

    customer_id: int
    records: list[tuple[int, str]]  # (id, name) of the customer and every record merged with it
    on_hold: bool


def lookup(services: Services, customer_ref: str | int) -> ErasureTarget:
    """Resolve ``customer_ref`` as ``forget`` does; raises :class:`ErasureError` when nothing (or several) match."""
    with services.engine.connect() as conn:
        root = resolve_ref(conn, customer_ref)
        ids = _family(conn, root)
        cust = Customer.__table__
        records = [(r.id, r.name) for r in conn.execute(select(cust.c.id, cust.c.name).where(cust.c.id.in_(ids)))]
        held = conn.scalar(select(func.count()).select_from(LegalHold).where(LegalHold.customer_id.in_(ids)))
    return ErasureTarget(root, sorted(records), bool(held))


def _family(conn: Connection, root: int) -> set[int]:
    """The customer, the golden record it is merged into, and every record merged into either."""
    cust = Customer.__table__
    golden = root
    for _ in range(10):
        parent = conn.scalar(select(cust.c.merged_into_id).where(cust.c.id == golden))
        if parent is None:
            break
        golden = parent
    ids, frontier = {golden}, {golden}
    while frontier:
        frontier = {r[0] for r in conn.execute(select(cust.c.id).where(cust.c.merged_into_id.in_(frontier)))} - ids
        ids |= frontier
    if conn.scalar(select(cust.c.id).where(cust.c.id == root)) is None:
        raise ErasureError(f"no customer with id {root}")
    return ids


def _needles(conn: Connection, ids: set[int]) -> set[str]:
    out: set[str] = set()
    for c in conn.execute(select(Customer.__table__).where(Customer.__table__.c.id.in_(ids))):
        out |= {c.name, name_key(c.name), *(c.domains or []), *map(str, (c.external_ids or {}).values())}
    for c in conn.execute(select(Contact.__table__).where(Contact.__table__.c.customer_id.in_(ids))):
        out |= {v for v in (c.name, c.email, c.phone) if v}
    for (value,) in conn.execute(select(CustomerIdentifier.value).where(CustomerIdentifier.customer_id.in_(ids))):
        out.add(value)
    return {n.lower() for n in out if n and len(n) >= MIN_NEEDLE}


def _doomed_predicates(tables: list[Table], ids: set[int]) -> dict[str, ColumnElement[bool]]:
    """Per table, which rows belong to the customers (directly or through a parent row)."""
    preds: dict[str, ColumnElement[bool]] = {}
    for table in tables:  # parents before children
        if table.name in KEEP_TABLES:
            continue
        terms: list[ColumnElement[bool]] = []
        if table.name == "customers":
            terms.append(table.c.id.in_(ids))
        for col in table.columns:
            refs_customer = any(fk.column.table.name == "customers" for fk in col.foreign_keys)
            if refs_customer or col.name in CUSTOMER_COLUMNS:
                terms.append(col.in_(ids))
            for fk in col.foreign_keys:
                parent = fk.column.table
                if parent.name != "customers" and parent.name in preds and parent is not table:
                    terms.append(col.in_(select(fk.column).where(preds[parent.name])))
        if terms:
            preds[table.name] = or_(*terms)
    return preds


def _text_columns(table: Table) -> list[Column[Any]]:
    return [
        c
        for c in table.columns
        if isinstance(c.type, String | Text | JSON) and not c.primary_key and not c.foreign_keys
    ]


def _scrub(conn: Connection, table: Table, needles: set[str]) -> int:
    scrubbed = 0
    for col in _text_columns(table):
        as_text = func.lower(cast(col, Text)) if isinstance(col.type, JSON) else func.lower(col)
        cond = or_(*(as_text.contains(n, autoescape=True) for n in sorted(needles))) if needles else false()
        value: Any = (
            {"erased": True} if isinstance(col.type, JSON) else ERASED[: getattr(col.type, "length", None) or 8]
        )
        scrubbed += conn.execute(update(table).where(cond).values({col.name: value})).rowcount or 0
    return scrubbed


def identities(conn: Connection, ids: set[int]) -> list[tuple[str, str]]:
    """What identifies the customers to a source, as (kind, value) for the suppression list: every
    external id they were synced under, their domains and name, their contacts' emails. A domain,
    name or email another customer still has is left out: suppressing it would erase them too."""
    cust, ident, keys = Customer.__table__, CustomerIdentifier.__table__, SyncKey.__table__
    out: set[tuple[str, str]] = set()
    for c in conn.execute(select(cust.c.name, cust.c.domains, cust.c.external_ids).where(cust.c.id.in_(ids))):
        out |= {("name", c.name), *(("domain", d) for d in c.domains or [] if d)}
        out |= {("external_id", suppression.external_id(str(s), str(x))) for s, x in (c.external_ids or {}).items()}
    for row in conn.execute(
        select(keys.c.source, keys.c.external_id).where(keys.c.entity == "customer", keys.c.target_id.in_(ids))
    ):
        out.add(("external_id", suppression.external_id(row.source, row.external_id)))
    for known in conn.execute(select(ident.c.kind, ident.c.value, ident.c.source).where(ident.c.customer_id.in_(ids))):
        if known.kind == "external_id" and known.source:
            out.add(("external_id", suppression.external_id(known.source, known.value)))
        elif known.kind in ("domain", "name"):
            out.add((known.kind, known.value))
    out |= {("email", e) for e in conn.scalars(select(Contact.email).where(Contact.customer_id.in_(ids))) if e}
    shared = _shared(conn, ids, out)
    return sorted(i for i in out if i not in shared)


def _shared(conn: Connection, ids: set[int], wanted: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The domains, names and emails in ``wanted`` that a customer outside ``ids`` also has."""
    ident = CustomerIdentifier.__table__
    out: set[tuple[str, str]] = set()
    for kind in ("domain", "name"):
        values = {suppression.normalise(kind, v) for k, v in wanted if k == kind}
        if values:
            rows = conn.execute(
                select(ident.c.value).where(
                    ident.c.kind == kind, ident.c.value.in_(values), ident.c.customer_id.not_in(ids)
                )
            )
            taken = set(rows.scalars())
            out |= {(k, v) for k, v in wanted if k == kind and suppression.normalise(kind, v) in taken}
    emails = [v for k, v in wanted if k == "email"]
    if emails:
        taken = set(
            conn.scalars(select(Contact.email).where(Contact.email.in_(emails), Contact.customer_id.not_in(ids)))
        )
        out |= {("email", e) for e in taken}
    return out


def _purge_quarantine(conn: Connection, needles: set[str], exact: set[str]) -> int:
    """Delete quarantined rows whose raw values name the customers: a value containing one of
    ``needles`` or equal to one of ``exact`` (short external ids), compared lower-cased. Read in
    Python, not by ``LIKE`` over the JSON text, which escapes non-ASCII names."""
    table: Table = QuarantineRow.__table__  # type: ignore[assignment]
    doomed: list[int] = []
    rows = conn.execute(
        select(table.c.id, table.c.raw).where(table.c.raw.is_not(None)).execution_options(yield_per=2000)
    )
    for row_id, raw in rows:
        values = [str(v).lower() for v in (raw.values() if isinstance(raw, dict) else [raw]) if v is not None]
        if any(v in exact or any(n in v for n in needles) for v in values):
            doomed.append(row_id)
    for i in range(0, len(doomed), 1000):
        conn.execute(delete(table).where(table.c.id.in_(doomed[i : i + 1000])))
    return len(doomed)


def forget(services: Services, customer_ref: str | int, actor: str = "system:cli") -> ErasureReport:
    """Erase one customer (and every record merged with it) in a single transaction, keep it erased,
    then clear what the database files still hold of it (:mod:`bot.privacy.storage`)."""
    with services.engine.connect() as conn, storage.secure_delete(conn):
        with Session(bind=conn) as session, session.begin():
            suppression.lock_exclusive(conn)  # first: sync batches in flight finish, new ones wait
            report = _erase(services, session, conn, customer_ref, actor)
        report.storage += storage.after_commit(conn, sorted({*report.rows_deleted, *report.values_scrubbed}))
    return report


def _erase(
    services: Services, session: Session, conn: Connection, customer_ref: str | int, actor: str
) -> ErasureReport:
    root = resolve_ref(conn, customer_ref)
    ids = _family(conn, root)
    held = conn.scalars(select(LegalHold.customer_id).where(LegalHold.customer_id.in_(ids))).all()
    if held:
        raise ErasureError(f"customer {root} is under legal hold; lift the hold before erasing")
    needles = _needles(conn, ids)
    report = ErasureReport(reference=uuid.uuid4().hex[:16], customers=len(ids))
    found = identities(conn, ids)
    report.suppressed = suppression.add(conn, found, report.reference)
    exact = {v.partition(suppression.SEP)[2].strip().lower() for k, v in found if k == "external_id"}
    purged = _purge_quarantine(conn, needles, {e for e in exact if e})
    if purged:
        report.rows_deleted["sync_quarantine"] = purged
    tables = list(database_tables(conn).sorted_tables)
    preds = _doomed_predicates(tables, ids)
    # Detach merged records first so deleting the golden row does not trip its self-reference.
    conn.execute(update(Customer).where(Customer.id.in_(ids)).values(merged_into_id=None))
    for table in reversed(tables):  # children before parents
        pred = preds.get(table.name)
        if pred is not None:
            n = conn.execute(delete(table).where(pred)).rowcount or 0
            if n:
                report.rows_deleted[table.name] = report.rows_deleted.get(table.name, 0) + n
    for table in tables:
        if table.name not in KEEP_TABLES:
            n = _scrub(conn, table, needles)
            if n:
                report.values_scrubbed[table.name] = n
    report.vector_entries = _forget_vectors(services, ids)
    audit.record(
        session,
        actor,
        ERASED_ACTION,
        "erasure",
        report.reference,
        {
            "customers": len(ids),
            "rows_deleted": report.rows_deleted,
            "values_scrubbed": report.values_scrubbed,
            "vector_entries": report.vector_entries,
            "suppressed": report.suppressed,
        },
    )
    return report


def database_tables(conn: Connection) -> MetaData:
    """Every table the database holds, reflected: no feature's table escapes because its models were not imported."""
    metadata = MetaData()
    metadata.reflect(bind=conn)
    return metadata


def _forget_vectors(services: Services, ids: set[int]) -> int:
    """Vector entries tagged with the customer, when the configured index can delete by metadata."""
    if services.index_factory is None:
        return 0
    index = services.index
    deleter = getattr(index, "delete_where", None)
    if deleter is None:
        return 0  # the playbook index holds playbooks only, no customer data
    return sum(int(deleter(customer_id=cid) or 0) for cid in ids)
