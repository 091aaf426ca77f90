"""Other apps' messages, our own, edits, deletions, long threads and an erased customer, through `rapport serve`."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

from slackdouble import SlackDouble

from .conftest import Sandbox
from .conversation_helpers import bot_messages, outcome, quiet, visible

CHANNEL = "C0SUPPORT"
BOT_USER = "U0RAPPORTBOT"
BOT = f"<@{BOT_USER}>"


def a_customer(sandbox: Sandbox, tier: str, skip: int = 0) -> tuple[int, str]:
    con = sqlite3.connect(sandbox.home / "rapport.db")
    row = con.execute(
        "SELECT id, name FROM customers WHERE merged_into_id IS NULL AND tier = ? ORDER BY id LIMIT 1 OFFSET ?",
        (tier, skip),
    ).fetchone()
    con.close()
    assert row
    return int(row[0]), str(row[1])


def answered_count(double: SlackDouble, thread_ts: str) -> int:
    return len([c for c in double.calls_for("chat.postMessage") if c.params.get("thread_ts") == thread_ts])


def test_helpdesk_ticket_in_attachments_gives_the_thread_its_customer(double: SlackDouble, sandbox: Sandbox) -> None:
    _, name = a_customer(sandbox, "gold", skip=3)
    ticket = double.send_app_message(
        CHANNEL,
        "",  # integrations often post an empty text: the substance is in the attachment
        attachments=[
            {
                "fallback": "New ticket",
                "title": "#4521 Checkout failing for all users",
                "text": f"Customer: {name}\nReported by their ops lead at 09:12 UTC.",
                "fields": [{"title": "Priority", "value": "P1", "short": True}],
            }
        ],
    )
    assert ticket.status == 200 and ticket.ts
    assert quiet(double, CHANNEL, ticket.ts)  # another app's post is not a question to Rapport
    d = double.send_message("U0AMGOLD", CHANNEL, f"{BOT} what is the first response target for this?", ticket.ts)
    seen = outcome(double, CHANNEL, "U0AMGOLD", ticket.ts, after=d.ts or "0")
    # The customer came from the attachment: their tier's target (gold P1: 30m) or their card.
    shown = " ".join(visible(double, CHANNEL, "U0AMGOLD", ticket.ts))
    assert name.split()[0] in shown or "*Gold" in shown, seen[:500]
    reads = double.calls_for("conversations.replies")
    assert reads and all(int(c.params.get("limit") or 0) <= 50 for c in reads)


def test_ask_about_an_apps_message_reads_its_attachment(double: SlackDouble) -> None:
    crm = double.send_app_message(
        CHANNEL,
        "",
        bot_id="B0CRM",
        username="CRM",
        attachments=[
            {
                "fallback": "Renewal note",
                "title": "Renewal negotiation",
                "text": "The customer asks for a 25% discount on renewal. Who has to approve a discount that size?",
            }
        ],
    )
    assert crm.ts
    r = double.message_shortcut("U0SUPLEAD", CHANNEL, crm.ts, "ask_about_message")
    assert r.status == 200
    seen = outcome(double, CHANNEL, "U0SUPLEAD", crm.ts)
    # Only the attachment says 25%: the answer is the route for that discount, cited.
    assert "25% discount needs approval" in seen and "[1]" in seen


def test_monitoring_blocks_message_and_rapports_own_messages_are_never_answered(double: SlackDouble) -> None:
    alert = double.send_app_message(
        CHANNEL,
        "Latency alert",
        bot_id="B0MONITOR",
        username="Monitoring",
        blocks=[
            {"type": "header", "text": {"type": "plain_text", "text": "p99 latency above 2s"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{BOT} what is the escalation path for a P1?"}},
        ],
    )
    assert alert.status == 200 and alert.ts
    assert quiet(double, CHANNEL, alert.ts)
    # Rapport's own message, as Slack would echo it back (user = our bot user, bot_id = ours).
    own_ts = f"{time.time():.6f}"
    for kind in ("message", "app_mention"):
        r = double.send_event(
            {
                "type": kind,
                "user": BOT_USER,
                "bot_id": "B0RAPPORT",
                "text": f"{BOT} Looking into it… what is the P1 target?",
                "ts": own_ts,
                "channel": CHANNEL,
                "channel_type": "channel",
                "event_ts": own_ts,
            }
        )
        assert r.status == 200
    assert quiet(double, CHANNEL, own_ts)
    assert not [c for c in double.calls_for("chat.postMessage") if c.params.get("channel") == CHANNEL]


def test_edited_and_deleted_messages_are_handled_quietly(double: SlackDouble, sandbox: Sandbox) -> None:
    log_from = (sandbox.home / "serve.log").stat().st_size
    d = double.send_message("U0SUPAGT2", CHANNEL, f"{BOT} what are the quiet hours for customer outreach?")
    outcome(double, CHANNEL, "U0SUPAGT2", d.ts)
    assert d.ts and answered_count(double, d.ts) == 1
    edit = double.edit_message(CHANNEL, d.ts, f"{BOT} what are the quiet hours for outreach in the EU?")
    assert edit.status == 200
    gone = double.remove_message(CHANNEL, d.ts)
    assert gone.status == 200
    time.sleep(2)
    assert answered_count(double, d.ts) == 1  # no second answer, no error message
    # A question posted without the mention, then edited to add it: Slack sends no app_mention for an edit.
    plain = double.send_message("U0SUPAGT2", CHANNEL, "what is the first response target for a gold P1?")
    assert plain.ts and quiet(double, CHANNEL, plain.ts)
    assert double.edit_message(CHANNEL, plain.ts, f"{BOT} what is the first response target for a gold P1?").ok
    assert "30m" in outcome(double, CHANNEL, "U0SUPAGT2", plain.ts)
    assert double.edit_message(CHANNEL, plain.ts, f"{BOT} what's the first response target for a gold P1?").ok
    time.sleep(2)
    assert answered_count(double, plain.ts) == 1  # a typo fix of an answered question is not asked again
    assert sandbox.process.poll() is None
    with open(sandbox.home / "serve.log", "rb") as f:
        f.seek(log_from)
        assert b"failed (reference" not in f.read()  # no handler failed on them either


def test_fifty_reply_thread_is_read_bounded_and_strangers_threads_stay_quiet(double: SlackDouble) -> None:
    parent = double.post_user_message("U0SUPAGT1", CHANNEL, "Customer asks why their P1 took so long to answer")
    for i in range(50):
        double.post_user_message("U0SUPAGT2" if i % 2 else "U0SUPAGT1", CHANNEL, f"note {i}: " + "x" * 200, parent.ts)
    d = double.send_message("U0SUPLEAD", CHANNEL, "any update on this one?", thread_ts=parent.ts)
    assert d.status == 200
    assert quiet(double, CHANNEL, parent.ts)  # Rapport never joined this thread
    d = double.send_message("U0SUPLEAD", CHANNEL, f"{BOT} what is the P1 first response target for gold?", parent.ts)
    seen = outcome(double, CHANNEL, "U0SUPLEAD", parent.ts, after=d.ts or "0")
    assert "[1]" in seen
    reads = double.calls_for("conversations.replies")
    assert reads and all(int(c.params.get("limit") or 0) <= 50 for c in reads)


def test_thread_of_an_erased_customer_is_answered_without_their_data(double: SlackDouble, sandbox: Sandbox) -> None:
    cid, name = a_customer(sandbox, "silver", skip=7)
    d = double.send_message("U0SUPLEAD", CHANNEL, f"{BOT} tell me about {name}")
    assert d.ts
    outcome(double, CHANNEL, "U0SUPLEAD", d.ts)
    assert name.split()[0] in " ".join(visible(double, CHANNEL, "U0SUPLEAD", d.ts))
    forget = subprocess.run(
        [sys.executable, "-m", "bot.cli", "forget", str(cid), "--yes"],
        env=sandbox.env,
        cwd=sandbox.home,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert forget.returncode == 0, forget.stderr[-2000:]
    double.clear_calls()
    f = double.send_message("U0SUPLEAD", CHANNEL, f"{BOT} what about their open tickets?", thread_ts=d.ts)
    seen = outcome(double, CHANNEL, "U0SUPLEAD", d.ts, after=f.ts or "0")
    shown = json.dumps([c.params for c in double.calls if c.method.startswith("chat.")], ensure_ascii=False)
    assert seen and name not in shown
    f2 = double.send_message("U0SUPLEAD", CHANNEL, "and their renewal date?", thread_ts=d.ts)
    assert f2.status == 200
    time.sleep(2)
    shown = json.dumps([c.params for c in double.calls if c.method.startswith("chat.")], ensure_ascii=False)
    assert name not in shown and "Traceback" not in shown
    assert bot_messages(double, CHANNEL, d.ts)  # the thread still has Rapport's replies, none with the name
