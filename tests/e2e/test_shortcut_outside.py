"""The message shortcut is offered in every conversation, also where Rapport is not a member: there the
channel refuses the bot's post, and the asker gets the answer privately through the shortcut's response_url,
with a line saying why. Never nothing."""

from __future__ import annotations

import json
import time

from slackdouble import SlackDouble

PRIVATE = "C0NOBOTHERE"


def test_shortcut_where_the_bot_is_not_a_member_answers_privately(double: SlackDouble) -> None:
    double.add_channel(PRIVATE, "deal-room", is_private=True, members=["U0SUPLEAD", "U0AMGOLD"])
    msg = double.post_user_message("U0AMGOLD", PRIVATE, "What is the first response target for a gold P1?")
    r = double.message_shortcut("U0SUPLEAD", PRIVATE, msg.ts, "ask_about_message")
    assert r.status == 200
    deadline = time.monotonic() + 60
    responses: list[dict[str, object]] = []
    while time.monotonic() < deadline and len(responses) < 2:
        responses = [c.params for c in double.calls_for("response_url")]
        time.sleep(0.3)
    assert len(responses) == 2, [c.method for c in double.calls]
    answer, note = responses
    assert answer.get("response_type") == "ephemeral" and note.get("response_type") == "ephemeral"
    assert "30m" in json.dumps(answer) and "sla-response-times.md" in json.dumps(answer)  # the answer itself
    assert "/invite @rapport" in json.dumps(note)
    refused = [c for c in double.calls_for("chat.postMessage") if c.params.get("channel") == PRIVATE]
    assert refused, "the bot tried the conversation first"
    assert not [m for m in double.messages(PRIVATE) if m.get("bot_id")]  # nothing posted there
