"""Alert evaluation at scale: every rule compiled to SQL vs a hand-written single query for the same rule.

Generates the book with `rapport demo-data` into a throwaway RAPPORT_HOME (or reuses one), then prints,
for each rule, the compiled rule's time and the hand-written query's time side by side (same data, same
run, each the best of two; the data-driven kinds have no hand-written twin), the full evaluation of all
rules (dry run: match, dedupe, cap, evidence, priority, routing of every new alert as one run, rolled
back), and peak RSS above the baseline measured before evaluation.

    python benchmarks/alerts_eval.py                      # 1,000,000 customers, SQLite
    python benchmarks/alerts_eval.py --quick              # 100,000 customers
    python benchmarks/alerts_eval.py --home .bench/1m  # reuse a generated RAPPORT_HOME
    python benchmarks/alerts_eval.py --quick --database-url postgresql+psycopg2://.../bench   # PostgreSQL
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import bindparam, text  # noqa: E402

from bot.alerts.evaluate import evaluate  # noqa: E402
from bot.alerts.rules import EvalContext, compile_rule, customer_timezones  # noqa: E402
from bot.policies import AlertRule, load_policies  # noqa: E402
from bot.store.db import make_engine  # noqa: E402
from bot.store.models import UTCDateTime  # noqa: E402

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def segment_sql(rule: AlertRule) -> str:
    s = rule.segment
    parts = ["c.merged_into_id IS NULL"]
    if s.tiers:
        parts.append(f"c.tier IN ({_in(s.tiers)})")
    if s.regions:
        parts.append(f"c.region IN ({_in(s.regions)})")
    if s.min_lifetime_value is not None:
        parts.append(f"c.lifetime_value >= {s.min_lifetime_value}")
    if s.min_arr is not None:
        parts.append(f"c.arr >= {s.min_arr}")
    return " AND ".join(parts)


def hand_written(rule: AlertRule, now: dt.datetime) -> tuple[str, dict[str, Any]] | None:
    """What someone would write by hand for the rule: joins and GROUP BY rather than correlated lookups."""
    p: Any = rule.params
    seg = segment_sql(rule)
    today = now.date()
    if rule.kind == "inactivity":
        cut = now - dt.timedelta(days=p.days)
        sources = []
        if "orders" in p.signals:
            sources.append("SELECT customer_id FROM orders WHERE ordered_at >= :cut")
        if "usage" in p.signals:
            sources.append("SELECT customer_id FROM usage_events WHERE day >= :cutd AND quantity > 0")
        if "contact" in p.signals:
            sources += [
                "SELECT customer_id FROM notes WHERE created_at >= :cut",
                "SELECT customer_id FROM tickets WHERE opened_at >= :cut",
            ]
        sql = (
            f"SELECT c.id FROM customers c LEFT JOIN ({' UNION '.join(sources)}) act ON act.customer_id = c.id "
            f"WHERE {seg} AND act.customer_id IS NULL"
        )
        return sql, {"cut": cut, "cutd": cut.date()}
    if rule.kind == "complaint":
        sql = (
            f"SELECT DISTINCT t.customer_id FROM tickets t JOIN customers c ON c.id = t.customer_id "
            f"WHERE t.opened_at >= :since AND (t.category IN ({_in(p.categories)}) OR t.sentiment <= "
            f"{p.max_sentiment}) AND {seg}"
        )
        return sql, {"since": now - p.lookback}
    if rule.kind == "usage_drop":
        recent = today - dt.timedelta(days=p.window_days)
        base = recent - dt.timedelta(days=p.baseline_days)
        keep = (100 - p.percent) / 100
        b = "SUM(CASE WHEN u.day < :recent THEN u.quantity ELSE 0 END)"
        r = "SUM(CASE WHEN u.day >= :recent THEN u.quantity ELSE 0 END)"
        sql = (
            f"SELECT u.customer_id FROM usage_events u JOIN customers c ON c.id = u.customer_id "
            f"WHERE u.day >= :base AND {seg} GROUP BY u.customer_id "
            f"HAVING {b} > 0 AND {r} * {p.baseline_days}.0 < {keep} * {b} * {p.window_days}"
        )
        return sql, {"recent": recent, "base": base}
    if rule.kind == "renewal_at_risk":
        sql = (
            f"SELECT c.id FROM customers c WHERE {seg} AND c.renewal_date >= :today AND c.renewal_date <= :until "
            f"AND c.health_score <= {p.max_health}"
        )
        return sql, {"today": today, "until": today + dt.timedelta(days=p.days)}
    if rule.kind == "payment_overdue":
        sql = (
            f"SELECT o.customer_id FROM orders o JOIN customers c ON c.id = o.customer_id "
            f"WHERE o.paid_at IS NULL AND o.status <> 'refunded' AND o.due_at < :due AND {seg} "
            f"GROUP BY o.customer_id HAVING SUM(o.amount) >= {p.min_amount}"
        )
        return sql, {"due": now - dt.timedelta(days=p.days)}
    # SLA rules: business-hours cutoffs per customer time zone have no sensible hand-written form; the
    # data-driven kinds (events, usage_growth, health_drop) are new and measured on their own.
    return None


def best_of(n: int, fn: Any) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 customers")
    ap.add_argument("--home", type=Path, help="reuse this RAPPORT_HOME (generated already)")
    ap.add_argument("--database-url", help="PostgreSQL (or other) URL instead of SQLite under RAPPORT_HOME")
    ap.add_argument("--full-only", action="store_true", help="skip the rule-by-rule comparison")
    args = ap.parse_args()
    n = 100_000 if args.quick else args.customers
    home = args.home or Path(tempfile.mkdtemp(prefix="rapport-alerts-bench-"))
    env = {**os.environ, "RAPPORT_HOME": str(home), "PLAYBOOKS_DIR": str(REPO / "playbooks")}
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    url = args.database_url or f"sqlite:///{home / 'rapport.db'}"
    if args.home is None:
        rapport = [sys.executable, "-m", "bot.cli"]
        subprocess.run([*rapport, "db", "upgrade"], env=env, check=True, cwd=REPO)
        t0 = time.perf_counter()
        subprocess.run(
            [*rapport, "demo-data", "--customers", str(n), "--now", NOW.isoformat()], env=env, check=True, cwd=REPO
        )
        print(f"generated {n:,} customers in {time.perf_counter() - t0:.0f} s")
    policies = load_policies(REPO / "playbooks" / "policies")
    engine = make_engine(url)
    with engine.connect() as conn:
        counts = {
            t: conn.scalar(text(f"SELECT count(*) FROM {t}"))
            for t in ("customers", "tickets", "orders", "usage_events", "notes")
        }
        ctx = EvalContext(NOW, policies, customer_timezones(conn))
    print(f"backend {engine.dialect.name}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    baseline = rss_mb()

    print(f"\n{'rule':28} {'compiled s':>10} {'hand s':>8} {'ratio':>6} {'matches':>9} {'hand':>9}")
    with engine.connect() as conn:
        for rule in [] if args.full_only else policies.alerts.rules:
            q = compile_rule(rule, ctx)
            t_c, got = best_of(2, lambda q=q: len(conn.execute(q).fetchall()))
            hand = hand_written(rule, NOW)
            if hand is None:
                print(f"{rule.name:28} {t_c:10.2f} {'n/a':>8} {'':>6} {got:9,} {'':>9}")
                continue
            sql, params = hand
            stmt = text(sql).bindparams(
                *[
                    bindparam(k, v, type_=UTCDateTime()) if isinstance(v, dt.datetime) else bindparam(k, v)
                    for k, v in params.items()
                ]
            )
            t_h, want = best_of(2, lambda stmt=stmt: len(conn.execute(stmt).fetchall()))
            print(f"{rule.name:28} {t_c:10.2f} {t_h:8.2f} {t_c / t_h:6.2f} {got:9,} {want:9,}")

    print(f"load average before the full evaluation: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    t0, cpu0 = time.perf_counter(), time.process_time()
    report = evaluate(engine, policies, NOW, dry_run=True)
    total, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    created = sum(r.created for r in report.rules)
    capped = sum(r.capped for r in report.rules)
    print(
        f"\nfull evaluation of {len(report.rules)} rules (match, dedupe, cap, evidence, route; dry run): "
        f"{total:.1f} s, {created:,} alerts, {capped:,} capped; routing {report.routed:,} alerts took "
        f"{report.routing_seconds:.2f} s"
    )
    # SQLite runs in this process, single-threaded: its CPU time is what the evaluation costs on an idle core
    # (the wall time above includes waiting for a shared, busy machine). PostgreSQL works in its own process.
    print(f"  CPU time of this process: {cpu:.1f} s ({engine.dialect.name})")
    for r in sorted(report.rules, key=lambda r: -r.seconds)[:5]:
        print(f"  slowest: {r.rule:28} {r.seconds:6.2f} s ({r.matched:,} matched, {r.created:,} new)")
    for r in report.rules:
        if r.error:
            print(f"  ERROR {r.rule}: {r.error}")
    print(f"peak RSS {rss_mb():.0f} MB; {rss_mb() - baseline:.0f} MB above the {baseline:.0f} MB baseline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
