"""Findings 6 and 7 of issue 16 (the approvals parts), replayed against `rapport serve` over HTTP:
one person cannot decide two steps of a request, and a replayed signed slash command does not make a
second request."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from slackdouble import SlackDouble

from .conftest import Server, wait_for


def db(server: Server, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(server.home / "rapport.db")
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def _customer(server: Server, region: str, offset: int = 0) -> str:
    (name,) = db(
        server,
        "SELECT name FROM customers c WHERE region = ? AND merged_into_id IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM customers d WHERE d.id <> c.id AND lower(d.name) = lower(c.name)) ORDER BY id LIMIT 1 OFFSET ?",
        region,
        offset,
    )[0]
    return str(name)


def _told(double: SlackDouble, user: str, *channels: str) -> list[str]:
    """What ``user`` was shown privately (ephemeral messages, response_url replies, DMs) in ``channels``."""
    texts = []
    for ch in (*channels, double.im_channel(user)):
        for m in double.messages(ch, include_ephemeral=True):
            if m.get("ephemeral_for") in (user, None) and (m.get("ephemeral_for") or ch == double.im_channel(user)):
                texts.append(json.dumps([m.get("text"), m.get("blocks")]))
    return texts


def test_one_person_cannot_approve_two_steps_and_the_card_says_who_decided(server: Server, double: SlackDouble) -> None:
    name = _customer(server, "emea")
    text = f'approve terms "{name}" $250,000 risk=medium terms="EU-only processing": DPO requires it before renewal'
    # the server is shared: another test may have filed a request as this user already, so wait for a new one
    (before,) = db(server, "SELECT COALESCE(MAX(id), 0) FROM approval_requests")[0]
    assert double.send_slash_command("U0AMGOLD", "C0SUPPORT", "/rapport", text).status == 200
    rid, rule = wait_for(
        lambda: db(
            server,
            "SELECT id, rule FROM approval_requests WHERE requester = 'U0AMGOLD' AND id > ? ORDER BY id DESC",
            before,
        )[:1]
    )[0]
    assert rule == "emea-data-terms"  # Deal desk -> Legal -> Privacy office; Legal and Privacy share members

    def card(step: int) -> tuple[str, str]:
        return wait_for(
            lambda: db(
                server,
                "SELECT message_channel, message_ts FROM approval_requests WHERE id = ? AND step = ? "
                "AND message_ts IS NOT NULL",
                rid,
                step,
            )
        )[0]

    def votes() -> list[tuple[Any, ...]]:
        return db(server, "SELECT step, approver FROM approval_votes WHERE request_id = ? ORDER BY id", rid)

    for step, user in ((0, "U0DEALDSK"), (1, "U0LEGAL")):
        ch, ts = card(step)
        assert double.click_button(user, ch, ts, "approval_approve", f"{rid}:{step}").status == 200
        wait_for(lambda n=step: len(votes()) == n + 1)

    ch, ts = card(2)
    posted = [c for c in double.calls_for("chat.postMessage") if c.params.get("channel") == ch and "blocks" in c.params]
    assert "Earlier steps decided by <@U0DEALDSK>, <@U0LEGAL>" in json.dumps(posted[-1].params["blocks"])

    assert double.click_button("U0LEGAL", ch, ts, "approval_approve", f"{rid}:2").status == 200
    refusal = wait_for(lambda: [t for t in _told(double, "U0LEGAL", ch) if "separation of duties" in t])
    assert f"#{rid}" in refusal[0]
    assert db(server, "SELECT state, step FROM approval_requests WHERE id = ?", rid)[0] == ("pending", 2)
    assert votes() == [(0, "U0DEALDSK"), (1, "U0LEGAL")]

    assert double.click_button("U0PRIVACY", ch, ts, "approval_approve", f"{rid}:2").status == 200
    wait_for(lambda: db(server, "SELECT 1 FROM approval_requests WHERE id = ? AND state = 'approved'", rid))
    assert [a for _, a in votes()] == ["U0DEALDSK", "U0LEGAL", "U0PRIVACY"]


def test_a_replayed_signed_slash_command_does_not_make_a_second_request(server: Server, double: SlackDouble) -> None:
    name = _customer(server, "na", offset=1)
    text = f'approve discount "{name}" 12% $40,000: competitor offered 12% off, renewal at risk'
    (before,) = db(server, "SELECT COALESCE(MAX(id), 0) FROM approval_requests")[0]
    first = double.send_slash_command("U0AMEMEA", "C0SUPPORT", "/rapport", text)
    assert first.status == 200
    mine = "SELECT id FROM approval_requests WHERE requester = 'U0AMEMEA' AND id > ?"
    ids = wait_for(lambda: db(server, mine, before))
    ts, sig = first.headers["X-Slack-Request-Timestamp"], first.headers["X-Slack-Signature"]

    # An attacker (or a proxy retry) sends the very same signed bytes again, within Slack's 5-minute window.
    replay = double.deliver(first.request_body, first.content_type, timestamp=int(ts), signature=sig)
    assert replay.status == 200
    told = wait_for(lambda: [t for t in _told(double, "U0AMEMEA", "C0SUPPORT") if "already sent" in t], timeout=10)
    assert f"#{ids[0][0]}" in told[0]
    assert db(server, mine, before) == ids
    governance = [c for c in double.calls_for("chat.postMessage") if f"request #{ids[0][0]}" in c.params["text"]]
    assert len(governance) == 1
