"""Approvals over Slack, end to end: `rapport serve` as a real process, signed button clicks from the local
Slack double, the governance message's `chat.update` recorded by the double.

Prints: click -> updated-message latency p50/p95/max over N requests (one Approve click each), and the
outcome of C concurrent clicks on one request (must be exactly one decision).

    python benchmarks/approvals_click.py                # 200 requests, 100 concurrent clicks
    python benchmarks/approvals_click.py --requests 50
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
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot.approvals.models import ApprovalRequest, ApprovalVote  # noqa: E402
from bot.approvals.requests import submit_request  # noqa: E402
from bot.approvals.validation import RequestDraft  # noqa: E402
from bot.policies import load_policies  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack import ids  # noqa: E402
from bot.slack.notifier import SlackNotifier  # noqa: E402
from bot.store.db import make_engine, make_session_factory, session_scope  # noqa: E402
from bot.store.migrate import upgrade  # noqa: E402
from bot.store.models import AuditEvent, Customer  # noqa: E402
from slackdouble import SlackDouble, seed_demo_workspace  # noqa: E402

SECRET = "bench-secret-0123456789abcdef0123"
TOKEN = "xoxb-bench"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrent", type=int, default=100)
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="rapport-approvals-bench-"))
    db_url = f"sqlite:///{home / 'rapport.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as s:
        s.add(Customer(name="Northwave Foods Inc", tier="gold", region="na", lifetime_value=Decimal(0), arr=Decimal(0)))

    port = free_port()
    double = SlackDouble(SECRET, bot_url=f"http://127.0.0.1:{port}/slack/events", bot_token=TOKEN).start()
    policies = load_policies(REPO / "playbooks" / "policies")
    seed_demo_workspace(
        double,
        [(s.id, s.name, s.tz) for s in policies.roles.staff],
        [(c.id, c.name) for c in policies.channels.channels],
    )
    env = {
        **os.environ,
        "RAPPORT_HOME": str(home),
        "DATABASE_URL": db_url,
        "PLAYBOOKS_DIR": str(REPO / "playbooks"),
        "CI": "true",
        "LOG_LEVEL": "WARNING",
        "SLACK_API_URL": double.api_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--no-watch",
            "--no-scheduler",
        ],
        env=env,
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    services = Services(
        settings=Settings(),
        engine=engine,
        sessions=sessions,
        policies=policies,
        notifier=SlackNotifier(WebClient(token=TOKEN, base_url=double.api_url)),
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise SystemExit("rapport serve did not come up")

        def new_request(i: int) -> tuple[int, str, str]:
            # each justification differs: identical requests within 10 minutes are one (a duplicate)
            sub = submit_request(
                services,
                RequestDraft(
                    request_type="discount",
                    customer="Northwave Foods Inc",
                    requester="U0AMGOLD",
                    amount="$40,000",
                    percent="12%",
                    justification=f"Competitor offered 12% off; renewal {i} at risk.",
                ),
            )
            with session_scope(sessions) as s:
                req = s.get(ApprovalRequest, sub.request_id)
                assert req is not None and req.message_channel and req.message_ts
                return req.id, req.message_channel, req.message_ts

        lat: list[float] = []
        for i in range(args.requests + 5):  # 5 warm-up clicks not counted
            rid, channel, ts = new_request(i)
            t0 = time.time()
            double.click_button("U0SALESMGR", channel, ts, ids.APPROVAL_APPROVE, value=f"{rid}:0")

            def same_message(params: dict[str, object], ts: str = ts) -> bool:
                return params.get("ts") == ts

            (call,) = double.wait_for("chat.update", timeout=10, where=same_message)[-1:]
            if i >= 5:
                lat.append((call.timestamp - t0) * 1000)
        print(
            f"click -> updated message ({len(lat)} clicks, serve + SQLite + Slack double): "
            f"p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms, max {max(lat):.1f} ms"
        )

        rid, channel, ts = new_request(-1)
        decided_q = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "approval.decided")
        with session_scope(sessions) as s:
            before = s.scalar(decided_q) or 0
        users = ["U0SALESMGR", "U0CSLEAD"]
        barrier = threading.Barrier(args.concurrent)

        def click(i: int) -> None:
            barrier.wait()
            double.click_button(users[i % 2], channel, ts, ids.APPROVAL_APPROVE, value=f"{rid}:0")

        t0 = time.perf_counter()
        threads = [threading.Thread(target=click, args=(i,)) for i in range(args.concurrent)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        deadline = time.monotonic() + 60
        refused = 0
        while time.monotonic() < deadline:
            refused = len([c for c in double.calls_for("chat.postEphemeral") if f"#{rid} " in str(c.params)])
            if refused >= args.concurrent - 1:
                break
            time.sleep(0.1)
        secs = time.perf_counter() - t0
        with session_scope(sessions) as s:
            req = s.get(ApprovalRequest, rid)
            votes = s.scalar(select(func.count()).select_from(ApprovalVote).where(ApprovalVote.request_id == rid))
            decided = (s.scalar(decided_q) or 0) - before
        assert req is not None
        print(
            f"{args.concurrent} concurrent clicks on one request: state {req.state}, {votes} vote row(s), "
            f"{decided} decision event(s), {refused} ephemeral refusals, all handled in {secs:.1f} s"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        double.stop()


if __name__ == "__main__":
    main()
