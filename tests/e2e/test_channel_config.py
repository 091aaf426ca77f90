"""Per-channel settings and feedback over real HTTP: `/rapport config` (admins only, audited), questions mode,
ephemeral answers, the channels.yaml layer, and the thumbs-down reason modal."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.slack import ids
from slackdouble import SlackDouble

from .conftest import Sandbox
from .test_ask_slack import BOT, blocks_text, final_answer

ROOM = "C0SUPPORTQ"  # seeded by the harness; no ask: block in channels.yaml, so it starts on the defaults
ADMIN, AGENT = "U0CSLEAD", "U0SUPAGT1"


def config(double: SlackDouble, user: str, channel: str, text: str) -> str:
    before = len(double.calls_for("response_url"))
    assert double.send_slash_command(user, channel, "/rapport", f"config {text}".strip()).status == 200
    calls = double.wait_for("response_url", timeout=30, count=before + 1)
    return json.dumps(calls[-1].params)


def bot_replies(double: SlackDouble, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in double.thread(channel, thread_ts) if m.get("bot_id") and m["ts"] != thread_ts]


def db(sandbox: Sandbox) -> sqlite3.Connection:
    return sqlite3.connect(sandbox.home / "rapport.db", timeout=30)


@pytest.fixture
def room(sandbox: Sandbox, double: SlackDouble) -> Iterator[str]:
    yield ROOM
    config(double, ADMIN, ROOM, "reset")  # the sandbox is shared by the session: leave the defaults behind


def test_non_admin_is_refused_and_admin_change_is_audited(sandbox: Sandbox, double: SlackDouble, room: str) -> None:
    shown = config(double, AGENT, room, "")
    assert "defaults" in shown and "mention" in shown
    refused = config(double, AGENT, room, "set mode questions")
    assert "Only Rapport admins" in refused
    bad = config(double, ADMIN, room, "set mode always")
    assert "mode is one of" in bad
    ok = config(double, ADMIN, room, "set mode questions")
    assert "updated" in ok and "questions" in ok
    con = db(sandbox)
    rows = con.execute(
        "SELECT actor, details FROM audit_events WHERE action = 'ask.channel_config' AND subject_id = ?", (room,)
    ).fetchall()
    con.close()
    assert [(a, json.loads(d)) for a, d in rows][-1] == (ADMIN, {"key": "mode", "value": "questions"})
    assert all(a == ADMIN for a, _ in rows)  # the refused attempts left nothing


def test_questions_mode_answers_unmentioned_questions_only(double: SlackDouble, room: str) -> None:
    chatter = double.send_message(AGENT, room, "thanks all, deploy is done for today")
    question = double.send_message(AGENT, room, "What is the first response target for a gold P1?")
    time.sleep(3)
    assert bot_replies(double, room, str(chatter.ts)) == []  # defaults: mention-only, so no answer yet
    assert bot_replies(double, room, str(question.ts)) == []
    config(double, ADMIN, room, "set mode questions")
    asked = double.send_message(AGENT, room, "What is the first response target for a gold P1?")
    chat = double.send_message(AGENT, room, "thanks all, deploy is done for today")
    answer = final_answer(double, room, str(asked.ts))
    assert "sla-response-times.md" in blocks_text(answer["blocks"])
    time.sleep(2)
    assert bot_replies(double, room, str(chat.ts)) == []  # chatter is not a question
    config(double, ADMIN, room, "set quiet on")
    quiet = double.send_message(AGENT, room, "What is the first response target for a silver P2?")
    time.sleep(3)
    assert bot_replies(double, room, str(quiet.ts)) == []  # quiet: no unprompted answers


def test_ephemeral_answers_and_collections(double: SlackDouble, room: str) -> None:
    config(double, ADMIN, room, "set answers ephemeral")
    shown = config(double, ADMIN, room, "set collections commercial")
    assert "commercial" in shown
    d = double.send_message(AGENT, room, f"{BOT} what is the escalation path for a platinum P1?")
    deadline = time.monotonic() + 60
    private: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not private:
        private = [
            c.params
            for c in double.calls_for("chat.postEphemeral")
            if c.params.get("channel") == room and c.params.get("thread_ts") == d.ts
        ]
        time.sleep(0.2)
    assert private and private[0]["user"] == AGENT
    assert bot_replies(double, room, str(d.ts)) == []  # nothing public in the thread
    text = blocks_text(private[0].get("blocks"))
    assert "service/" not in text  # only the commercial playbooks may be cited here
    unknown = config(double, ADMIN, room, "set collections nowhere")
    assert "unknown collection" in unknown


def test_policy_file_channel_answers_questions_from_its_collections(double: SlackDouble) -> None:
    d = double.send_message(AGENT, "C0ASKCS", "How fast must we respond to a gold P1 ticket?")
    answer = final_answer(double, "C0ASKCS", str(d.ts))
    text = blocks_text(answer["blocks"])
    assert "service/sla-response-times.md" in text
    other = double.send_message(AGENT, "C0ASKCS", "How much discount can an account manager give without approval?")
    text = blocks_text(final_answer(double, "C0ASKCS", str(other.ts))["blocks"])
    assert "commercial/" not in text  # channels.yaml limits this channel to service/ and operations/


def test_thumbs_down_opens_reason_modal_and_reason_is_stored(sandbox: Sandbox, double: SlackDouble) -> None:
    d = double.send_message(AGENT, "C0SUPPORT", f"{BOT} who approves an SLA exception?")
    answer = final_answer(double, "C0SUPPORT", str(d.ts))
    qid = next(
        int(e["value"])
        for b in answer["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == ids.ASK_FEEDBACK_DOWN
    )
    double.click_button(AGENT, "C0SUPPORT", str(answer["ts"]), ids.ASK_FEEDBACK_DOWN, value=str(qid))
    double.wait_for("views.open", timeout=30)
    modal = double.open_modals(AGENT)[-1]
    assert modal["callback_id"] == ids.FEEDBACK_MODAL
    assert double.submit_view(AGENT, modal["id"], {"reason": {"reason": "Names the wrong approver"}}).status == 200
    deadline = time.monotonic() + 30
    row = None
    while time.monotonic() < deadline:
        con = db(sandbox)
        row = con.execute("SELECT helpful, comment FROM answer_feedback WHERE question_id = ?", (qid,)).fetchone()
        votes = con.execute("SELECT COUNT(*) FROM ask_passage_feedback WHERE helpful = 0").fetchone()[0]
        con.close()
        if row and row[1]:
            break
        time.sleep(0.3)
    assert row is not None and row[0] == 0 and row[1] == "Names the wrong approver"
    assert votes >= 1  # the thumbs-down also voted the passage down for similar questions


def test_card_roles_keep_customer_cards_from_other_roles(sandbox: Sandbox, double: SlackDouble, room: str) -> None:
    from .test_ask_slack import customer

    _, name, _ = customer(sandbox, "tier = 'gold' AND name NOT LIKE '%,%'")
    config(double, ADMIN, room, "set card_roles finance")
    d = double.send_message(AGENT, room, f"{BOT} tell me about {name}")
    answer = final_answer(double, room, str(d.ts))
    time.sleep(1)
    private = [
        c.params
        for c in double.calls_for("chat.postEphemeral")
        if c.params.get("channel") == room and c.params.get("thread_ts") == d.ts
    ]
    assert ":office:" not in blocks_text(answer["blocks"]) and not private  # no card, public or private
    config(double, ADMIN, room, "set card_roles all")
    d = double.send_message(AGENT, room, f"{BOT} tell me about {name}")
    answer = final_answer(double, room, str(d.ts))
    time.sleep(1)
    shown = blocks_text(answer["blocks"]) + json.dumps(
        [c.params for c in double.calls_for("chat.postEphemeral") if c.params.get("thread_ts") == d.ts]
    )
    assert ":office:" in shown and name in shown
