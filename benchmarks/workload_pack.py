"""The weekly digest's new parts on a demo book: owner workload, the kpis-per-tier.md pack (SLA met in business
time per closed ticket, FCR, cost to serve % of ARR, this week and the one before), relationship outcomes.

    DATABASE_URL=sqlite:///.bench/demo5k.db .venv/bin/rapport db upgrade
    DATABASE_URL=sqlite:///.bench/demo5k.db .venv/bin/rapport demo-data --customers 5000
    .venv/bin/python benchmarks/workload_pack.py --database-url sqlite:///.bench/demo5k.db

Prints the seconds of each part (best of ``--repeat``), the rows they covered and the load average (the machine
is shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.customers.outcomes import outcomes
from bot.kpi.pack import pack
from bot.kpi.workload import owner_workload
from bot.policies import load_policies
from bot.store.db import make_engine
from bot.store.models import Customer, Ticket

REPO = Path(__file__).resolve().parents[1]


def best(repeat: int, fn: object) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    engine = make_engine(args.database_url)
    policies = load_policies(REPO / "playbooks" / "policies")
    with engine.connect() as conn:
        until = conn.scalar(select(func.max(Ticket.resolved_at))) or dt.datetime.now(dt.UTC)
        customers = conn.scalar(select(func.count()).select_from(Customer)) or 0
    since = until - dt.timedelta(days=7)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 shared cores)")
    print(
        f"book: {customers:,} customers ({engine.dialect.name}); week {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M}"
    )
    s, w = best(args.repeat, lambda: owner_workload(engine, policies, since, until))
    print(f"owner workload: {s:.2f} s, {len(w.owners)} owners, {len(w.flagged)} flagged")  # type: ignore[attr-defined]
    s, p = best(args.repeat, lambda: pack(engine, policies, since, until))
    closed = sum(t.closed for t in p.tiers) + sum(t.closed for t in p.previous)  # type: ignore[attr-defined]
    print(f"kpis-per-tier pack (two weeks): {s:.2f} s, {closed:,} closed tickets timed against their SLA")
    s, o = best(args.repeat, lambda: outcomes(engine, policies, since - dt.timedelta(days=358), until))
    decided = sum(r.decided for r in o.by_tier)  # type: ignore[attr-defined]
    print(f"relationship outcomes (a year): {s:.2f} s, {decided:,} renewal decisions")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
