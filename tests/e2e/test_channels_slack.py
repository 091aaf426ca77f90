"""Customer channels through `rapport serve` and the Slack double, as Slack Connect behaves.

A channel shared with the customer's organisation is linked by an admin's slash command; the customer's
messages start clocks; a staff mention is answered privately (the channel is shared); 🎫 makes a ticket told
privately; "Customer context" answers through the response_url; a breach reaches the owner and the escalation
channel through the alert outbox, and the staff reply resolves it; a newly shared channel is proposed to the
admins, and their click links it. Rapport posts nothing visible in any shared channel, and calls nothing the
manifest does not grant (the `double` fixture checks).
"""

from __future__ import annotations

import json
import time
from typing import Any

from slackdouble import SlackDouble

from .conftest import Sandbox
from .test_approvals_slack import db, wait_row

EXT = "C0E2ECONNECT"
NEW_EXT = "C0E2ENEWEXT"


def visible_bot_posts(double: SlackDouble, channel: str) -> list[dict[str, Any]]:
    return [
        m for m in double.messages(channel, include_ephemeral=True) if m.get("bot_id") and not m.get("ephemeral_for")
    ]


def ephemerals_for(double: SlackDouble, channel: str, user: str) -> list[dict[str, Any]]:
    return [m for m in double.messages(channel, include_ephemeral=True) if m.get("ephemeral_for") == user]


def responses(double: SlackDouble) -> list[dict[str, Any]]:
    """What the bot posted to interactions' response_urls (only their user sees those)."""
    return [c.params for c in double.calls_for("response_url")]


def wait_until(check: Any, timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise TimeoutError(what or "condition")


def platinum(sandbox: Sandbox, offset: int = 0) -> tuple[int, str, str, str, str]:
    row = db(
        sandbox,
        "SELECT c.id, c.name, c.owner_slack_id, i.value, (SELECT value FROM customer_identifiers d "
        " WHERE d.customer_id = c.id AND d.kind = 'domain' LIMIT 1) FROM customers c "
        "JOIN customer_identifiers i ON i.customer_id = c.id AND i.kind = 'external_id' AND i.value LIKE 'crm-%' "
        "WHERE c.tier = 'platinum' AND c.merged_into_id IS NULL AND c.owner_slack_id IS NOT NULL "
        "ORDER BY c.id LIMIT 1 OFFSET ?",
        offset,
    )[0]
    return int(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4])


def shared_channel(double: SlackDouble, channel: str, team: str, member: str, domain: str) -> None:
    if team not in double.workspace.teams:
        double.add_team(team, f"Customer {team}")
    if member not in double.workspace.users:
        double.add_user(member, f"pat.{member.lower()}", team_id=team, email=f"pat@{domain}")
    if channel not in double.workspace.channels:
        double.add_channel(channel, f"ext-{channel.lower()}")
    double.share_channel(channel, team, [member], deliver=False)


