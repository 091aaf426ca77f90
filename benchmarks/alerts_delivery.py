"""5,000 digest alerts delivered to the local Slack double: no duplicate, no loss, 429s honoured.

Plants N open alerts spread over channels (15 per channel, the digest cap, and one channel with 40 more, to
be summarised), builds the digests (one message per recipient), delivers them through the real Slack
notifier while the double answers some posts with 429 + Retry-After, and "kills" the worker once between a
successful post and its record (recovered by reconciliation). Then reads the channels back and checks every
alert appears in exactly one message, or is counted in its digest's summary.

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

from sqlalchemy import insert, select  # noqa: E402

from bot.alerts.delivery import LEASE, deliver_due  # noqa: E402
from bot.alerts.digest import SUMMARISED, build_digests  # noqa: E402
from bot.alerts.models import Alert, AlertNotification  # noqa: E402
from bot.demo.generator import DemoGenerator, load  # noqa: E402
from bot.notify import Outbound, SentRef  # noqa: E402
from bot.slack.app import make_client  # noqa: E402
from bot.slack.notifier import SlackNotifier  # noqa: E402
from bot.store.db import make_engine  # noqa: E402
from bot.store.migrate import upgrade  # noqa: E402
from slackdouble import SlackDouble  # noqa: E402


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

    def replace(self, placeholder: SentRef | None, message: Outbound) -> SentRef:
        return self.inner.replace(placeholder, message)

    def delete(self, ref: SentRef) -> None:
        self.inner.delete(ref)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alerts", type=int, default=5000)
    ap.add_argument("--rate-limit-every", type=int, default=50)
    args = ap.parse_args()
    now = dt.datetime.now(dt.UTC)
    engine = make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'rapport.db'}")
    upgrade(engine)
    load(engine, DemoGenerator(args.alerts, seed=5, now=now))
    cap = 15
    channels = [f"C0BENCH{i:05d}" for i in range(max(1, (args.alerts - 40) // cap))]

    def channel_of(index: int) -> str:
        return channels[min(index // cap, len(channels) - 1)]  # the last channel takes the overflow

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
                    "recipient": channel_of(index),
                    "purpose": "alert",
                    "round": 0,
                    "mode": "digest",
                    "reason": "digest",
                    "due_at": now,
                    "outbox_id": None,
                    "created_at": now,
                }
                for index, i in enumerate(ids)
            ],
        )

    with SlackDouble("bench-secret") as double:
        for channel in channels:
            double.add_channel(channel, channel.lower())
        client = make_client("xoxb-bench", double.api_url)
        notifier, lookup = SlackNotifier(client), SlackNotifier(client)
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
        for channel in channels:
            for msg in double.messages(channel):
                for block_id in re.findall(r"'block_id': 'alert-(\d+)'", str(msg.get("blocks"))):
                    seen[int(block_id)] += 1
    n = AlertNotification.__table__.c
    with engine.connect() as conn:
        summarised = set(conn.scalars(select(n.alert_id).where(n.mode == SUMMARISED)))
    missing = set(ids) - set(seen) - summarised
    dupes = [k for k, v in seen.items() if v > 1]
    rate_limited = (chaos.n // args.rate_limit_every) * 2
    print(
        f"{args.alerts:,} alerts for {len(channels)} channels -> {parts} digest messages built in {t_build:.2f} s "
        f"({len(summarised)} alerts summarised, not listed)"
    )
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
