"""Thread follow-ups on the local Slack double against a real `rapport serve`: does the second turn, which
does not name the customer, get answered for the customer the first turn named?

Each conversation: turn 1 mentions Rapport and names a customer; turn 2 is a reply in that thread without a
mention and without the name ("what about their open tickets?"). A follow-up counts as right when the
store linked it to the turn-1 customer and the reply shown to the asker (thread answer or private card)
names that customer.

    python benchmarks/thread_followups.py                      # 24 conversations, 2,000 demo customers
    python benchmarks/thread_followups.py --conversations 40 --home .bench/home

Then chains of short follow-ups (``CHAIN``): "Can I give <name> 12%?", "what about 20%?", "and 30%?"; the third
turn counts as right when its reply states the 30% discount's route for that customer (a follow-up of a
follow-up reads back through the thread, bot.ask.service.thread_context).

Prints the share right, the failures by kind, and turn-2 answer latency. ``start_stack`` is shared with
``benchmarks/handoff_clock.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.policies import load_policies  # noqa: E402
from slackdouble import SlackDouble, seed_demo_workspace  # noqa: E402

SECRET = "bench-secret-0123456789abcdef0123"
TOKEN = "xoxb-bench"
NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
CHANNEL = "C0SUPPORT"
ASKER = "U0SUPLEAD"
FIRST = [
    "what is the escalation path for {name}?",
    "who owns the {name} account?",
    "tell me about {name}",
    "what tier is {name} on?",
    "what's the first response target for {name}?",
    "when does {name} renew?",
]
FOLLOW = [
    "what about their open tickets?",
    "who is their account owner?",
    "and when is their renewal?",
    "are any of their tickets breaching SLA?",
    "what tier are they?",
    "what's their region?",
]

CHAIN = ["Can I give {name} a 12% discount?", "what about 20%?", "and 30%?"]
CHAINS = 8  # conversations of three turns, on the first customers picked


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


@dataclass
class Stack:
    double: SlackDouble
    home: Path
    proc: subprocess.Popen[bytes]

    @property
    def bot(self) -> str:
        return f"<@{self.double.bot_user_id}>"

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.home / "rapport.db", timeout=30)


@contextlib.contextmanager
def start_stack(home: Path | None, customers: int, scheduler: bool) -> Iterator[Stack]:
    """Demo data + index in ``home`` (built once), the Slack double, and `rapport serve` talking to it."""
    # absolute: the CLI runs with the home as its working directory, where a relative RAPPORT_HOME would nest
    home = (home or Path(tempfile.mkdtemp(prefix="rapport-bench-"))).resolve()
    home.mkdir(parents=True, exist_ok=True)
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
    for var in ("DATABASE_URL", "CHROMA_URL", "CHROMA_PATH", "SLACK_APP_TOKEN"):
        env.pop(var, None)
    cli = [sys.executable, "-m", "bot.cli"]
    if not (home / "rapport.db").exists():
        t = time.perf_counter()
        subprocess.run(
            [*cli, "demo-data", "--customers", str(customers), "--seed", "7", "--now", NOW.isoformat()],
            check=True,
            env=env,
            cwd=home,
            capture_output=True,
        )
        subprocess.run([*cli, "index"], check=True, env=env, cwd=home, capture_output=True)
        print(f"setup: {customers:,} customers + index in {time.perf_counter() - t:.0f}s")
    else:
        subprocess.run([*cli, "db", "upgrade"], check=True, env=env, cwd=home, capture_output=True)
    port = free_port()
    double = SlackDouble(SECRET, bot_url=f"http://127.0.0.1:{port}/slack/events", bot_token=TOKEN).start()
    policies = load_policies(REPO / "playbooks" / "policies")
    staff = [(s.id, s.name, s.tz) for s in policies.roles.staff]
    seed_demo_workspace(double, staff, [(c.id, c.name) for c in policies.channels.channels])
    env.update(SLACK_API_URL=double.api_url, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET)
    args = [*cli, "serve", "--port", str(port), "--host", "127.0.0.1", "--no-watch"]
    log = open(home / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        args if scheduler else [*args, "--no-scheduler"], env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve not ready: {(home / 'serve.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    if b'"index": true' in r.read():
                        break
            except OSError:
                pass
            time.sleep(0.3)
        yield Stack(double, home, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        double.stop()


def bot_replies(double: SlackDouble, thread_ts: str) -> list[dict[str, Any]]:
    """The final text+blocks of each bot message in the thread (after in-place updates), oldest first."""
    bot_ts = [m["ts"] for m in double.thread(CHANNEL, thread_ts) if m.get("bot_id") and m["ts"] != thread_ts]
    latest: dict[str, dict[str, Any]] = {}
    for c in double.calls_for("chat.update"):
        if c.params.get("channel") == CHANNEL and c.params.get("ts") in bot_ts:
            latest[str(c.params["ts"])] = {**c.params, "at": c.timestamp}
    return [latest[ts] for ts in bot_ts if ts in latest]


def private_to(double: SlackDouble, thread_ts: str) -> str:
    return json.dumps(
        [
            c.params
            for c in double.calls_for("chat.postEphemeral")
            if c.params.get("channel") == CHANNEL and c.params.get("thread_ts") == thread_ts
        ]
    )


def wait_replies(double: SlackDouble, thread_ts: str, n: int, timeout: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = bot_replies(double, thread_ts)
        if len(got) >= n:
            return got
        time.sleep(0.1)
    return bot_replies(double, thread_ts)


def pick_customers(stack: Stack, n: int) -> list[tuple[int, str]]:
    """Customers with a name no other live customer shares, so turn 1 has one right answer."""
    con = stack.db()
    rows = con.execute(
        "SELECT MIN(id), name FROM customers WHERE merged_into_id IS NULL GROUP BY name HAVING COUNT(*) = 1 "
        "ORDER BY MIN(id) LIMIT ?",
        (n * 3,),
    ).fetchall()
    con.close()
    step = max(1, len(rows) // n)
    return [(int(i), str(name)) for i, name in rows[::step][:n]]


def linked(stack: Stack, thread_ts: str) -> list[int | None]:
    con = stack.db()
    rows = con.execute(
        "SELECT customer_id FROM questions WHERE channel = ? AND thread_ts = ? ORDER BY id", (CHANNEL, thread_ts)
    ).fetchall()
    con.close()
    return [r[0] for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=24)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--home", type=Path, default=None, help="reuse a RAPPORT_HOME with data + index")
    args = ap.parse_args()
    if args.conversations < 20:
        ap.error("at least 20 conversations")

    with start_stack(args.home, args.customers, scheduler=False) as stack:
        double = stack.double
        customers = pick_customers(stack, args.conversations)
        right = ambiguous = 0
        failures: dict[str, list[str]] = {}
        latency: list[float] = []
        for i, (cid, name) in enumerate(customers):
            first = FIRST[i % len(FIRST)].format(name=name)
            follow = FOLLOW[(i // len(FIRST) + i) % len(FOLLOW)]
            d1 = double.send_message(ASKER, CHANNEL, f"{stack.bot} {first}")
            thread = str(d1.ts)
            if len(wait_replies(double, thread, 1)) < 1:
                failures.setdefault("turn 1 unanswered", []).append(first)
                continue
            t0 = time.time()
            double.send_message(ASKER, CHANNEL, follow, thread_ts=thread)
            replies = wait_replies(double, thread, 2)
            if len(replies) < 2:
                failures.setdefault("follow-up unanswered (silent)", []).append(f"{name}: {follow}")
                continue
            latency.append(replies[1]["at"] - t0)
            ids = linked(stack, thread)
            shown = json.dumps(replies[1].get("blocks")) + replies[1].get("text", "") + private_to(double, thread)
            if ids[:1] == [None] and "Which customer do you mean?" in json.dumps(replies[0].get("blocks")):
                # A near-duplicate record ("Acme GmbH" / "Acme, GmbH."): asking which one is the right answer.
                ambiguous += 1
                failures.setdefault("turn 1 ambiguous (Rapport asked which customer)", []).append(name)
            elif ids[:1] != [cid]:
                failures.setdefault("turn 1 linked another customer", []).append(f"{name} -> {ids[:1]}")
            elif len(ids) < 2 or ids[1] != cid:
                failures.setdefault("follow-up lost the customer", []).append(f"{name}: {follow} -> {ids[1:]}")
            elif name not in shown:
                failures.setdefault("follow-up linked but the reply does not show the customer", []).append(
                    f"{name}: {follow}"
                )
            else:
                right += 1
        n = len(customers)
        print(f"thread follow-ups answered with the right customer: {right}/{n} = {right / n:.0%}")
        if ambiguous:
            print(f"  of conversations whose first turn named one customer: {right}/{n - ambiguous}")
        for kind, items in failures.items():
            print(f"  {kind}: {len(items)}  e.g. {items[:3]}")
        if latency:
            print(
                f"follow-up -> answer posted: p50 {pct(latency, 50) * 1000:.0f} ms, "
                f"p95 {pct(latency, 95) * 1000:.0f} ms (n={len(latency)})"
            )
        chained, missed = 0, []
        for _, name in customers[:CHAINS]:
            d1 = double.send_message(ASKER, CHANNEL, f"{stack.bot} {CHAIN[0].format(name=name)}")
            thread = str(d1.ts)
            for n_turn, follow in enumerate(CHAIN[1:], 2):
                wait_replies(double, thread, n_turn - 1)
                double.send_message(ASKER, CHANNEL, follow, thread_ts=thread)
            replies = wait_replies(double, thread, len(CHAIN))
            shown = (json.dumps(replies[-1]) if len(replies) >= len(CHAIN) else "") + private_to(double, thread)
            if "30% discount" in shown and name in shown and ("needs approval" in shown or "auto-approved" in shown):
                chained += 1
            else:
                missed.append(f"{name}: {replies[-1].get('text', '')[:80] if replies else 'no reply'}")
        print(f"third turn of a chain of short follow-ups states the route: {chained}/{CHAINS}")
        if missed:
            print(f"  missed: {missed[:3]}")


if __name__ == "__main__":
    main()
