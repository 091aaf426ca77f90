"""CSV ingest throughput and incremental re-sync of 1% changed rows.

    .venv/bin/python benchmarks/connectors_csv.py --rows 200000 [--url postgresql+psycopg2://.../postgres]
        [--repeat 3] [--reader auto|process|inline]

Writes an orders CSV of ``--rows`` rows for 1,000 customers, runs a full sync (rows/s), rewrites
1% of the rows with a newer ``updated_at`` and runs an incremental sync (seconds).

Besides wall-clock rows/s it prints rows per CPU-second of this process (parsing, validation and
the client side of the writes; PostgreSQL's own work is not in it; a child reader process's
neither) and the load average: on a shared machine the wall figure moves with everyone else's
load, the CPU figure much less. With ``--reader auto`` a file this size is read in a child
process when a core is spare right now (``service._worth_a_reader_process``, ``busy_cores``);
``process``/``inline`` force one way, to compare them.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

CUSTOMERS = 1000


def write_orders(path: Path, rows: int, changed: set[int] | None = None) -> None:
    rng = random.Random(1)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Invoice,Account,Amount,Currency,Status,Ordered,Updated\n")
        for i in range(rows):
            bump = changed is not None and i in changed
            fh.write(
                f"INV{i:08d},A{rng.randrange(CUSTOMERS):05d},{rng.randrange(100, 99999)}.{'50' if bump else '00'},"
                f"USD,paid,2024-0{1 + i % 9}-1{i % 10},{'2025-02-01' if bump else '2025-01-01'}T00:00:00Z\n"
            )


def run_once(admin_url: str | None, rows: int, reader: bool | None, tmp: Path) -> tuple[float, float]:
    """One full sync (then the 1% incremental) into a fresh database; returns (rows/s, rows per CPU-second)."""
    from bot.store.db import make_engine
    from bot.store.migrate import upgrade
    from bot.sync import service
    from bot.sync.config import SourceSpec

    scratch = None
    if admin_url:
        scratch = f"rapport_bench_{uuid.uuid4().hex[:8]}"
        with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text(f'CREATE DATABASE "{scratch}"'))
        url = admin_url.rsplit("/", 1)[0] + "/" + scratch
    else:
        url = f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        crm = tmp / "crm.csv"
        crm.write_text("id,name\n" + "".join(f"A{i:05d},Company {i}\n" for i in range(CUSTOMERS)))
        service.sync_source(
            engine,
            SourceSpec(
                name="crm", kind="csv", entity="customer", path=str(crm), mapping={"external_id": "id", "name": "name"}
            ),
            full=True,
        )
        orders = tmp / "orders.csv"
        write_orders(orders, rows)
        spec = SourceSpec(
            name="erp",
            kind="csv",
            entity="order",
            path=str(orders),
            customer_source="crm",
            cursor_field="updated_at",
            batch_size=10_000,
            mapping={
                "external_id": "Invoice",
                "customer_external_id": "Account",
                "amount": "Amount",
                "currency": "Currency",
                "status": "Status",
                "ordered_at": "Ordered",
                "updated_at": "Updated",
            },
        )
        cpu = time.process_time()
        full = service.sync_source(engine, spec, full=True, reader_process=reader)
        cpu = time.process_time() - cpu
        print(
            f"{engine.dialect.name}: full CSV sync of {full.rows_read:,} rows: {full.seconds:.1f} s "
            f"= {full.rows_per_second:,.0f} rows/s ({full.rows_loaded:,} loaded, {full.status}); "
            f"{full.rows_read / cpu:,.0f} rows per CPU-second of this process; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            flush=True,
        )
        changed = set(random.Random(2).sample(range(rows), rows // 100))
        write_orders(orders, rows, changed)
        inc = service.sync_source(engine, spec, reader_process=reader)
        print(
            f"{engine.dialect.name}: incremental sync, {len(changed):,} of {rows:,} rows changed: "
            f"{inc.seconds:.1f} s ({inc.rows_read:,} read, {inc.rows_loaded:,} updated, {inc.status})",
            flush=True,
        )
        return full.rows_per_second, full.rows_read / cpu
    finally:
        engine.dispose()
        if scratch and admin_url:
            with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--url", help="PostgreSQL admin URL (a scratch database is created); default SQLite")
    ap.add_argument("--repeat", type=int, default=1, help="full syncs to run (fresh database each); prints the median")
    ap.add_argument(
        "--reader",
        choices=["auto", "process", "inline"],
        default="auto",
        help="read the file in a child process, in this process, or as sync decides (by file size)",
    )
    args = ap.parse_args()
    reader = {"auto": None, "process": True, "inline": False}[args.reader]
    tmp = Path(tempfile.mkdtemp())
    try:
        runs = [run_once(args.url, args.rows, reader, tmp) for _ in range(args.repeat)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.repeat > 1:
        print(
            f"median of {args.repeat} (reader {args.reader}): {statistics.median(r for r, _ in runs):,.0f} rows/s, "
            f"{statistics.median(c for _, c in runs):,.0f} rows per CPU-second; "
            f"load average now {', '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min)"
        )


if __name__ == "__main__":
    main()
