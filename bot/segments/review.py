"""A segmentation review: the placement's moves as figures, a CSV and a plain result the CLI and Slack show; applied,
the moves themselves, set-based, in one transaction, audited.

Flat memory at any size: the placement is materialised once in a temporary table (one set-based query), read back
in customer order a batch at a time (CSV lines, counts, the moves' SHA-256, the few largest moves kept for display),
and applied by a handful of set-based statements from that table. Nothing holds the moves in Python.

Applied, per action (see :mod:`bot.segments.placement`): ``up``/``down``/``set`` change ``customers.tier`` now;
``down_kept`` keeps the tier and records a ``review`` promise until the renewal date (the tier it moves to then in
``placed_tier``); ``end_promise`` drops a promise no longer needed; ``held`` and ``unplaceable`` change nothing.
Every row lands in ``tier_moves`` under the run, the run's audit event carries the counts and the digest.

One module because the review's figures, CSV and apply all read one temporary placement table within one
transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import heapq
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from bot.customers.accounts import accounts_per_owner
from bot.governance import audit
from bot.policies import Policies
from bot.policies.tiers import Tier, TiersPolicy
from bot.segments.models import REVIEW, SegmentRun, TierMove, TierPromise
from bot.segments.placement import (
    COLUMNS,
    DOWN,
    DOWN_KEPT,
    END_PROMISE,
    MOVES,
    SET,
    UNPLACEABLE,
    UP,
    placement_query,
    revenue_by_golden,
    unpriced_currencies,
)
from bot.store.models import Customer, UTCDateTime, utcnow
from bot.sync.models import Untiered

RUNS: Table = SegmentRun.__table__  # type: ignore[assignment]
MOVES_TABLE: Table = TierMove.__table__  # type: ignore[assignment]
PROMISES: Table = TierPromise.__table__  # type: ignore[assignment]
CUSTOMERS: Table = Customer.__table__  # type: ignore[assignment]
UNTIERED: Table = Untiered.__table__  # type: ignore[assignment]
READ_BATCH = 10_000
TOP = 15  # moves shown in the terminal and the post (the CSV has every one)
CSV_HEADER = [
    "customer_id",
    "name",
    "owner",
    "from_tier",
    "to_tier",
    "action",
    "kept_until",
    "lifetime_value",
    "arr_record",
    "revenue_12m",
    "why",
]


@dataclass(frozen=True)
class Move:
    customer_id: int
    name: str
    owner: str | None
    served: str
    placed: str
    action: str
    renewal_date: dt.date | None
    lifetime_value: Decimal
    arr: Decimal
    revenue_12m: Decimal
    unpriced_orders: int
    promise_kind: str | None
    promise_until: dt.date | None
    request_id: int | None

    @property
    def annual(self) -> Decimal:
        """The ARR placement used: the greater of the record's and the last 12 months of orders."""
        return max(Decimal(self.arr), Decimal(self.revenue_12m))

    @property
    def kept_until(self) -> dt.date | None:
        return self.renewal_date if self.action == DOWN_KEPT else None

    @property
    def value(self) -> Decimal:
        return max(Decimal(self.lifetime_value), self.annual)

    def why(self, tiers: TiersPolicy) -> str:
        """By how much: the measure against the threshold that decided (one line)."""
        by_name = {t.name: t for t in tiers.tiers}
        measures = f"LTV ${float(self.lifetime_value):,.0f}, ARR ${float(self.annual):,.0f}"
        if self.annual > self.arr:
            measures += " (12 months of orders)"
        if self.action == UNPLACEABLE:
            return "no lifetime value, no ARR and no orders in 12 months: nothing to place by; tier kept"
        if self.action == "held":
            return f"{measures}: placement says {self.placed}, held by override until {self.promise_until}"
        if self.action in (DOWN, DOWN_KEPT) and self.served in by_name:
            gap = _gap(self, by_name[self.served], below=True)
            kept = f"; keeps {self.served} promises until renewal {self.renewal_date}" if self.kept_until else ""
            return f"{measures}: {gap}{kept}"
        target = by_name.get(self.placed)
        if self.action in (UP, SET) and target is not None:
            return f"{measures}: {_gap(self, target, below=False)}"
        if self.action == END_PROMISE:
            return f"{measures}: placement is back at {self.served}; the kept promise ends"
        return measures


