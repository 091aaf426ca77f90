"""Identity resolution over the demo book: time, peak memory, precision/recall vs planted duplicates.

    .venv/bin/python benchmarks/identity_resolve.py --customers 200000 [--url postgresql+psycopg2://...]
    .venv/bin/python benchmarks/identity_resolve.py --database-url sqlite:///.bench/1m/rapport.db

``--database-url`` resolves an existing demo book in place (e.g. one written by
``rapport demo-data --customers 1000000``; the ``--customers`` scale takes ~25 minutes to generate).

``--customers N`` writes N primary records plus ~2% planted duplicates (each with identifiers,
contacts, tickets, ...) into a fresh database, then times ``merge.resolve``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
import uuid

from sqlalchemy import create_engine, text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--url", help="PostgreSQL admin URL (a scratch database is created); default SQLite")
    ap.add_argument("--database-url", help="an existing demo book to resolve in place (no data generated)")
    args = ap.parse_args()

    from bot.customers import merge
    from bot.customers.identity import measure
    from bot.demo.generator import DemoGenerator, load
    from bot.store.db import make_engine
    from bot.store.migrate import upgrade

    scratch = None
    if args.url:
        scratch = f"rapport_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{scratch}"'))
        url = args.url.rsplit("/", 1)[0] + "/" + scratch
    elif args.database_url:
        url = args.database_url
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    try:
        upgrade(engine)
        if args.database_url:
            with engine.connect() as conn:
                records = int(conn.scalar(text("SELECT count(*) FROM customers")) or 0)
        else:
            t = time.perf_counter()
            stats = load(
                engine, DemoGenerator(customers=args.customers, seed=1, now=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
            )
            records = stats.rows["customers"]
            took = time.perf_counter() - t
            print(f"demo data: {records:,} customer records ({stats.total_rows:,} rows) in {took:.1f} s")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        report = merge.resolve(engine, {"crm": 90, "billing": 80, "helpdesk": 40}.get)  # type: ignore[arg-type]
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with engine.connect() as conn:
            q = measure(conn)
        print(
            f"{engine.dialect.name}: resolved {records:,} records in {report.seconds:.1f} s: "
            f"{report.clusters:,} clusters, {report.merged_records:,} merged; "
            f"precision {q.precision:.4f} recall {q.recall:.4f} "
            f"({q.correct_pairs:,}/{q.predicted_pairs:,} predicted, {q.true_pairs:,} planted); "
            f"peak RSS {rss_before / 1024:.0f} MB before -> {rss_after / 1024:.0f} MB after"
        )
    finally:
        engine.dispose()
        if scratch and args.url:
            with create_engine(args.url, isolation_level="AUTOCOMMIT").connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
