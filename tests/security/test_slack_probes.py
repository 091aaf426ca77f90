"""Issue 16 findings 4 and 7 replayed through `rapport serve` as Slack would send them, with the Web API calls
read back from the Slack double:

4. a question full of mass mentions and a disguised link shows inert in the "Looking into it…" placeholder, the
   answer and the hand-off post ("Get a person"), text and notification alike; an approval request's
   justification, terms and customer name likewise;
7. events, commands and clicks for another workspace are refused in one place, and "Get a person", "Escalate"
   and customer-pick buttons act only for the asker or someone in the channel the question was asked in (a
   refusal is private and audited).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from typing import Any

from slackdouble import SlackDouble

from .conftest import Server, wait_for

BOT = "U0RAPPORTBOT"
HOSTILE = "<!everyone> <!here> <!channel> <!subteam^S0EXEC> <@U0CFO> <https://evil.example|the signed contract>"
LIVE_ATTACKS = re.compile(r"<!everyone>|<!here>|<!channel>|<!subteam\^S0EXEC>|<@U0CFO>|<https://evil\.example")


def db(server: Server, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(server.home / "rapport.db")
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def live_attacks(params: dict[str, Any]) -> list[str]:
    """Attack tokens left live in what Slack would render or notify: mrkdwn texts and the fallback text."""
    texts = [str(params.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                texts.append(str(node.get("text") or ""))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    blocks = params.get("blocks")
    walk(json.loads(blocks) if isinstance(blocks, str) else blocks)
    return [m for t in texts for m in LIVE_ATTACKS.findall(t)]


def _last_question(server: Server) -> int:
    return int(db(server, "SELECT COALESCE(MAX(id), 0) FROM questions")[0][0])


def _question_id(server: Server, asker: str, fragment: str, after: int) -> int:
    """The question asked after question ``after`` (other probes ask the same things earlier)."""
    rows = wait_for(
        lambda: db(
            server,
            "SELECT id FROM questions WHERE asker = ? AND question LIKE ? AND id > ? ORDER BY id DESC",
            asker,
            f"%{fragment}%",
            after,
        ),
        timeout=60,
    )
    return int(rows[0][0])


def _answer_ts(double: SlackDouble, channel: str, qid: int) -> str:
    """The answer to question ``qid``: the message whose buttons carry its id."""

    def refs(node: Any) -> list[Any]:
        if isinstance(node, dict):
            found = [node.get("value")] if node.get("type") == "button" else []
            return found + [r for v in node.values() for r in refs(v)]
        return [r for v in node for r in refs(v)] if isinstance(node, list) else []

    def find() -> str | None:
        for m in double.messages(channel):
            for value in refs(m.get("blocks") or []):
                try:
                    if json.loads(value) in (qid, {"q": qid}) or json.loads(value).get("q") == qid:
                        return str(m["ts"])
                except (ValueError, TypeError, AttributeError):
                    continue
        return None

    return str(wait_for(find, timeout=60))


def test_a_hostile_question_is_inert_in_the_placeholder_the_answer_and_the_hand_off(
    server: Server, double: SlackDouble
) -> None:
    text = f"<@{BOT}> {HOSTILE} what is the first response target for a platinum P1?"
    before = _last_question(server)
    assert double.send_message("U0AMGOLD", "C0SUPPORT", text).status == 200
    qid = _question_id(server, "U0AMGOLD", "first response target", before)
    ts = _answer_ts(double, "C0SUPPORT", qid)
    placeholders = [c.params for c in double.calls_for("chat.postMessage") if "Looking into" in json.dumps(c.params)]
    assert placeholders, "the placeholder quotes the question"
    for call in double.calls_for("chat.postMessage") + double.calls_for("chat.update"):
        assert live_attacks(call.params) == [], call.params

    double.clear_calls()
    assert double.click_button("U0AMGOLD", "C0SUPPORT", ts, "ask_get_person", json.dumps({"q": qid})).status == 200
    posted = wait_for(
        lambda: [c.params for c in double.calls_for("chat.postMessage") if "Hand-off" in str(c.params.get("text"))],
        timeout=60,
    )
    handoff = posted[0]
    assert "everyone" in json.dumps(handoff["blocks"])  # the question is quoted, as text
    assert live_attacks(handoff) == [], handoff


def _customer(server: Server) -> str:
    (name,) = db(
        server,
        "SELECT name FROM customers c WHERE region = 'emea' AND merged_into_id IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM customers d WHERE d.id <> c.id AND lower(d.name) = lower(c.name)) ORDER BY id LIMIT 1 OFFSET 3",
    )[0]
    return str(name)


def test_an_approval_request_shows_the_requesters_text_inert(server: Server, double: SlackDouble) -> None:
    name = _customer(server)
    text = f'approve terms "{name}" $90,000 risk=medium terms="{HOSTILE}": {HOSTILE} renewal depends on it'
    assert double.send_slash_command("U0AMPLAT", "C0SUPPORT", "/rapport", text).status == 200
    rid = wait_for(
        lambda: db(server, "SELECT id FROM approval_requests WHERE requester = 'U0AMPLAT' ORDER BY id DESC")
    )[0][0]
    card = wait_for(
        lambda: [c.params for c in double.calls_for("chat.postMessage") if f"#{rid}" in str(c.params.get("text"))],
        timeout=60,
    )[0]
    shown = json.dumps(card["blocks"])
    assert "evil.example" in shown and "everyone" in shown  # shown, as text
    assert live_attacks(card) == [], card


def test_markup_typed_as_text_stays_inert_once_slacks_escapes_are_read(server: Server, double: SlackDouble) -> None:
    # Slack sends what a person types with "&", "<" and ">" escaped; Rapport reads them back as typed (a question
    # about "Smith & Sons", a bound "ARR > 100k"), so a typed "<!channel>" is text again, and stays inert
    typed = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    name = _customer(server)
    text = f'approve terms "{name}" $80,000 risk=medium terms="{typed}": {typed} typed by hand'
    assert double.send_slash_command("U0AMPLAT", "C0SUPPORT", "/rapport", text).status == 200
    card = wait_for(
        lambda: [c.params for c in double.calls_for("chat.postMessage") if "typed by hand" in json.dumps(c.params)],
        timeout=60,
    )[0]
    assert "evil.example" in json.dumps(card["blocks"])  # shown, as text
    assert live_attacks(card) == [], card
    double.clear_calls()
    question = f"<@{BOT}> {typed} what is the first response target for a platinum P1?"
    assert double.send_message("U0AMGOLD", "C0SUPPORT", question).status == 200
    wait_for(lambda: double.calls_for("chat.update"), timeout=60)
    for call in double.calls_for("chat.postMessage") + double.calls_for("chat.update"):
        assert live_attacks(call.params) == [], call.params


def test_requests_for_another_workspace_are_refused(server: Server, double: SlackDouble) -> None:
    since = len(server.log_text())
    now = f"{time.time():.6f}"
    event = {
        "type": "app_mention",
        "user": "U0AMGOLD",
        "text": f"<@{BOT}> who owns it?",
        "ts": now,
        "channel": "C0SUPPORT",
    }
    mention = double.send_event(event, team_id="T0ELSEWHERE")
    assert mention.status == 200
    time.sleep(2)
    log = server.log_text()[since:]
    assert "refused a event_callback for workspace T0ELSEWHERE" in log, log[-2000:]
    assert not double.calls_for("chat.postMessage")


def test_buttons_under_an_answer_act_only_for_the_asker_or_the_channel(server: Server, double: SlackDouble) -> None:
    question = "what is the resolution target for a gold P2?"
    before = _last_question(server)
    assert double.send_message("U0AMGOLD", "C0SUPPORT", f"<@{BOT}> {question}").status == 200
    qid = _question_id(server, "U0AMGOLD", "resolution target for a gold P2", before)
    ts = _answer_ts(double, "C0SUPPORT", qid)

    # Someone clicking the same button value from elsewhere (another channel's message, a forged id) is refused.
    channel = "C0CSLEADS"
    double.post_user_message("U0CSLEAD", channel, "a message of ours")
    other = double.messages(channel)[-1]
    double.clear_calls()
    for action in ("ask_get_person", "ask_escalate", "ask_pick_customer_0"):
        value = json.dumps({"q": qid, "c": 1})
        assert double.click_button("U0CSLEAD", channel, other["ts"], action, value).status == 200

    # each click is acknowledged at once and handled after: wait for all three, not the first (a loaded machine
    # answered one before the count was read)
    def refused() -> list[Any]:
        said = [c for c in double.calls_for("chat.postEphemeral") if "someone else's question" in json.dumps(c.params)]
        return said if len(said) >= 3 else []

    refusals = wait_for(refused, timeout=30)
    assert {c.params.get("user") for c in refusals} == {"U0CSLEAD"}
    assert not [c for c in double.calls_for("chat.postMessage") if "Hand-off" in str(c.params.get("text"))]
    audit = "SELECT count(*) FROM audit_events WHERE action = 'ask.click_refused' AND subject_id = ?"
    assert wait_for(lambda: db(server, audit, str(qid))[0][0] >= 3, timeout=30)
    assert db(server, "SELECT count(*) FROM ask_handoffs WHERE question_id = ?", qid) == [(0,)]

    # Someone in the channel the question was asked in may hand it off for the asker.
    assert double.click_button("U0CSLEAD", "C0SUPPORT", ts, "ask_get_person", json.dumps({"q": qid})).status == 200
    wait_for(lambda: db(server, "SELECT count(*) FROM ask_handoffs WHERE question_id = ?", qid)[0][0] == 1, timeout=60)