def _gap(m: Move, tier: Tier, below: bool) -> str:
    """How far the customer is below ``tier`` (a down move) or above it (an up move), by its closer measure."""
    parts = []
    for label, have, need in (
        ("LTV", Decimal(m.lifetime_value), tier.min_lifetime_value),
        ("ARR", m.annual, tier.min_arr),
    ):
        if need > 0:
            parts.append((float(have) / need - 1, label, need))
    if not parts:
        return f"{tier.name} has no threshold"
    ratio, label, need = max(parts)  # the measure closest to (or furthest over) the threshold
    if below:
        return f"{-ratio:.0%} below {tier.name} ({label} needs ${need:,.0f})"
    return f"{ratio:+.0%} over {tier.name}'s {label} ${need:,.0f}"


@dataclass(frozen=True)
class OwnerImpact:
    owner: str  # a user or group id, or "—" for accounts without one
    name: str | None  # from roles.yaml; None when the id is not in roles.yaml
    gained: dict[str, int]  # tier -> accounts it moves into now
    lost: dict[str, int]  # tier -> accounts leaving it now
    after: dict[str, int]  # tier -> accounts held after the moves
    over_cap: dict[str, int]  # tier -> its max_accounts_per_owner, where ``after`` exceeds it

    @property
    def known(self) -> bool:
        return self.name is not None


@dataclass
class Review:
    """What a review found (and, applied, did): the plain result the CLI and the Slack view show."""

    as_of: dt.date
    kind: str
    applied: bool = False
    customers: int = 0  # golden customers placed
    counts: Counter[str] = field(default_factory=Counter)  # action -> customers
    flows: Counter[tuple[str, str]] = field(default_factory=Counter)  # (from, to) -> customers moving now or later
    top: list[Move] = field(default_factory=list)  # the largest moves by value
    unplaceable: list[Move] = field(default_factory=list)  # the first few, for display
    owners: list[OwnerImpact] = field(default_factory=list)
    unpriced: dict[str, int] = field(default_factory=dict)  # currency -> orders not counted
    digest: str = ""
    run_id: int | None = None
    csv_path: Path | None = None
    seconds: float = 0.0
    tiers: TiersPolicy | None = None

    @property
    def moves(self) -> int:
        return sum(self.counts[a] for a in MOVES)


_METADATA = MetaData()
PLACED = Table(
    "segment_placed",
    _METADATA,
    Column("customer_id", Integer, primary_key=True),
    Column("name", String(200)),
    Column("owner", String(32)),
    Column("served", String(20)),
    Column("placed", String(20)),
    Column("action", String(16)),
    Column("renewal_date", Date),
    Column("lifetime_value", Numeric(16, 2)),
    Column("arr", Numeric(16, 2)),
    Column("revenue_12m", Numeric(16, 2)),
    Column("unpriced_orders", Integer),
    Column("promise_kind", String(12)),
    Column("promise_until", Date),
    Column("request_id", Integer),
    prefixes=["TEMPORARY"],
)


REVENUE = Table(
    "segment_revenue",
    _METADATA,
    Column("golden_id", Integer, primary_key=True),
    Column("revenue", Numeric(18, 4)),
    Column("unpriced", Integer),
    prefixes=["TEMPORARY"],
)


def _materialise(conn: Connection, tiers: TiersPolicy, as_of: dt.date, only: Sequence[int] | None) -> None:
    """Revenue per golden customer first, keyed (one index look-up per customer), then the placement rows."""
    for table in (PLACED, REVENUE):
        table.drop(conn, checkfirst=True)
        table.create(conn)
    conn.execute(insert(REVENUE).from_select(["golden_id", "revenue", "unpriced"], revenue_by_golden(tiers, as_of)))
    placed = placement_query(tiers, as_of, only, revenue=REVENUE)
    conn.execute(insert(PLACED).from_select(list(COLUMNS), placed))


