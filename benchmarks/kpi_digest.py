"""KPI digest at scale: time to compute the figures and to render charts, Block Kit and the HTML page.

Generates the demo book (default 100,000 customers, SQLite) into a throwaway directory, or reuses a database,
adds a week's worth of alerts (some acked, some escalated) and approval requests (auto-approved and chained),
then prints, best of ``--repeat`` runs each: every query group of ``bot.kpi.metrics``, the whole ``compute``,
the three charts, the Block Kit render, the HTML page; and the figures themselves.

    python benchmarks/kpi_digest.py                              # 100k customers, SQLite
    python benchmarks/kpi_digest.py --customers 20000
    python benchmarks/kpi_digest.py --database-url sqlite:///.bench/kpi100k.db # reuse (generated if empty)
    python benchmarks/kpi_digest.py --database-url postgresql+psycopg2://.../kpibench
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, insert, select  # noqa: E402

from bot.alerts.models import Alert  # noqa: E402
from bot.approvals.models import ApprovalRequest  # noqa: E402
from bot.demo.generator import DemoGenerator, load  # noqa: E402
from bot.kpi import format as f  # noqa: E402
from bot.kpi import metrics  # noqa: E402
from bot.kpi.charts import render_charts  # noqa: E402
from bot.kpi.digest import KpiDigest  # noqa: E402
from bot.kpi.html import render_html  # noqa: E402
from bot.policies import load_policies  # noqa: E402
from bot.slack.views import render  # noqa: E402
from bot.store.db import make_engine  # noqa: E402
from bot.store.migrate import upgrade  # noqa: E402
from bot.store.models import Customer, Ticket  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
RULES = ("inactivity", "usage-drop", "sla-breach", "renewal-risk", "payment-overdue")


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def add_week_of_activity(engine: Any, customers: int, rng: random.Random) -> tuple[int, int]:
    """Alerts and approval requests over the last 10 days, about 3% and 0.5% of customers."""
    tiers = dict(select_all(engine, select(Customer.id, Customer.tier)))
    alerts, requests = [], []
    for i in range(customers * 3 // 100):
        cid = rng.randint(1, customers)
        created = NOW - dt.timedelta(minutes=rng.randint(1, 10 * 1440))
        urgent = rng.random() < 0.2
        acked = created + dt.timedelta(minutes=rng.randint(2, 600)) if rng.random() < 0.7 else None
        alerts.append(
            {
                "rule": RULES[i % len(RULES)],
                "kind": RULES[i % len(RULES)].replace("-", "_"),
                "customer_id": cid,
                "tier": tiers.get(cid, "bronze"),
                "severity": "high" if urgent else "medium",
                "urgent": urgent,
                "state": "acked" if acked else "open",
                "open_key": None,
                "created_at": created,
                "last_seen_at": created,
                "acked_at": acked,
                "acked_by": "U0AMGOLD" if acked else None,
                "escalated_at": created + dt.timedelta(hours=1) if urgent and acked is None else None,
            }
        )
    for _ in range(customers // 200):
        cid = rng.randint(1, customers)
        created = NOW - dt.timedelta(minutes=rng.randint(1, 10 * 1440))
        auto = rng.random() < 0.55
        state = "auto_approved" if auto else rng.choice(["approved", "approved", "rejected", "pending"])
        decided = created if auto else (created + dt.timedelta(hours=rng.uniform(1, 72)))
        requests.append(
            {
                "request_type": "discount",
                "customer_id": cid,
                "customer_name": f"Customer {cid}",
                "tier": tiers.get(cid),
                "justification": "benchmark",
                "requester": "U0AMGOLD",
                "rule": "standard-discount" if auto else "manager-discount",
                "policy_version": "bench",
                "steps": [],
                "state": state,
                "created_at": created,
                "decided_at": None if state == "pending" else decided,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Alert), alerts)
        conn.execute(insert(ApprovalRequest), requests)
    return len(alerts), len(requests)


def select_all(engine: Any, stmt: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(stmt))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--database-url", default=None, help="reuse this database (generated into when empty)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="kpi-bench-")
    url = args.database_url or f"sqlite:///{tmp.name}/kpi.db"
    engine = make_engine(url)
    upgrade(engine)
    policies = load_policies(REPO / "playbooks" / "policies")
    with engine.connect() as conn:
        existing = conn.scalar(select(func.count()).select_from(Customer)) or 0
    if existing:
        print(f"database: {existing:,} customers already present ({engine.dialect.name})")
        n = existing
    else:
        owners = [s.id for s in policies.roles.staff if "account_manager" in s.roles]
        t0 = time.perf_counter()
        stats = load(engine, DemoGenerator(args.customers, seed=42, now=NOW, owners=owners))
        n_alerts, n_requests = add_week_of_activity(engine, args.customers, random.Random(42))
        print(
            f"generated {args.customers:,} customers, {stats.total_rows:,} rows, {n_alerts:,} alerts, "
            f"{n_requests:,} approval requests in {time.perf_counter() - t0:.1f} s ({engine.dialect.name})"
        )
        n = args.customers
    with engine.connect() as conn:
        tickets = conn.scalar(select(func.count()).select_from(Ticket)) or 0
    print(f"book: {n:,} customers, {tickets:,} tickets\n")

    since, until = metrics.window(NOW, 7)
    tiers = policies.tier_names
    groups = {
        "service by tier (tickets x customers, FCR)": lambda: metrics.service_by_tier(engine, since, until, tiers),
        "alerts by tier": lambda: metrics.alerts_by_tier(engine, since, until, tiers),
        "approval pathways": lambda: metrics.approval_pathways(engine, since, until),
    }
    for name, fn in groups.items():
        secs, _ = best(fn, args.repeat)
        print(f"  {name:<44} {secs * 1000:8.1f} ms")
    compute_s, k = best(lambda: metrics.compute(engine, since, until, tiers), args.repeat)
    print(f"  {'compute (all figures)':<44} {compute_s * 1000:8.1f} ms")
    cold_s, _ = best(lambda: render_charts(k), 1)  # matplotlib's import (+ font cache once per machine)
    print(f"  {'charts (3 PNGs, first draw in the process)':<44} {cold_s * 1000:8.1f} ms")
    charts_s, charts = best(lambda: render_charts(k), args.repeat)
    print(f"  {'charts (3 PNGs, warm)':<44} {charts_s * 1000:8.1f} ms   ({sum(len(c.png) for c in charts):,} bytes)")
    blocks_s, blocks = best(lambda: render(KpiDigest("Weekly KPI digest", k)), args.repeat)
    print(f"  {'Block Kit render':<44} {blocks_s * 1000:8.1f} ms   ({len(blocks)} blocks)")
    html_s, page = best(lambda: render_html(k, charts), args.repeat)
    print(f"  {'HTML page':<44} {html_s * 1000:8.1f} ms   ({len(page):,} bytes)")
    print(f"  {'total: compute + charts + blocks + HTML':<44} {(compute_s + charts_s + blocks_s + html_s):8.2f} s\n")

    print(f"KPIs {f.period(k)}")
    for label, value in f.headline(k):
        print(f"  {label:<26} {value}")
    print("\n" + f.text_table(f.SERVICE_HEADER, f.service_rows(k)))
    print("\n" + f.text_table(f.ALERT_HEADER, f.alert_rows(k)))
    print("\n" + f.text_table(f.PATHWAY_HEADER, f.pathway_rows(k)))
    engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
