"""Ask over Slack, measured end to end: `rapport serve` as a real process, signed events from the local
Slack double, answers recorded by the double.

Prints: ack latency (p50/p95/p99) with 20 concurrent events; question-in -> answer-posted latency
(p50/p95) at a steady rate; sustained answered questions/s; serve peak RSS.

    python benchmarks/ask_slack.py                 # 100k customers (generation takes about a minute)
    python benchmarks/ask_slack.py --customers 10000 --questions 100   # quicker
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.policies import load_policies  # noqa: E402
from slackdouble import SlackDouble, seed_demo_workspace  # noqa: E402

SECRET = "bench-secret-0123456789abcdef0123"
TOKEN = "xoxb-bench"
QUESTIONS = [
    "What is the first response target for a gold P1?",
    "Who approves a 25% discount for a platinum customer?",
    "How do we handle a GDPR erasure request?",
    "What are the quiet hours for customer outreach?",
    "What goes into a handoff from sales to service?",
    "When should a renewal be flagged at risk?",
    "How do we document an exception to standard terms?",
    "What is the service recovery process after an SLA breach?",
]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--rate", type=float, default=20.0, help="questions per second offered")
    ap.add_argument("--home", type=Path, default=None, help="reuse a RAPPORT_HOME with data + index")
    args = ap.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="rapport-bench-"))
    env = {
        **os.environ,
        "RAPPORT_HOME": str(home),
        "PLAYBOOKS_DIR": str(REPO / "playbooks"),
        "CI": "true",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "LOG_LEVEL": "WARNING",
    }
    cli = [sys.executable, "-m", "bot.cli"]
    if not (home / "rapport.db").exists():
        t = time.perf_counter()
        subprocess.run([*cli, "demo-data", "--customers", str(args.customers)], check=True, env=env, cwd=home)
        subprocess.run([*cli, "index"], check=True, env=env, cwd=home, capture_output=True)
        print(f"setup: {args.customers:,} customers + index in {time.perf_counter() - t:.0f}s")

    port = free_port()
    double = SlackDouble(SECRET, bot_url=f"http://127.0.0.1:{port}/slack/events", bot_token=TOKEN).start()
    policies = load_policies(REPO / "playbooks" / "policies")
    seed_demo_workspace(
        double,
        [(s.id, s.name, s.tz) for s in policies.roles.staff],
        [(c.id, c.name) for c in policies.channels.channels],
    )
    env.update(SLACK_API_URL=double.api_url, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET)
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--host", "127.0.0.1", "--no-watch", "--no-scheduler"],
        env=env,
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    if b'"index": true' in r.read():
                        break
            except OSError:
                time.sleep(0.3)
        bot = f"<@{double.bot_user_id}>"
        # Warm-up: first question loads lazy paths.
        double.send_message("U0SUPLEAD", "C0SUPPORT", f"{bot} {QUESTIONS[0]}")
        double.wait_for("chat.update", timeout=60)

        # (1) ack latency with 20 concurrent events, 5 rounds.
        acks: list[float] = []
        for _ in range(5):
            with ThreadPoolExecutor(20) as pool:
                results = list(
                    pool.map(
                        lambda i: double.send_message(
                            "U0SUPAGT1", "C0SUPPORT", f"{bot} {QUESTIONS[i % len(QUESTIONS)]}"
                        ),
                        range(20),
                    )
                )
            acks += [f.elapsed for r in results for f in [r, *r.followups]]
            failed = [
                (f.status, f.body[:120], round(f.elapsed, 2))
                for r in results
                for f in [r, *r.followups]
                if not 200 <= f.status < 300
            ]
            if failed:
                print(f"  {len(failed)} deliveries not acknowledged with 2xx: {failed[:3]}")
            time.sleep(3)
        print(
            f"ack latency, 20 concurrent events x5: p50 {pct(acks, 50) * 1000:.1f} ms, "
            f"p95 {pct(acks, 95) * 1000:.1f} ms, p99 {pct(acks, 99) * 1000:.1f} ms (n={len(acks)})"
        )
        time.sleep(5)
        double.clear_calls()

        # (2)+(3) question-in -> answer-posted at a steady offered rate.
        sent: dict[str, float] = {}
        lock = threading.Lock()

        def ask(i: int) -> None:
            t0 = time.perf_counter()
            r = double.send_message("U0SUPAGT2", "C0SUPPORT", f"{bot} {QUESTIONS[i % len(QUESTIONS)]}")
            with lock:
                sent[r.ts or ""] = t0

        start = time.perf_counter()
        with ThreadPoolExecutor(32) as pool:
            for i in range(args.questions):
                pool.submit(ask, i)
                time.sleep(max(0.0, start + (i + 1) / args.rate - time.perf_counter()))
        done: dict[str, float] = {}
        deadline = time.monotonic() + 120
        while len(done) < len(sent) and time.monotonic() < deadline:
            for c in double.calls_for("chat.update"):
                msg_ts = c.params.get("ts")
                for thread_ts in sent:
                    if thread_ts not in done and any(m["ts"] == msg_ts for m in double.thread("C0SUPPORT", thread_ts)):
                        done[thread_ts] = c.timestamp
            time.sleep(0.5)
        offset = time.time() - time.perf_counter()  # send times are perf_counter, the double records wall time
        lat = [done[t] - (sent[t] + offset) for t in done]
        span = max(done.values()) - (min(sent.values()) + offset)
        print(
            f"question -> answer posted ({len(done)}/{len(sent)} answered, offered {args.rate:.0f}/s): "
            f"p50 {pct(lat, 50) * 1000:.0f} ms, p95 {pct(lat, 95) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms"
        )
        print(f"sustained throughput: {len(done) / span:.1f} answered questions/s over {span:.1f}s")
        print(f"serve peak RSS: {peak_rss_mb(proc.pid):.0f} MB")
    finally:
        proc.terminate()
        proc.wait(10)
        double.stop()


if __name__ == "__main__":
    main()