def _rows(conn: Connection) -> Iterator[Move]:
    """The materialised rows in customer order, a batch at a time (keyset pagination: no server cursor needed)."""
    after = -1
    while True:
        batch = conn.execute(
            select(*PLACED.c).where(PLACED.c.customer_id > after).order_by(PLACED.c.customer_id).limit(READ_BATCH)
        ).all()
        if not batch:
            return
        for row in batch:
            yield Move(*row)
        after = batch[-1][0]


def _owner_counts(conn: Connection) -> dict[tuple[str, str], int]:
    return {(o or "—", t): n for o, tiers in accounts_per_owner(conn).items() for t, n in tiers.items()}


def _owner_impact(
    policies: Policies, before: dict[tuple[str, str], int], delta: Counter[tuple[str, str]]
) -> list[OwnerImpact]:
    caps = {t.name: t.promises.max_accounts_per_owner for t in policies.tiers.tiers}
    owners = sorted({o for o, _ in delta})
    out = []
    for owner in owners:
        tiers = {t for (o, t) in [*before, *delta] if o == owner}
        after = {t: before.get((owner, t), 0) + delta.get((owner, t), 0) for t in tiers}
        gained = {t: n for (o, t), n in delta.items() if o == owner and n > 0}
        lost = {t: -n for (o, t), n in delta.items() if o == owner and n < 0}
        over = {t: cap for t, cap in caps.items() if cap is not None and owner != "—" and after.get(t, 0) > cap}
        staff = policies.staff(owner)
        group = policies.group(owner)
        name = staff.name if staff else group.name if group else ("no owner" if owner == "—" else None)
        out.append(OwnerImpact(owner, name, gained, lost, {t: n for t, n in after.items() if n}, over))
    return sorted(out, key=lambda i: (not i.over_cap, i.known, -sum(i.gained.values()), i.owner))


def review(
    engine: Engine,
    policies: Policies,
    as_of: dt.date,
    apply: bool = False,
    actor: str = "system:segment",
    csv_path: Path | None = None,
    only: Sequence[int] | None = None,
    kind: str = "review",
    top: int = TOP,
) -> Review:
    """Place every customer (or ``only`` these) as of ``as_of``; with ``apply``, move them (see the module doc)."""
    started = time.perf_counter()
    tiers = policies.tiers
    result = Review(as_of, kind, tiers=tiers)
    heap: list[tuple[Decimal, int, Move]] = []
    digest = hashlib.sha256()
    delta: Counter[tuple[str, str]] = Counter()
    with engine.begin() as conn:
        _materialise(conn, tiers, as_of, only)
        c = Customer.__table__.c
        placed_q = select(func.count()).select_from(Customer.__table__).where(c.merged_into_id.is_(None))
        if only is not None:
            placed_q = placed_q.where(c.id.in_(list(only)))
        result.customers = int(conn.scalar(placed_q) or 0)
        result.unpriced = {str(cur): int(n) for cur, n in conn.execute(unpriced_currencies(tiers, as_of))}
        before = _owner_counts(conn)
        writer = None
        fh = None
        if csv_path is not None:
            fh = csv_path.open("w", newline="", encoding="utf-8")
            writer = csv.writer(fh)
            writer.writerow(CSV_HEADER)
        try:
            for m in _rows(conn):
                result.counts[m.action] += 1
                if m.action in MOVES:
                    result.flows[(m.served, m.placed)] += 1
                    kept = m.kept_until.isoformat() if m.kept_until else ""
                    digest.update(f"{m.customer_id}|{m.action}|{m.served}|{m.placed}|{kept}\n".encode())
                    if m.action != DOWN_KEPT:
                        owner = m.owner or "—"
                        delta[(owner, m.served)] -= 1
                        delta[(owner, m.placed)] += 1
                    entry = (m.value, m.customer_id, m)
                    if len(heap) < top:
                        heapq.heappush(heap, entry)
                    elif entry[:2] > heap[0][:2]:
                        heapq.heapreplace(heap, entry)
                elif m.action == UNPLACEABLE and len(result.unplaceable) < top:
                    result.unplaceable.append(m)
                if writer is not None:
                    writer.writerow(
                        [
                            m.customer_id,
                            m.name,
                            m.owner or "",
                            m.served,
                            m.placed,
                            m.action,
                            m.kept_until or "",
                            m.lifetime_value,
                            m.arr,
                            m.revenue_12m,
                            m.why(tiers),
                        ]
                    )
        finally:
            if fh is not None:
                fh.close()
        result.csv_path = csv_path
        result.digest = digest.hexdigest()
        result.top = [e[2] for e in sorted(heap, key=lambda e: e[:2], reverse=True)]
        result.owners = _owner_impact(policies, before, delta)
        if apply:
            _apply(conn, policies, result, actor, only)
        PLACED.drop(conn)
        REVENUE.drop(conn)
    result.seconds = time.perf_counter() - started
    return result


