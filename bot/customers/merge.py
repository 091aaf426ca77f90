"""Golden records: merge clusters found by :mod:`bot.customers.identity`, explain, unmerge.

Survivorship per field: the value from the most trusted source that has one (``sources.yaml``
``trust``), then the most recently updated record. The golden record is the cluster member from the
most trusted source; the others keep their rows (and their tickets, orders, contacts) and point at
it through ``Customer.merged_into_id``, so an unmerge is a pointer reset plus a recompute.
Every merge and unmerge is an audit event (ids and evidence kinds only, never values).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from bot.customers.identity import Cluster, find_clusters
from bot.customers.models import FieldProvenance, MergeEvent
from bot.governance import audit
from bot.store.models import Customer, CustomerIdentifier, utcnow

CUST: Table = Customer.__table__  # type: ignore[assignment]
IDENT: Table = CustomerIdentifier.__table__  # type: ignore[assignment]
PROV: Table = FieldProvenance.__table__  # type: ignore[assignment]
MERGES: Table = MergeEvent.__table__  # type: ignore[assignment]
SURVIVING = (
    "name",
    "tier",
    "segment",
    "region",
    "timezone",
    "lifetime_value",
    "arr",
    "renewal_date",
    "health_score",
    "owner_slack_id",
)
UNIONED = ("domains", "external_ids")
EMPTY: tuple[Any, ...] = (None, "", "unknown", [], {})
TrustOf = Callable[[str], int]


@dataclass
class ResolveReport:
    clusters: int = 0
    merged_records: int = 0
    seconds: float = 0.0


@dataclass
class Explanation:
    customer_id: int
    name: str
    golden_id: int
    members: list[dict[str, Any]] = field(default_factory=list)  # id, source, evidence kinds, merged_at
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> {source, customer_id}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value


def _source_of(conn: Connection, ids: list[int]) -> dict[int, str]:
    # Filter kind in Python: with kind in the WHERE, SQLite prefers the (kind, value) index and
    # scans every external id instead of probing customer_id.
    out: dict[int, str] = {}
    for cid, kind, source in conn.execute(
        select(IDENT.c.customer_id, IDENT.c.kind, IDENT.c.source).where(IDENT.c.customer_id.in_(ids))
    ):
        if kind == "external_id":
            out.setdefault(cid, source)
    return out


def _rank(row: Any, source: str, trust: TrustOf) -> tuple[int, float, int]:
    updated = row.updated_at.timestamp() if row.updated_at else 0.0
    return (trust(source), updated, -row.id)


def survive(rows: list[Any], sources: dict[int, str], trust: TrustOf) -> tuple[dict[str, Any], dict[str, int]]:
    """Field values of the golden record and which member supplied each one."""
    ranked = sorted(rows, key=lambda r: _rank(r, sources.get(r.id, "?"), trust), reverse=True)
    values: dict[str, Any] = {}
    origin: dict[str, int] = {}
    for name in SURVIVING:
        for row in ranked:
            value = getattr(row, name)
            if value not in EMPTY and not (name in ("lifetime_value", "arr") and not value):
                values[name], origin[name] = value, row.id
                break
    domains: list[str] = []
    external: dict[str, Any] = {}
    for row in reversed(ranked):  # most trusted last, so it wins key clashes in external_ids
        domains += [d for d in row.domains or [] if d not in domains]
        external.update(row.external_ids or {})
    values["domains"], values["external_ids"] = domains, external
    return values, origin


def _merge_cluster(conn: Connection, cluster: Cluster, trust: TrustOf, now: dt.datetime) -> int:
    ids = sorted(cluster.members)
    rows = list(conn.execute(select(CUST).where(CUST.c.id.in_(ids))))
    sources = _source_of(conn, ids)
    golden = max(rows, key=lambda r: _rank(r, sources.get(r.id, "?"), trust))
    values, origin = survive(rows, sources, trust)
    before = {k: _jsonable(getattr(golden, k)) for k in (*SURVIVING, *UNIONED)}
    conn.execute(update(CUST).where(CUST.c.id == golden.id).values(**values, updated_at=now))
    others = [r.id for r in rows if r.id != golden.id]
    conn.execute(update(CUST).where(CUST.c.id.in_(others)).values(merged_into_id=golden.id))
    conn.execute(delete(PROV).where(PROV.c.customer_id == golden.id))
    conn.execute(
        insert(PROV),
        [
            {
                "customer_id": golden.id,
                "field": f,
                "source_customer_id": cid,
                "source": sources.get(cid, "?"),
                "decided_at": now,
            }
            for f, cid in origin.items()
        ],
    )
    for other in others:
        evidence = [
            {"kind": e.kind, "with": e.a if e.b == other else e.b} for e in cluster.evidence if other in (e.a, e.b)
        ] or [{"kind": "cluster", "with": golden.id}]
        conn.execute(
            insert(MERGES).values(
                golden_id=golden.id,
                merged_id=other,
                evidence={"links": evidence},
                previous_golden=before,
                merged_at=now,
            )
        )
    return len(others)


def resolve(engine: Engine, trust: TrustOf, actor: str = "system:identity", batch: int = 500) -> ResolveReport:
    """Find and merge every cluster of active records. Idempotent: a second run finds nothing new."""
    import time

    started = time.perf_counter()
    report = ResolveReport()
    with engine.connect() as conn:
        clusters = find_clusters(conn)
    now = utcnow()
    for i in range(0, len(clusters), batch):
        with Session(engine) as session, session.begin():
            conn = session.connection()
            for cluster in clusters[i : i + batch]:
                report.merged_records += _merge_cluster(conn, cluster, trust, now)
                report.clusters += 1
            audit.record(
                session,
                actor,
                "customers.merge",
                "customer_batch",
                f"{i // batch}",
                {"clusters": len(clusters[i : i + batch])},
            )
    report.seconds = time.perf_counter() - started
    return report


def _golden_of(conn: Connection, customer_id: int) -> int:
    seen = 0
    current = customer_id
    while seen < 10:
        parent = conn.scalar(select(CUST.c.merged_into_id).where(CUST.c.id == current))
        if parent is None:
            return current
        current, seen = parent, seen + 1
    return current


def explain(engine: Engine, customer_id: int) -> Explanation:
    with engine.connect() as conn:
        if conn.scalar(select(CUST.c.id).where(CUST.c.id == customer_id)) is None:
            raise LookupError(f"no customer with id {customer_id}")
        golden = _golden_of(conn, customer_id)
        name = conn.scalar(select(CUST.c.name).where(CUST.c.id == golden)) or ""
        out = Explanation(customer_id=customer_id, name=name, golden_id=golden)
        members = [r[0] for r in conn.execute(select(CUST.c.id).where(CUST.c.merged_into_id == golden))]
        sources = _source_of(conn, [golden, *members])
        events = {
            r.merged_id: r
            for r in conn.execute(select(MERGES).where(MERGES.c.golden_id == golden, MERGES.c.undone_at.is_(None)))
        }
        out.members.append({"id": golden, "source": sources.get(golden, "?"), "role": "golden"})
        for mid in members:
            ev = events.get(mid)
            out.members.append(
                {
                    "id": mid,
                    "source": sources.get(mid, "?"),
                    "role": "merged",
                    "evidence": sorted({link["kind"] for link in ev.evidence["links"]}) if ev else [],
                    "merged_at": ev.merged_at.isoformat() if ev else None,
                }
            )
        for row in conn.execute(select(PROV).where(PROV.c.customer_id == golden)):
            out.provenance[row.field] = {"source": row.source, "customer_id": row.source_customer_id}
    return out


def unmerge(engine: Engine, customer_id: int, trust: TrustOf, actor: str = "system:cli") -> Explanation:
    """Detach ``customer_id`` from its golden record and recompute the golden fields without it."""
    with Session(engine) as session, session.begin():
        conn = session.connection()
        row = conn.execute(select(CUST.c.id, CUST.c.merged_into_id).where(CUST.c.id == customer_id)).first()
        if row is None:
            raise LookupError(f"no customer with id {customer_id}")
        if row.merged_into_id is None:
            raise ValueError(f"customer {customer_id} is not merged into another record")
        golden = row.merged_into_id
        events = list(
            conn.execute(
                select(MERGES).where(MERGES.c.golden_id == golden, MERGES.c.undone_at.is_(None)).order_by(MERGES.c.id)
            )
        )
        original = events[0].previous_golden if events else {}
        now = utcnow()
        conn.execute(update(CUST).where(CUST.c.id == customer_id).values(merged_into_id=None, updated_at=now))
        conn.execute(
            update(MERGES).where(MERGES.c.merged_id == customer_id, MERGES.c.undone_at.is_(None)).values(undone_at=now)
        )
        # Restore the golden record's own values, then re-apply survivorship over who is left.
        restore = {k: v for k, v in original.items() if k in (*SURVIVING, *UNIONED)}
        if restore:
            typed = _retype(restore)
            conn.execute(update(CUST).where(CUST.c.id == golden).values(**typed))
        remaining = [r[0] for r in conn.execute(select(CUST.c.id).where(CUST.c.merged_into_id == golden))]
        conn.execute(delete(PROV).where(PROV.c.customer_id == golden))
        if remaining:
            rows = list(conn.execute(select(CUST).where(CUST.c.id.in_([golden, *remaining]))))
            sources = _source_of(conn, [golden, *remaining])
            values, origin = survive(rows, sources, trust)
            conn.execute(update(CUST).where(CUST.c.id == golden).values(**values))
            conn.execute(
                insert(PROV),
                [
                    {
                        "customer_id": golden,
                        "field": f,
                        "source_customer_id": cid,
                        "source": sources.get(cid, "?"),
                        "decided_at": now,
                    }
                    for f, cid in origin.items()
                ],
            )
        audit.record(session, actor, "customers.unmerge", "customer", customer_id, {"golden_id": golden})
    return explain(engine, customer_id)


def _retype(values: dict[str, Any]) -> dict[str, Any]:
    from decimal import Decimal

    out = dict(values)
    for key in ("lifetime_value", "arr"):
        if isinstance(out.get(key), str):
            out[key] = Decimal(out[key])
    if isinstance(out.get("renewal_date"), str):
        out["renewal_date"] = dt.date.fromisoformat(out["renewal_date"])
    return out
