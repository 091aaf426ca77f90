"""Three `rapport serve` replicas on PostgreSQL + a Chroma server, behind a round-robin proxy, share the work:
every event answered once (redeliveries land on other replicas), scheduled jobs run once (DB lease),
an approval decided once under concurrent clicks arriving at different replicas."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cluster as C
import pytest

from bot.slack import ids

pytestmark = pytest.mark.postgres
CHANNEL = "C0SUPPORT"
BOT = "<@U0RAPPORTBOT>"


def bot_messages(double: Any, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in double.thread(channel, thread_ts) if m.get("bot_id")]


def answer_updates(double: Any, channel: str, ts_set: set[str]) -> list[dict[str, Any]]:
    return [
        c.params
        for c in double.calls_for("chat.update")
        if c.params.get("channel") == channel and c.params.get("ts") in ts_set
    ]


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def ask_and_redeliver(double: Any, user: str, text: str) -> tuple[str, list[int]]:
    """A question, then two concurrent redeliveries of its app_mention: three deliveries of one event_id."""
    first = double.send_message(user, CHANNEL, text)
    mention = first.followups[0]
    with ThreadPoolExecutor(2) as pool:
        again = list(pool.map(lambda n: double.resend(mention, retry_num=n), (1, 2)))
    return str(first.ts), [first.status, mention.status, *(d.status for d in again)]


def test_every_event_answered_exactly_once_across_replicas(cluster: C.Cluster) -> None:
    double = cluster.double
    names = [r[0] for r in cluster.rows("SELECT name FROM customers WHERE merged_into_id IS NULL ORDER BY id LIMIT 9")]
    users = ["U0AMGOLD", "U0AMPLAT", "U0CSLEAD"]
    hits_before = dict(cluster.proxy.hits)
    with ThreadPoolExecutor(3) as pool:
        results = list(
            pool.map(
                lambda i: ask_and_redeliver(double, users[i % 3], f"{BOT} what is the SLA for {names[i]}?"), range(9)
            )
        )
    assert all(200 <= s < 300 for _, statuses in results for s in statuses), results
    threads = [ts for ts, _ in results]

    def all_answered() -> bool:
        return all(
            answer_updates(double, CHANNEL, {m["ts"] for m in bot_messages(double, CHANNEL, ts)}) for ts in threads
        )

    wait_until(all_answered, 90, "an answer in every thread")
    time.sleep(3)  # a duplicate would be posted by now: lazy listeners start within the ack
    for ts in threads:
        msgs = bot_messages(double, CHANNEL, ts)
        assert len(msgs) == 1, f"thread {ts}: {len(msgs)} bot messages"
        assert len(answer_updates(double, CHANNEL, {msgs[0]["ts"]})) == 1
    asked = cluster.scalar(
        "SELECT count(*) FROM questions WHERE channel = :c AND thread_ts = ANY(:t)", c=CHANNEL, t=threads
    )
    assert asked == len(threads)
    served = {p: n - hits_before.get(p, 0) for p, n in cluster.proxy.hits.items()}
    assert len([p for p, n in served.items() if n > 0]) == 3, served  # the work really was spread


def test_scheduled_jobs_run_once_per_interval(cluster: C.Cluster) -> None:
    from bot.alerts.jobs import EVALUATE_EVERY

    # Every replica's scheduler fires each job at start-up; the lease lets exactly one of them run it.
    wait_until(lambda: (cluster.scalar("SELECT count(*) FROM alert_runs") or 0) > 0, 60, "an alert evaluation")
    runs = cluster.rows("SELECT rule, started_at FROM alert_runs ORDER BY rule, started_at")
    by_rule: dict[str, list[Any]] = {}
    for rule, started in runs:
        by_rule.setdefault(rule, []).append(started)
    for rule, times in by_rule.items():
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
        assert all(g >= EVALUATE_EVERY * 0.8 for g in gaps), f"{rule} evaluated {len(times)} times: {gaps}"
    holders = cluster.rows("SELECT name, holder FROM leases WHERE name LIKE 'job:%'")
    assert holders and len({n for n, _ in holders}) == len(holders)

    # The outbox: each message delivered once even though three deliverers poll it.
    assert (cluster.scalar("SELECT count(*) FROM alerts") or 0) > 0, "the demo data should raise alerts"
    wait_until(
        lambda: cluster.scalar("SELECT count(*) FROM alert_outbox WHERE state IN ('pending','sending')") == 0,
        90,
        "the outbox to drain",
    )
    sent = cluster.rows("SELECT id FROM alert_outbox WHERE state = 'sent'")
    assert sent
    posted = cluster.outbox_messages()
    assert {f"rapport-outbox-{i}" for (i,) in sent} <= set(posted)
    assert max(posted.values()) == 1, {k: v for k, v in posted.items() if v > 1}


def test_approval_decided_once_under_concurrent_clicks_on_different_replicas(cluster: C.Cluster) -> None:
    from bot.approvals.requests import submit_request
    from bot.approvals.validation import RequestDraft

    (name,) = cluster.rows(
        "SELECT name FROM customers c WHERE merged_into_id IS NULL AND tier = 'gold' AND NOT EXISTS "
        "(SELECT 1 FROM customers d WHERE d.id <> c.id AND lower(d.name) = lower(c.name)) ORDER BY id LIMIT 1"
    )[0]
    sub = submit_request(
        cluster.services(),
        RequestDraft(
            request_type="discount",
            customer=name,
            requester="U0AMGOLD",
            amount="$40,000",
            percent="12%",
            justification="Competitor offered 12% off; renewal at risk.",
        ),
    )
    rid = sub.request_id
    channel, ts = cluster.rows("SELECT message_channel, message_ts FROM approval_requests WHERE id = :i", i=rid)[0]
    assert channel and ts
    clicks = 24
    barrier = threading.Barrier(clicks)
    approvers = ["U0SALESMGR", "U0CSLEAD"]

    def click(i: int) -> int:
        barrier.wait()
        return int(
            cluster.double.click_button(approvers[i % 2], channel, ts, ids.APPROVAL_APPROVE, value=f"{rid}:0").status
        )

    with ThreadPoolExecutor(clicks) as pool:
        statuses = list(pool.map(click, range(clicks)))
    assert all(s == 200 for s in statuses), statuses

    def settled() -> bool:
        return (cluster.scalar("SELECT count(*) FROM approval_votes WHERE request_id = :i", i=rid) or 0) >= 1

    wait_until(settled, 60, "the decision")
    time.sleep(3)  # late duplicates would land by now
    votes = cluster.rows("SELECT step, approver FROM approval_votes WHERE request_id = :i", i=rid)
    assert len(votes) == 1, votes
    decided = cluster.scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'approval.decided' AND subject_id = :i", i=str(rid)
    )
    state, step = cluster.rows("SELECT state, step FROM approval_requests WHERE id = :i", i=rid)[0]
    assert (state, decided) in (("approved", 1), ("pending", 0)) and (state == "approved" or step == 1)
