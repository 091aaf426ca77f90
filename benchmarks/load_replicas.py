"""Load on a replica cluster: three `rapport serve` processes on PostgreSQL + a `chroma run` server, behind a
round-robin proxy (tests/scale/cluster.py), driven by the Slack double with signed app_mention events at
rising rates. Every event is a question, so the replicas also answer everything they ack.

Prints per offered rate: achieved throughput; ack latency p50/p95/p99 as the sender sees it (through the
proxy), as the proxy times each replica's response, and as the replicas measure it (rapport_ack_seconds);
answer latency p50/p95 (event sent -> answer posted); then a replica's restart -> /readyz time after
kill -9. And the load average, since the machine is shared.
Targets (issue 8): >= 50 events/s with ack p99 < 150 ms; restart ready < 15 s.

    RAPPORT_TEST_PG_URL=postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres \\
        python benchmarks/load_replicas.py [--rates 10,25,50,75] [--seconds 10] [--customers 2000]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "scale")]

import cluster as C  # noqa: E402
from ask_slack import QUESTIONS, pct  # noqa: E402

from slackdouble import payloads as P  # noqa: E402

CHANNEL = "C0SUPPORT"
USERS = ["U0SUPAGT1", "U0SUPAGT2", "U0AMGOLD", "U0CSLEAD"]


def ack_histogram(cluster: C.Cluster) -> dict[float, float]:
    """Cumulative counts of rapport_ack_seconds (kind=event) summed over the replicas: le -> count."""
    total: dict[float, float] = {}
    pattern = re.compile(r'rapport_ack_seconds_bucket\{[^}]*kind="event"[^}]*le="([^"]+)"[^}]*\} (\S+)')
    for i, r in enumerate(cluster.replicas):
        if not r.alive():
            continue
        for le, count in pattern.findall(cluster.metrics(i)):
            key = float("inf") if le == "+Inf" else float(le)
            total[key] = total.get(key, 0.0) + float(count)
    return total


def hist_quantile(before: dict[float, float], after: dict[float, float], q: float) -> float:
    """Upper bucket bound holding the q-quantile of the observations between two scrapes."""
    diff = sorted((le, after.get(le, 0.0) - before.get(le, 0.0)) for le in after)
    n = diff[-1][1] if diff else 0.0
    for le, count in diff:
        if n and count >= q * n:
            return le
    return float("nan")


def run_rate(cluster: C.Cluster, rate: float, seconds: float, drain: float) -> None:
    double = cluster.double
    bot = f"<@{double.bot_user_id}>"
    sent: dict[str, float] = {}  # thread ts -> wall time sent
    acks: list[float] = []
    bad: list[int] = []
    lock = threading.Lock()
    hist0 = ack_histogram(cluster)
    upstream0 = len(cluster.proxy.upstream_seconds)

    def mention(i: int) -> None:
        text = f"{bot} {QUESTIONS[i % len(QUESTIONS)]}"
        user = USERS[i % len(USERS)]
        msg = double.post_user_message(user, CHANNEL, text)
        t0 = time.time()
        d = double.send_event(
            P.app_mention_event(user=user, channel=CHANNEL, text=text, ts=msg.ts, team_id=double.team_id)
        )
        with lock:
            sent[msg.ts] = t0
            acks.append(d.elapsed)
            if not 200 <= d.status < 300:
                bad.append(d.status)

    count = int(rate * seconds)
    start = time.perf_counter()
    with ThreadPoolExecutor(64) as pool:
        for i in range(count):
            pool.submit(mention, i)
            time.sleep(max(0.0, start + (i + 1) / rate - time.perf_counter()))
    sent_span = time.perf_counter() - start
    hist1 = ack_histogram(cluster)
    upstream = cluster.proxy.upstream_seconds[upstream0:]

    answered: dict[str, float] = {}
    deadline = time.monotonic() + drain
    while time.monotonic() < deadline:
        bot_msgs = {m["ts"]: m.get("thread_ts") for m in double.messages(CHANNEL) if m.get("bot_id")}
        for call in double.calls_for("chat.update"):
            thread = bot_msgs.get(call.params.get("ts"))
            if thread in sent and thread not in answered:
                answered[thread] = call.timestamp
        if len(answered) >= len(sent):
            break
        time.sleep(0.5)
    lat = [answered[t] - sent[t] for t in answered]
    ms = 1000
    print(
        f"offered {rate:>4.0f}/s: sent {len(sent)} in {sent_span:.1f}s ({len(sent) / sent_span:.1f} events/s acked, "
        f"{len(bad)} non-2xx) | ack via proxy p50 {pct(acks, 50) * ms:.0f} p95 {pct(acks, 95) * ms:.0f} "
        f"p99 {pct(acks, 99) * ms:.0f} ms | at the replica p50 {pct(upstream, 50) * ms:.0f} "
        f"p99 {pct(upstream, 99) * ms:.0f} ms "
        f"(rapport_ack_seconds p99 <= {hist_quantile(hist0, hist1, 0.99) * ms:.0f}) | "
        f"answered {len(answered)}/{len(sent)} within {drain:.0f}s, p50 {pct(lat, 50):.1f} s p95 {pct(lat, 95):.1f} s"
        f" | load avg {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    double.clear_calls()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="10,25,50,75")
    ap.add_argument("--seconds", type=float, default=10.0, help="duration of each rate step")
    ap.add_argument("--drain", type=float, default=60.0, help="max seconds to wait for a step's answers")
    ap.add_argument("--customers", type=int, default=2000)
    args = ap.parse_args()
    admin = C.pg_admin_url()
    if admin is None or C.chroma_binary() is None:
        sys.exit("needs RAPPORT_TEST_PG_URL (reachable PostgreSQL) and the chroma server binary")

    home = Path(tempfile.mkdtemp(prefix="rapport-load-"))
    name, db_url = C.create_database(admin)
    chroma: subprocess.Popen[bytes] | None = None
    cluster: C.Cluster | None = None
    try:
        t = time.perf_counter()
        chroma, chroma_url = C.start_chroma(home)
        cluster = C.build_cluster(home, db_url, chroma_url, replicas=3, customers=args.customers)
        cluster.env["LOG_LEVEL"] = "WARNING"
        for i in range(3):
            cluster.start(i)
        for i in range(3):
            cluster.wait_ready(i)
        print(f"setup: {args.customers} customers, index, 3 replicas ready in {time.perf_counter() - t:.0f}s")
        time.sleep(5)  # start-up jobs (alert evaluation, delivery) settle
        run_rate(cluster, 2, 3, 60)  # warm-up: first answers load lazy paths in every replica
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        for rate in (float(r) for r in args.rates.split(",")):
            run_rate(cluster, rate, args.seconds, args.drain)
        cluster.kill(0)
        t = time.perf_counter()
        cluster.start(0)
        ready = cluster.wait_ready(0, timeout=120)
        print(f"replica restart after kill -9 -> /readyz ok: {time.perf_counter() - t:.1f}s (ready wait {ready:.1f}s)")
    finally:
        if cluster is not None:
            C.shutdown(cluster)
        if chroma is not None:
            chroma.terminate()
            chroma.wait(10)
        C.drop_database(admin, name)


if __name__ == "__main__":
    main()