def _apply(conn: Connection, policies: Policies, result: Review, actor: str, only: Sequence[int] | None) -> None:
    """The set-based moves (see the module doc), the run, its tier_moves and its audit event: one transaction."""
    now = utcnow()
    run_id = int(
        conn.execute(
            insert(RUNS).returning(RUNS.c.id),
            {
                "kind": result.kind,
                "as_of": result.as_of,
                "applied": True,
                "actor": actor,
                "policy_version": policies.version,
                "customers": result.customers,
                "counts": dict(result.counts),
                "digest": result.digest,
                "started_at": now,
            },
        ).scalar_one()
    )
    result.run_id = run_id
    s = PLACED.c
    moved = s.action.in_(MOVES + (END_PROMISE,))
    kept_until = case((s.action == DOWN_KEPT, s.renewal_date), else_=None)
    conn.execute(
        insert(MOVES_TABLE).from_select(
            [
                "run_id",
                "customer_id",
                "action",
                "from_tier",
                "to_tier",
                "kept_until",
                "lifetime_value",
                "arr",
                "revenue_12m",
            ],
            select(
                literal(run_id),
                s.customer_id,
                s.action,
                s.served,
                s.placed,
                kept_until,
                s.lifetime_value,
                s.arr,
                s.revenue_12m,
            ).where(moved),
        )
    )
    now_moves = select(s.customer_id).where(s.action.in_((UP, DOWN, SET)))
    customers = CUSTOMERS
    conn.execute(
        update(customers)
        .where(customers.c.id.in_(now_moves))
        .values(
            tier=select(s.placed).where(s.customer_id == customers.c.id).scalar_subquery(),
            updated_at=now,
        )
    )
    promises = PROMISES
    # a promise ends when its customer moves now, or when placement is back at the served tier
    conn.execute(delete(promises).where(promises.c.customer_id.in_(select(s.customer_id).where(moved))))
    conn.execute(
        insert(promises).from_select(
            ["customer_id", "kind", "tier", "placed_tier", "until", "run_id", "created_at"],
            select(
                s.customer_id,
                literal(REVIEW),
                s.served,
                s.placed,
                s.renewal_date,
                literal(run_id),
                literal(now, type_=UTCDateTime()),
            ).where(s.action == DOWN_KEPT),
        )
    )
    untiered = UNTIERED
    if only is None:
        conn.execute(delete(untiered))
    else:
        conn.execute(delete(untiered).where(untiered.c.customer_id.in_(list(only))))
    conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(finished_at=utcnow()))
    with Session(bind=conn) as session:
        audit.record(
            session,
            actor,
            "segment.applied",
            "segment_run",
            run_id,
            {
                "kind": result.kind,
                "as_of": result.as_of.isoformat(),
                "customers": result.customers,
                "counts": dict(result.counts),
                "flows": {f"{a}>{b}": n for (a, b), n in sorted(result.flows.items())},
                "moves_sha256": result.digest,
                "policy_version": policies.version,
            },
        )
    result.applied = True


__all__ = ["DOWN", "SET", "Move", "OwnerImpact", "Review", "review"]