def test_a_customer_channel_end_to_end(double: SlackDouble, sandbox: Sandbox) -> None:
    cid, name, owner, crm, domain = platinum(sandbox)
    shared_channel(double, EXT, "T0E2ECUST", "W0E2ECUST", domain)

    # An admin links the channel (the answer is private, through the command's response_url)
    d = double.send_slash_command("U0CSLEAD", EXT, "/rapport", f"channel link {crm}")
    assert d.status == 200
    wait_row(sandbox, "SELECT id FROM channel_links WHERE channel_id = ? AND customer_id = ?", EXT, cid)
    linked = wait_until(lambda: [r for r in responses(double) if "Linked to" in json.dumps(r)])
    assert name.split()[0] in json.dumps(linked[-1])

    # The customer asks: a P1 conversation (platinum: 15 min) starts from the message's own time. Sent as if
    # delivered 16 minutes late, so the clock has already run out when the bot sees it.
    late = f"{time.time() - 16 * 60:.6f}"
    asked = double.send_message("W0E2ECUST", EXT, "Our production API is down, all calls fail!", ts=late)
    assert asked.ok
    conv_id, priority = wait_row(
        sandbox, "SELECT id, priority FROM conversations WHERE channel_id = ? AND started_ts = ?", EXT, late
    )
    assert priority == "P1"

    # A staff member asks Rapport in the shared channel: answered privately, with the reason
    q = double.send_message(
        "U0SUPAGT1", EXT, f"<@{double.bot_user_id}> What is the first response target for a platinum P1?"
    )
    assert q.ok
    private = wait_until(lambda: ephemerals_for(double, EXT, "U0SUPAGT1"), what="a private answer")
    wait_until(
        lambda: any("shared with people outside" in m.get("text", "") for m in ephemerals_for(double, EXT, "U0SUPAGT1"))
    )
    assert private

    # 🎫 by staff on the customer's message: a ticket, told privately
    double.react("U0SUPAGT1", EXT, asked.ts or "", "ticket")
    wait_row(sandbox, "SELECT ticket_id FROM channel_tickets WHERE channel_id = ? AND message_ts = ?", EXT, asked.ts)
    wait_until(lambda: any("Ticket" in m.get("text", "") for m in ephemerals_for(double, EXT, "U0SUPAGT1")))

    # "Customer context" on the message: only to the staff member, through the shortcut's response_url
    double.clear_calls()
    double.message_shortcut("U0AMPLAT", EXT, asked.ts or "", "customer_context")
    ctx = wait_until(lambda: [r for r in responses(double) if "Customer context" in json.dumps(r)])
    assert ctx[-1].get("response_type") == "ephemeral"

    # The sweep (every 30 s in serve) breaches it; the outbox (every 15 s) tells the owner and #platinum-escalations
    alert_id, state = wait_row(
        sandbox, "SELECT alert_id, state FROM conversations WHERE id = ? AND alert_id IS NOT NULL", conv_id, timeout=90
    )
    sent = "SELECT recipient FROM alert_outbox WHERE alert_id = ? AND state = 'sent'"
    rows = wait_until(lambda: (found := db(sandbox, sent, alert_id)) and len(found) >= 2 and found, what="delivered")
    assert sorted(r[0] for r in rows) == sorted([owner, "C0PLATESC"])

    # The staff reply in the thread stops the clock and resolves the alert
    double.send_message("U0SUPAGT1", EXT, "We're on it, incident bridge is open", thread_ts=asked.ts)
    wait_row(sandbox, "SELECT id FROM conversations WHERE id = ? AND state = 'answered'", conv_id)
    wait_row(sandbox, "SELECT id FROM alerts WHERE id = ? AND state = 'resolved'", alert_id)

    assert visible_bot_posts(double, EXT) == []  # nothing Rapport said was visible to the customer


def test_a_newly_shared_channel_is_proposed_and_linked_by_an_admins_click(
    double: SlackDouble, sandbox: Sandbox
) -> None:
    cid, name, _owner, _crm, domain = platinum(sandbox, offset=1)
    double.add_team("T0E2ENEW", "Customer Two")
    double.add_user("W0E2ENEW", "sam.two", team_id="T0E2ENEW", email=f"sam@{domain}")
    double.add_channel(NEW_EXT, "ext-new-customer")
    double.share_channel(NEW_EXT, "T0E2ENEW", ["W0E2ENEW"])  # channel_shared delivered
    (pid,) = wait_row(
        sandbox, "SELECT id FROM channel_proposals WHERE channel_id = ? AND customer_id = ?", NEW_EXT, cid
    )
    dm = double.im_channel("U0CSLEAD")
    proposal = wait_until(
        lambda: [m for m in double.messages(dm) if "channel_link_accept" in json.dumps(m.get("blocks") or [])],
        what="the proposal DM",
    )[-1]
    double.click_button("U0CSLEAD", dm, proposal["ts"], "channel_link_accept", value=json.dumps({"p": pid}))
    wait_row(sandbox, "SELECT id FROM channel_links WHERE channel_id = ? AND source = 'proposal'", NEW_EXT)
    wait_until(
        lambda: [c for c in double.calls_for("chat.update") if c.params.get("ts") == proposal["ts"]],
        what="the proposal updated in place",
    )
    double.send_message("W0E2ENEW", NEW_EXT, "Hello, can you help us with the SSO setup?")
    wait_row(sandbox, "SELECT id FROM conversations WHERE channel_id = ?", NEW_EXT)
    assert visible_bot_posts(double, NEW_EXT) == []
