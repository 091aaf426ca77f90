"""Faults on the replica cluster, each bounded and on loopback: Slack 429/500 bursts, a replica SIGKILLed
mid-digest and mid-approval, PostgreSQL restarted during a sync. Afterwards the database and the Slack
double's workspace are checked: no alert, answer or decision lost or duplicated."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cluster as C
import pytest
from sqlalchemy import text

from bot.slack import ids

pytestmark = pytest.mark.postgres
CHANNEL = "C0SUPPORT"
BOT = "<@U0RAPPORTBOT>"
PLACEHOLDER = "Looking into it…"


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def bot_replies(double: Any, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in double.thread(CHANNEL, thread_ts) if m.get("bot_id")]


def drain_outbox(cluster: C.Cluster, timeout: float = 90) -> None:
    wait_until(
        lambda: cluster.scalar("SELECT count(*) FROM alert_outbox WHERE state IN ('pending','sending')") == 0,
        timeout,
        "the outbox to drain",
    )


def assert_outbox_exactly_once(cluster: C.Cluster) -> None:
    states = dict(cluster.rows("SELECT state, count(*) FROM alert_outbox GROUP BY state"))
    assert set(states) == {"sent"}, states
    posted = cluster.outbox_messages()
    sent = {f"rapport-outbox-{i}" for (i,) in cluster.rows("SELECT id FROM alert_outbox")}
    assert sent <= set(posted), sorted(sent - set(posted))[:10]  # none lost
    assert max(posted.values()) == 1, {k: v for k, v in posted.items() if v > 1}  # none doubled


def lookup(cluster: C.Cluster) -> Any:
    from bot.slack.app import make_client
    from bot.slack.notifier import SlackNotifier

    return SlackNotifier(make_client(C.TOKEN, cluster.double.api_url))


def test_slack_429_and_500_bursts_lose_and_double_nothing(cluster: C.Cluster) -> None:
    double = cluster.double
    names = [r[0] for r in cluster.rows("SELECT name FROM customers WHERE merged_into_id IS NULL ORDER BY id LIMIT 4")]
    # Bursts within the Web API client's retry budget (bot.slack.app.make_client): every call still lands.
    # (The budget is shared by a call's retries: 3 in all, at most 2 of them for 5xx.)
    double.fail_next("chat.postMessage", status=429, retry_after=1, times=2, channel=CHANNEL)
    double.fail_next("chat.update", status=500, times=2, channel=CHANNEL)
    with ThreadPoolExecutor(3) as pool:
        sent = list(pool.map(lambda n: double.send_message("U0AMGOLD", CHANNEL, f"{BOT} tier of {n}?"), names))
    assert all(d.ok for d in sent), [d.status for d in sent]
    threads = [str(d.ts) for d in sent]

    def answered() -> bool:
        return all(any(m.get("text") != PLACEHOLDER for m in bot_replies(double, ts)) for ts in threads)

    wait_until(answered, 90, "an answer in every thread")
    time.sleep(2)
    for ts in threads:
        replies = bot_replies(double, ts)
        assert len(replies) == 1 and replies[0].get("text") != PLACEHOLDER, (ts, replies)
    assert cluster.scalar("SELECT count(*) FROM questions WHERE thread_ts = ANY(:t)", t=threads) == len(threads)

    # A burst beyond the client's budget reaches the outbox, which backs off and sends later, still once.
    drain_outbox(cluster)
    from bot.alerts.delivery import deliver_due
    from bot.alerts.digest import build_digests

    now = dt.datetime.now(dt.UTC)
    soon = now + dt.timedelta(days=1)
    # Half the recipients' digests here; the other half is kept for the kill test below.
    pending = "mode = 'digest' AND outbox_id IS NULL"
    recipients = [r for (r,) in cluster.rows(f"SELECT DISTINCT recipient FROM alert_notifications WHERE {pending}")]
    assert len(recipients) >= 2, recipients
    with cluster.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE alert_notifications SET due_at = :t WHERE {pending} AND NOT (recipient = ANY(:r))"),
            {"t": now + dt.timedelta(days=30), "r": sorted(recipients)[::2]},
        )
    built = build_digests(cluster.engine, soon)
    assert built > 0, "the demo data should have digest items"
    double.fail_next("chat.postMessage", status=429, retry_after=1, times=4)  # one send's whole budget
    report = deliver_due(cluster.engine, cluster.services().notifier, lookup(cluster), lambda: soon)
    assert report.retried >= 1 and report.failed == 0, report
    later = soon + dt.timedelta(hours=2)
    report = deliver_due(cluster.engine, cluster.services().notifier, lookup(cluster), lambda: later)
    assert report.failed == 0, report
    drain_outbox(cluster, 30)
    assert_outbox_exactly_once(cluster)


def test_replica_killed_mid_digest(cluster: C.Cluster) -> None:
    from bot.alerts.delivery import LEASE, deliver_due

    drain_outbox(cluster)
    now = dt.datetime.now(dt.UTC)
    # Make digest items due now (as at the recipients' morning) and let the replicas' jobs deliver them.
    pending = "mode = 'digest' AND outbox_id IS NULL"
    with cluster.engine.begin() as conn:
        conn.execute(text(f"UPDATE alert_notifications SET due_at = :t WHERE {pending}"), {"t": now})
        due = conn.execute(text(f"SELECT count(*) FROM alert_notifications WHERE {pending}")).scalar()
    assert due, "no digest items left to deliver"
    # The first post is rate-limited for a while: the deliverer sits inside the send, its row claimed.
    cluster.double.fail_next("chat.postMessage", status=429, retry_after=20, times=1)
    from bot.alerts.digest import build_digests

    assert build_digests(cluster.engine, now) > 0
    wait_until(lambda: cluster.scalar("SELECT count(*) FROM alert_outbox WHERE state = 'sending'"), 40, "a claim")
    holder = cluster.scalar("SELECT holder FROM leases WHERE name = 'job:alerts.deliver'")
    victim = cluster.replica_of(str(holder))
    cluster.kill(victim)
    stuck = cluster.rows("SELECT id FROM alert_outbox WHERE state = 'sending'")
    assert stuck, "the killed replica should have left a claimed row"

    # The survivors deliver the rest; the claimed row waits for its lease, then is reconciled, not re-sent blind.
    # (Wait until a survivor's own send has finished too: recovery run with a clock past the lease would take its
    # in-flight row for a dead replica's, which is not what this test is about.)
    def survivors_done() -> bool:
        pending = cluster.scalar("SELECT count(*) FROM alert_outbox WHERE state = 'pending'")
        sending = cluster.rows("SELECT id FROM alert_outbox WHERE state = 'sending'")
        return pending == 0 and sorted(sending) == sorted(stuck)

    wait_until(survivors_done, 90, "the survivors")
    after_lease = dt.datetime.now(dt.UTC) + LEASE + dt.timedelta(seconds=1)
    report = deliver_due(cluster.engine, cluster.services().notifier, lookup(cluster), lambda: after_lease)
    assert report.reconciled + report.requeued == len(stuck), report
    print(f"after the kill: {len(stuck)} claimed row(s) settled by recovery: {report}")
    drain_outbox(cluster, 30)
    assert_outbox_exactly_once(cluster)
    assert cluster.scalar(f"SELECT count(*) FROM alert_notifications WHERE {pending}") == 0
    ready = cluster.restart(victim)
    print(f"replica {victim} ready {ready:.1f} s after restart")


def test_replica_killed_mid_approval(cluster: C.Cluster) -> None:
    from bot.approvals.requests import submit_request
    from bot.approvals.validation import RequestDraft

    (name,) = cluster.rows(
        "SELECT name FROM customers c WHERE merged_into_id IS NULL AND tier = 'gold' AND NOT EXISTS "
        "(SELECT 1 FROM customers d WHERE d.id <> c.id AND lower(d.name) = lower(c.name)) ORDER BY id DESC LIMIT 1"
    )[0]
    draft = RequestDraft(
        request_type="discount",
        customer=name,
        requester="U0AMGOLD",
        amount="$40,000",
        percent="12%",
        justification="Competitor offered 12% off; renewal at risk.",
    )
    rid = submit_request(cluster.services(), draft).request_id
    channel, ts = cluster.rows("SELECT message_channel, message_ts FROM approval_requests WHERE id = :i", i=rid)[0]
    double, value = cluster.double, f"{rid}:0"
    # Updating the card is rate-limited: the deciding replica has committed and waits inside its Slack call.
    double.fail_next("chat.update", status=429, retry_after=20, times=1, channel=channel)
    before = dict(cluster.proxy.hits)
    assert double.click_button("U0SALESMGR", channel, ts, ids.APPROVAL_APPROVE, value=value).status == 200
    (victim_port,) = [p for p, n in cluster.proxy.hits.items() if n > before.get(p, 0)]
    victim = [r.port for r in cluster.replicas].index(victim_port)

    def updating() -> bool:
        return any(c.params.get("ts") == ts for c in double.calls_for("chat.update"))

    wait_until(updating, 30, "the deciding replica to reach Slack")  # its vote is committed by then
    cluster.kill(victim)
    assert cluster.scalar("SELECT count(*) FROM approval_votes WHERE request_id = :i", i=rid) == 1

    # Impatient approvers click again; the proxy sends the clicks to the survivors.
    clicks = 10
    barrier = threading.Barrier(clicks)

    def click(i: int) -> int:
        barrier.wait()
        who = ("U0SALESMGR", "U0CSLEAD")[i % 2]
        return int(double.click_button(who, channel, ts, ids.APPROVAL_APPROVE, value=value).status)

    with ThreadPoolExecutor(clicks) as pool:
        statuses = list(pool.map(click, range(clicks)))
    assert statuses == [200] * clicks

    def refused() -> int:
        return int(
            cluster.scalar(
                "SELECT count(*) FROM audit_events WHERE action = 'approval.refused' AND subject_id = :i", i=str(rid)
            )
            or 0
        )

    wait_until(lambda: refused() >= clicks, 30, "every late click to be refused")
    votes = cluster.rows("SELECT step, approver, decision FROM approval_votes WHERE request_id = :i", i=rid)
    assert votes == [(0, "U0SALESMGR", "approve")]
    decided = cluster.scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'approval.decided' AND subject_id = :i", i=str(rid)
    )
    state = cluster.scalar("SELECT state FROM approval_requests WHERE id = :i", i=rid)
    assert (state, decided, refused()) == ("approved", 1, clicks)
    ready = cluster.restart(victim)
    print(f"replica {victim} ready {ready:.1f} s after restart")


@pytest.fixture
def throwaway_pg() -> Any:
    bindir = C.pg_bindir()
    if bindir is None:
        C.unavailable("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    assert bindir is not None
    pg = C.ThrowawayPostgres(bindir).start()
    try:
        yield pg
    finally:
        pg.stop()


def test_postgres_restart_during_sync(throwaway_pg: C.ThrowawayPostgres, tmp_path: Path) -> None:
    from bot.store.db import make_engine
    from bot.store.migrate import upgrade

    rows, batch = 60_000, 1000
    engine = make_engine(throwaway_pg.url)
    upgrade(engine)
    csv = tmp_path / "crm.csv"
    lines = ["Account ID,Account Name,Website,ARR,Last Modified"]
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for i in range(rows):
        stamp = (start + dt.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"A{i:06d},Company {i} Inc,https://www.company{i}.com,{1000 + i}.50,{stamp}")
    csv.write_text("\n".join(lines) + "\n")
    policies = tmp_path / "playbooks" / "policies"
    policies.mkdir(parents=True)
    (policies / "sources.yaml").write_text(
        "sources:\n"
        f"  - {{name: crm, kind: csv, entity: customer, path: '{csv}', cursor_field: updated_at, batch_size: {batch},\n"
        "     mapping: {external_id: Account ID, name: Account Name, domain: Website, arr: ARR,"
        " updated_at: Last Modified}}\n"
    )
    env = {**C.base_env(tmp_path, throwaway_pg.url, "", ""), "PLAYBOOKS_DIR": str(tmp_path / "playbooks")}
    for var in ("CHROMA_URL", "SLACK_API_URL"):
        env.pop(var)
    cmd = [sys.executable, "-m", "bot.cli", "sync", "--source", "crm"]

    def loaded() -> int:
        try:
            with engine.connect() as conn:
                return int(conn.execute(text("SELECT count(*) FROM sync_keys WHERE source = 'crm'")).scalar() or 0)
        except Exception:
            return -1

    first = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: loaded() >= 3 * batch, 60, "a few committed batches")
        throwaway_pg.restart()
        out = first.communicate(timeout=120)[0].decode()
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode != 0, out[-2000:]  # the cut is reported, not hidden
    partial = loaded()
    assert 0 < partial < rows, partial

    again = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, timeout=300)
    assert again.returncode == 0, again.stdout.decode()[-2000:] + again.stderr.decode()[-2000:]
    with engine.connect() as conn:
        keys, distinct_keys = conn.execute(
            text("SELECT count(*), count(DISTINCT external_id) FROM sync_keys WHERE source = 'crm'")
        ).one()
        customers = conn.execute(text("SELECT count(*) FROM customers")).scalar()
        runs = list(conn.execute(text("SELECT status FROM sync_runs WHERE source = 'crm' ORDER BY id")))
    engine.dispose()
    assert (keys, distinct_keys, customers) == (rows, rows, rows)  # nothing lost, nothing twice
    assert [r[0] for r in runs] == ["failed", "ok"], runs  # the cut run is recorded once PostgreSQL is back
