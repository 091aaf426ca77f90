"""A delivery worker killed with SIGKILL mid-run: the restarted worker neither drops nor duplicates."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

from bot.alerts.delivery import LEASE, deliver_due
from bot.alerts.models import SENT, AlertOutbox
from bot.policies import Policies
from bot.slack.notifier import SlackNotifier
from slackdouble import SlackDouble

from .test_delivery import all_channels, markers

CHILD = """
import sys, time
from bot.alerts.delivery import deliver_due
from bot.slack.app import make_client
from bot.slack.notifier import SlackNotifier
from bot.store.db import make_engine

class Slow(SlackNotifier):
    def send(self, message):
        ref = super().send(message)
        time.sleep(0.02)  # widen the window between the post and its record
        return ref

client = make_client("xoxb-test", sys.argv[2])
deliver_due(make_engine(sys.argv[1]), Slow(client), SlackNotifier(client))
"""


def test_kill_9_mid_delivery(
    small_book: Engine, double: SlackDouble, slack: tuple[SlackNotifier, SlackNotifier], policies: Policies
) -> None:
    url = small_book.url.render_as_string(hide_password=False)
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, double.api_url], cwd=root, env={**os.environ, "PYTHONPATH": str(root)}
    )
    deadline = time.monotonic() + 60
    while len(double.calls_for("chat.postMessage")) < 10 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    posted_before = len(double.calls_for("chat.postMessage"))
    assert posted_before >= 10

    notifier, lookup = slack
    report = deliver_due(
        small_book, notifier, lookup, lambda: dt.datetime.now(dt.UTC) + LEASE + dt.timedelta(seconds=1)
    )
    with small_book.connect() as conn:
        states = dict(conn.execute(select(AlertOutbox.state, func.count()).group_by(AlertOutbox.state)).all())
        total = conn.scalar(select(func.count()).select_from(AlertOutbox))
    assert set(states) == {SENT}
    seen = markers(double, all_channels(double, policies))
    assert len(seen) == total and set(seen.values()) == {1}, report
