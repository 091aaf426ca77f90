"""A 5,000-alert digest delivered to the local Slack double: no duplicate, no loss, 429s honoured.

Plants N open alerts for one recipient (a channel), builds the digest (parts of DIGEST_PART_SIZE alerts),
delivers it through the real Slack notifier while the double answers some posts with 429 + Retry-After,
and "kills" the worker once between a successful post and its record (recovered by reconciliation).
Then reads the channel back and checks every alert appears in exactly one message.

    python benchmarks/alerts_delivery.py              # 5,000 alerts
    python benchmarks/alerts_delivery.py --alerts 500 # quicker
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from bot.alerts.delivery import LEASE, deliver_due  # noqa: E402
from bot.alerts.digest import build_digests  # noqa: E402
from bot.alerts.models import Alert, AlertNotification  # noqa: E402
from bot.demo.generator import DemoGenerator, load  # noqa: E402
from bot.notify import Outbound, SentRef  # noqa: E402
from bot.slack.app import make_client  # noqa: E402
from bot.slack.listeners.alerts import SlackSentLookup  # noqa: E402
from bot.slack.notifier import SlackNotifier  # noqa: E402
from bot.store.db import make_engine  # noqa: E402
from bot.store.migrate import upgrade  # noqa: E402
from slackdouble import SlackDouble  # noqa: E402

CHANNEL = "C0ACCTALRT"


class Chaos:
    """Every `every`-th post meets two 429s first; post number `crash_at` dies after Slack accepted it."""

    def __init__(self, inner: SlackNotifier, double: SlackDouble, every: int, crash_at: int) -> None:
        self.inner, self.double, self.every, self.crash_at, self.n = inner, double, every, crash_at, 0

    def send(self, message: Outbound) -> SentRef:
        self.n += 1
        if self.n % self.every == 0:
            self.double.fail_next("chat.postMessage", status=429, retry_after=1, times=2)
        ref = self.inner.send(message)
        if self.n == self.crash_at:
            raise SystemExit("simulated kill -9 between post and record")
        return ref

    def update(self, ref: SentRef, message: Outbound) -> None:
        self.inner.update(ref, message)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alerts", type=int, default=5000)
    ap.add_argument("--rate-limit-every", type=int, default=50)
    args = ap.parse_args()
    now = dt.datetime.now(dt.UTC)
    engine = make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'rapport.db'}")
    upgrade(engine)
    load(engine, DemoGenerator(args.alerts, seed=5, now=now))
    with engine.begin() as conn:
        ids = (
            conn.execute(
                insert(Alert).returning(Alert.__table__.c.id, sort_by_parameter_order=True),
                [
                    {
                        "rule": "usage-drop",
                        "kind": "usage_drop",
                        "customer_id": cid,
                        "tier": "gold",
                        "severity": ("critical", "high", "medium", "low")[cid % 4],
                        "urgent": False,
                        "state": "open",
                        "open_key": f"usage-drop:{cid}",
                        "evidence": {"summary": "Usage down 60% against the trailing baseline"},
                        "created_at": now,
                        "last_seen_at": now,
                        "seen_count": 1,
                        "reminders": 0,
                    }
                    for cid in range(1, args.alerts + 1)
                ],
            )
            .scalars()
            .all()
        )
        conn.execute(
            insert(AlertNotification),
            [
                {
                    "alert_id": i,
                    "recipient": CHANNEL,
                    "purpose": "alert",
                    "round": 0,
                    "mode": "digest",
                    "reason": "digest",
                    "due_at": now,
                    "outbox_id": None,
                    "created_at": now,
                }
                for i in ids
            ],
        )

    with SlackDouble("bench-secret") as double:
        double.add_channel(CHANNEL, "account-alerts")
        client = make_client("xoxb-bench", double.api_url)
        notifier, lookup = SlackNotifier(client), SlackSentLookup(client)
        t0 = time.perf_counter()
        parts = build_digests(engine, now)
        t_build = time.perf_counter() - t0
        chaos = Chaos(notifier, double, args.rate_limit_every, crash_at=parts // 2)
        t0 = time.perf_counter()
        try:
            deliver_due(engine, chaos, lookup, limit=100_000)
        except SystemExit as exc:
            print(f"worker died: {exc}")
        shift = LEASE + dt.timedelta(seconds=1)  # restart after the dead worker's lease ran out
        report = deliver_due(engine, chaos, lookup, lambda: dt.datetime.now(dt.UTC) + shift, limit=100_000)
        t_send = time.perf_counter() - t0
        posts = double.calls_for("chat.postMessage")
        seen: Counter[int] = Counter()
        for msg in double.messages(CHANNEL):
            for block_id in re.findall(r"'block_id': 'alert-(\d+)'", str(msg.get("blocks"))):
                seen[int(block_id)] += 1
    missing = set(ids) - set(seen)
    dupes = [k for k, v in seen.items() if v > 1]
    rate_limited = (chaos.n // args.rate_limit_every) * 2
    print(f"{args.alerts:,} alerts -> {parts} digest messages built in {t_build:.2f} s")
    print(
        f"delivered in {t_send:.1f} s ({parts / t_send:.1f} msg/s) with {rate_limited} 429 responses honoured "
        f"and one simulated crash (reconciled {report.reconciled}, re-queued {report.requeued})"
    )
    print(
        f"chat.postMessage calls (incl. 429s): {len(posts)}; alerts seen {len(seen):,}; "
        f"missing {len(missing)}; duplicated {len(dupes)}"
    )
    return 0 if not missing and not dupes else 1


if __name__ == "__main__":
    raise SystemExit(main())
