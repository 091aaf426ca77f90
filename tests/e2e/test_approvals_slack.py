"""Approvals through `rapport serve`: slash command in, governance message out, clicks decided once."""

from __future__ import annotations

import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.policies import load_policies
from slackdouble import SlackDouble

from .conftest import REPO, Sandbox

CHANNEL = "C0SUPPORT"


def db(sandbox: Sandbox, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(sandbox.home / "rapport.db")
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def wait_row(sandbox: Sandbox, sql: str, *args: Any, timeout: float = 30) -> tuple[Any, ...]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = db(sandbox, sql, *args)
        if rows:
            return rows[0]
        time.sleep(0.2)
    raise TimeoutError(sql)


def test_request_routed_refusals_and_one_decision(
    mode_double: SlackDouble, mode_sandbox: Sandbox, request: pytest.FixtureRequest
) -> None:
    double, sandbox = mode_double, mode_sandbox  # over HTTP and over Socket Mode
    mode = request.node.callspec.params["mode_sandbox"]
    cid, name, tier = db(
        sandbox, "SELECT id, name, tier FROM customers WHERE tier = 'gold' AND merged_into_id IS NULL LIMIT 1"
    )[0]
    # The Socket Mode sandbox starts from a copy of the HTTP sandbox's data, which may already hold the HTTP
    # run's request: this run's request is the one after the newest there is now, and its text is its own
    # (the same text within 10 minutes is answered as the first request: a replayed command, issue 16).
    (before,) = db(sandbox, "SELECT COALESCE(MAX(id), 0) FROM approval_requests")[0]
    r = double.send_slash_command(
        "U0AMGOLD",
        CHANNEL,
        "/rapport",
        f"approve discount {name} 18% $40,000: competitor offer ({mode}), renewal at risk",
    )
    assert r.status == 200
    rid, state, approvers, ch, ts = wait_row(
        sandbox,
        "SELECT id, state, approvers, message_channel, message_ts FROM approval_requests "
        "WHERE requester = 'U0AMGOLD' AND message_ts IS NOT NULL AND id > ? ORDER BY id DESC LIMIT 1",
        before,
    )
    assert state == "pending"
    policies = load_policies(REPO / "playbooks" / "policies")
    eligible = sorted(policies.members(approvers) - {"U0AMGOLD"})
    assert eligible, approvers
    post = [c for c in double.calls_for("chat.postMessage") if c.params.get("channel") == ch]
    buttons = [e for b in post[-1].params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    approve = next(b for b in buttons if b["action_id"] == "approval_approve")

    # The requester cannot approve their own request; an outsider cannot either. Nothing changes.
    for outsider in ("U0AMGOLD", "U0LOGDSP"):
        double.click_button(outsider, ch, ts, "approval_approve", approve["value"])
    deadline = time.monotonic() + 30  # the refusals are sent after the ack: wait for them, not a fixed time
    while True:
        refusals = [
            c for c in double.calls_for("chat.postEphemeral") if c.params.get("user") in ("U0AMGOLD", "U0LOGDSP")
        ]
        if len(refusals) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(refusals) == 2
    assert db(sandbox, "SELECT state FROM approval_requests WHERE id = ?", rid)[0][0] == "pending"
    assert not db(sandbox, "SELECT 1 FROM approval_votes WHERE request_id = ?", rid)

    # An eligible approver double-clicks (and a colleague clicks at the same moment): one vote is recorded.
    clickers = [eligible[0], eligible[0], eligible[-1]]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda u: double.click_button(u, ch, ts, "approval_approve", approve["value"]), clickers))
    wait_row(sandbox, "SELECT 1 FROM approval_votes WHERE request_id = ?", rid)
    time.sleep(2)
    votes = db(sandbox, "SELECT approver, step FROM approval_votes WHERE request_id = ?", rid)
    steps = {s for _, s in votes}
    assert len(votes) == len(steps), f"one vote per step, got {votes}"
    updates = [c for c in double.calls_for("chat.update") if c.params.get("ts") == ts]
    assert updates, "the governance message is updated in place"
    state, step = db(sandbox, "SELECT state, step FROM approval_requests WHERE id = ?", rid)[0]
    if state == "approved":  # single-step chain: decided, buttons gone
        assert "approval_approve" not in json.dumps(updates[-1].params)
    else:  # multi-step chain: moved on to the next step exactly once
        assert (state, step) == ("pending", 1)
