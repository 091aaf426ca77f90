"""``rapport segment`` (the placement review) on a large book: seconds, peak memory, and 0 differences against
a placement written by hand in SQL from tier-definitions.md on the same data.

    .venv/bin/python benchmarks/segment_placement.py --customers 1000000 [--db sqlite|URL] [--keep PATH]

Builds a migrated database (SQLite file, or a fresh PostgreSQL database on the server of ``--db URL``), writes
``--customers`` customers (lifetime value and ARR spread over every tier's thresholds, tiers stored as a source
gave them: some right, some stale, 1% ``Enterprise``) and one order per two customers in the last 18 months (USD
and EUR; 5% refunded), then times :func:`bot.segments.review.review` (proposed, not applied; the moves written to
a CSV as ``rapport segment --csv`` does) and compares every move with the hand-written query. Prints seconds,
customers/s, moves by action, the peak resident memory of this process and the load average. Targets (issue 19):
1M customers < 60 s on SQLite, < 30 s on PostgreSQL, flat memory, 0 differences.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, bindparam, insert, make_url, text

from bot.policies import Policies, load_policies
from bot.segments.review import review
from bot.store.db import make_engine
from bot.store.migrate import upgrade
from bot.store.models import Customer, Order, UTCDateTime

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 1, 15)
CHUNK = 20_000


def _engine(db: str, keep: Path | None) -> tuple[Engine, str | None]:
    if db == "sqlite":
        path = keep or Path(tempfile.mkdtemp(prefix="rapport-seg-")) / "bench.db"
        return make_engine(f"sqlite:///{path}"), None
    url = make_url(db)
    name = f"rapport_bench_seg_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_engine(url.set(database=name).render_as_string(hide_password=False)), name


def seed(engine: Engine, customers: int) -> None:
    rng = random.Random(19)
    now = dt.datetime.combine(AS_OF, dt.time(12), dt.UTC)
    tiers = ("platinum", "gold", "silver", "bronze")
    with engine.begin() as conn:
        for start in range(1, customers + 1, CHUNK):
            rows, orders = [], []
            for i in range(start, min(start + CHUNK, customers + 1)):
                ltv = rng.choice(
                    (0, rng.randrange(0, 60_000), rng.randrange(40_000, 300_000), rng.randrange(200_000, 3_000_000))
                )
                arr = rng.choice(
                    (0, rng.randrange(0, 20_000), rng.randrange(10_000, 100_000), rng.randrange(60_000, 400_000))
                )
                stored = "Enterprise" if i % 100 == 42 else rng.choice(tiers)
                rows.append(
                    {
                        "id": i,
                        "name": f"Company_{i}",
                        "tier": stored,
                        "region": "na",
                        "lifetime_value": Decimal(ltv),
                        "arr": Decimal(arr),
                        "owner_slack_id": rng.choice(("U0AMPLAT", "U0AMGOLD", "U0AMEMEA", "U0AMAPAC", None)),
                    }
                )
                if i % 2 == 0:
                    orders.append(
                        {
                            "id": i // 2,
                            "customer_id": i,
                            "external_id": f"O{i}",
                            "amount": Decimal(rng.randrange(1_000, 120_000)),
                            "currency": "EUR" if i % 10 == 4 else "USD",
                            "status": "refunded" if i % 20 == 6 else "paid",
                            "ordered_at": now - dt.timedelta(days=rng.randrange(0, 540)),
                        }
                    )
            conn.execute(insert(Customer), rows)
            conn.execute(insert(Order), orders)
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))  # fresh statistics, as a loaded book has
        conn.commit()


def hand_written(engine: Engine, policies: Policies) -> dict[int, str]:
    """Each golden customer with something to be placed by, and its tier, by a query written from the playbook
    (not the feature's query builder): highest tier whose LTV or ARR threshold it meets; ARR the greater of the
    record's and 12 months of unrefunded orders at tiers.yaml's rates."""
    tiers = sorted(policies.tiers.tiers, key=lambda t: t.rank)
    rates = {policies.tiers.currency: 1, **policies.tiers.exchange_rates}
    rate = " ".join(f"WHEN '{c}' THEN {r}" for c, r in rates.items())
    bigger = "GREATEST" if engine.dialect.name == "postgresql" else "MAX"
    whens = " ".join(
        f"WHEN c.lifetime_value >= {t.min_lifetime_value} OR {bigger}(c.arr, COALESCE(o.rev, 0)) >= {t.min_arr} "
        f"THEN '{t.name}'"
        for t in tiers[:-1]
    )
    until = dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time(), dt.UTC)
    since = until - dt.timedelta(days=365)
    # the 12 months' revenue per golden customer in a keyed temp table: SQLite would scan a grouped CTE once per
    # customer in the LEFT JOIN (quadratic at 1M)
    revenue = f"""
        INSERT INTO hand_rev (gid, rev)
        SELECT COALESCE(m.merged_into_id, m.id), SUM(orders.amount * CASE orders.currency {rate} END)
        FROM orders JOIN customers m ON m.id = orders.customer_id
        WHERE orders.ordered_at >= :since AND orders.ordered_at < :until
          AND orders.status <> 'refunded' AND orders.currency IN ({", ".join(f"'{c}'" for c in rates)})
        GROUP BY COALESCE(m.merged_into_id, m.id)
    """
    sql = f"""
        SELECT c.id, CASE {whens} ELSE '{tiers[-1].name}' END
        FROM customers c LEFT JOIN hand_rev o ON o.gid = c.id
        WHERE c.merged_into_id IS NULL AND (c.lifetime_value > 0 OR c.arr > 0 OR COALESCE(o.rev, 0) > 0)
    """
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE hand_rev (gid BIGINT PRIMARY KEY, rev NUMERIC)"))
        conn.execute(
            text(revenue).bindparams(
                bindparam("since", since, type_=UTCDateTime()), bindparam("until", until, type_=UTCDateTime())
            )
        )
        out = {int(i): str(t) for i, t in conn.execute(text(sql))}
        conn.execute(text("DROP TABLE hand_rev"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL (a fresh database is created)")
    ap.add_argument("--keep", type=Path, help="SQLite: build (or reuse) the book in this file")
    args = ap.parse_args()
    policies = load_policies(REPO / "playbooks" / "policies")
    engine, pg_db = _engine(args.db, args.keep)
    reuse = args.keep is not None and args.keep.exists() and args.keep.stat().st_size > 0
    if not reuse:
        upgrade(engine)
        t0 = time.perf_counter()
        seed(engine, args.customers)
        print(
            f"seeded {args.customers:,} customers and {args.customers // 2:,} orders "
            f"in {time.perf_counter() - t0:.1f} s"
        )
    out = Path(tempfile.mkdtemp(prefix="rapport-seg-csv-")) / "moves.csv"
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 shared cores)")
    cpu0 = time.process_time()
    result = review(engine, policies, AS_OF, csv_path=out)
    cpu = time.process_time() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"review ({engine.dialect.name}): {result.customers:,} customers in {result.seconds:.1f} s "
        f"({result.customers / result.seconds:,.0f}/s), process CPU {cpu:.1f} s, peak RSS {rss:.0f} MB"
    )
    print(f"actions: {dict(sorted(result.counts.items()))}")
    expected = hand_written(engine, policies)
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    moved = {int(r["customer_id"]): r["to_tier"] for r in rows if r["action"] in ("up", "down", "down_kept", "set")}
    unplaceable = {int(r["customer_id"]) for r in rows if r["action"] == "unplaceable"}
    with engine.connect() as conn:
        stored = {int(i): str(t) for i, t in conn.execute(text("SELECT id, tier FROM customers"))}
    hand_moves = {i: t for i, t in expected.items() if stored[i] != t}
    diff = set(moved.items()) ^ set(hand_moves.items())
    missing = set(stored) - set(expected) - unplaceable  # nothing to place by, yet not reported
    print(
        f"moves: review {len(moved):,}, hand-written SQL {len(hand_moves):,}; differences {len(diff)}; "
        f"unplaceable {len(unplaceable):,} (unreported {len(missing)})"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    engine.dispose()
    if pg_db:
        admin = make_engine(args.db)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE "{pg_db}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
