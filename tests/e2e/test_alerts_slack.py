"""Alert buttons through `rapport serve`: an urgent alert delivered to the double, clicked as Slack would.

The alert is evaluated and delivered by the library (as the scheduler in `serve` does); the clicks go from the
double to the bot as signed `block_actions`, and the bot must check the clicker on the server, record the
ack once, and update every copy of the message in place.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from slack_sdk import WebClient

from bot.alerts.delivery import deliver_due
from bot.alerts.evaluate import evaluate
from bot.policies import load_policies
from bot.slack import ids
from bot.slack.notifier import SlackNotifier
from bot.store.db import make_engine
from slackdouble import SlackDouble

from .conftest import NOW, REPO, TOKEN, Sandbox
from .test_approvals_slack import db, wait_row


def test_urgent_alert_ack_is_checked_recorded_once_and_updated_in_place(double: SlackDouble, sandbox: Sandbox) -> None:
    policies = load_policies(REPO / "playbooks" / "policies")
    engine = make_engine(f"sqlite:///{sandbox.home / 'rapport.db'}")
    try:
        evaluate(engine, policies, NOW, rules=["sla-breach"])
        client = WebClient(token=TOKEN, base_url=double.api_url)
        deliver_due(engine, SlackNotifier(client), SlackNotifier(client), clock=lambda: NOW)
    finally:
        engine.dispose()
    alert_id, channel, ts = wait_row(
        sandbox,
        "SELECT a.id, o.sent_channel, o.sent_ts FROM alerts a JOIN alert_outbox o ON o.alert_id = a.id "
        "WHERE a.rule = 'sla-breach' AND a.urgent AND a.acked_by IS NULL AND o.state = 'sent' "
        "AND o.kind = 'alert' AND o.sent_channel LIKE 'C%' ORDER BY a.id LIMIT 1",
    )
    staff = sorted(s.id for s in policies.roles.staff)

    # Someone in the workspace but not on the roster cannot ack: refused, nothing recorded.
    if "U0NOTSTAFF" not in double.workspace.users:
        double.add_user("U0NOTSTAFF", "visitor")
    double.click_button("U0NOTSTAFF", channel, ts, ids.ALERT_ACK, value=str(alert_id))
    time.sleep(1.5)
    assert db(sandbox, "SELECT acked_by FROM alerts WHERE id = ?", alert_id)[0][0] is None

    # Two staff click at the same moment, one of them twice: exactly one ack, one audit event.
    clickers = [staff[0], staff[0], staff[1]]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda u: double.click_button(u, channel, ts, ids.ALERT_ACK, value=str(alert_id)), clickers))
    (acked_by,) = wait_row(sandbox, "SELECT acked_by FROM alerts WHERE id = ? AND acked_by IS NOT NULL", alert_id)
    assert acked_by in staff[:2]
    time.sleep(1.5)
    sql = "SELECT COUNT(*) FROM audit_events WHERE action = 'alerts.acknowledged' AND subject_id = ?"
    events = db(sandbox, sql, str(alert_id))
    assert events[0][0] == 1

    # The delivered message now says who acknowledged it and no longer offers Ack.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        updates = [c for c in double.calls_for("chat.update") if c.params.get("ts") == ts]
        if updates and "Acknowledged by" in json.dumps(updates[-1].params):
            break
        time.sleep(0.2)
    assert updates, "the alert message is updated in place"
    last = json.dumps(updates[-1].params)
    assert "Acknowledged by" in last and ids.ALERT_ACK not in last
