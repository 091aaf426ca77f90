"""Issue 16 finding 8: real-shaped Slack payloads, replayed through `rapport serve` with a valid signature.

``payloads/*.json`` are bodies modelled on the payload fixtures of Slack's bolt-python test suite (message
subtypes, Slack Connect, Enterprise Grid, assistant threads, legacy dialogs and attachments, modals with odd
metadata, clicks on ephemeral messages...), each with a note and how it is encoded (``json`` for the Events
API, ``form`` for a slash command, ``payload`` for interactivity). None may get a 500 or leave a traceback in
the log. Then the four bugs the issue found, each against its real shape: a customer pick on an ephemeral
answer answers through the response_url, a submission whose private_metadata is not JSON is handled, a
mention without ``ts`` gets a reply, a dialog cancellation is not answered.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from slackdouble import SlackDouble
from slackdouble.api import ResponseTarget
from slackdouble.server import Delivery

from .conftest import Server, wait_for

PAYLOADS = sorted((Path(__file__).parent / "payloads").glob("*.json"))
BOT = "U0RAPPORTBOT"


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((Path(__file__).parent / "payloads" / f"{name}.json").read_text(encoding="utf-8")))


def _fill(value: Any, double: SlackDouble, user: str, channel: str, ephemeral: bool) -> Any:
    """Placeholders a real payload holds per request: a response_url and a trigger_id the double issued."""
    if value == "{RESPONSE_URL}":
        return double.api.issue_response_url(ResponseTarget(channel=channel, user=user, is_ephemeral=ephemeral))
    if value == "{TRIGGER_ID}":
        return double.issue_trigger(user)
    if isinstance(value, str) and value.startswith("{DM:"):
        return double.im_channel(value[4:-1])  # the bot's DM with that user, as Slack names it
    if isinstance(value, dict):
        return {k: _fill(v, double, user, channel, ephemeral) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, double, user, channel, ephemeral) for v in value]
    return value


def filled(double: SlackDouble, doc: dict[str, Any], **override: Any) -> dict[str, Any]:
    """A payload document's body with this request's response_url, trigger_id and DM channel filled in."""
    body = {**doc["body"], **override}
    who, where, box = body.get("user"), body.get("channel"), body.get("container")
    user = str(who.get("id") if isinstance(who, dict) else body.get("user_id", "U0AMGOLD"))
    channel = str(where.get("id") if isinstance(where, dict) else "C0SUPPORT")
    container: dict[str, Any] = box if isinstance(box, dict) else {}
    return dict(_fill(body, double, user, channel, bool(container.get("is_ephemeral"))))


def deliver(double: SlackDouble, doc: dict[str, Any], **override: Any) -> Delivery:
    """Sign and POST one payload document as Slack would send it."""
    body = filled(double, doc, **override)
    if doc["encoding"] == "json":
        return double.deliver(json.dumps(body), "application/json")
    if doc["encoding"] == "form":
        form = {k: v for k, v in body.items() if v is not None}
        return double.deliver(urllib.parse.urlencode(form), "application/x-www-form-urlencoded")
    return double.deliver(urllib.parse.urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded")


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [t for v in node.values() for t in _strings(v)]
    if isinstance(node, list):
        return [t for v in node for t in _strings(v)]
    return [node] if isinstance(node, str) else []


def settled(server: Server, since: int, quiet: float = 1.0, limit: float = 20) -> str:
    """The log written since ``since`` once it has stopped growing (lazy listeners run after the ack)."""
    deadline, size, still = time.monotonic() + limit, -1, time.monotonic()
    while time.monotonic() < deadline:
        now = len(server.log_text())
        if now != size:
            size, still = now, time.monotonic()
        elif time.monotonic() - still >= quiet:
            break
        time.sleep(0.1)
    return server.log_text()[since:]


def test_the_set_covers_what_issue_16_names() -> None:
    notes = " ".join(json.loads(p.read_text())["note"] for p in PAYLOADS)
    assert len(PAYLOADS) >= 80
    for shape in ("Grid", "Slack Connect", "assistant", "dialog", "ephemeral", "message_changed", "bot_message"):
        assert shape in notes, shape


SHARED = "C0PAYSHARED"  # the Slack Connect shapes' channel: a channel shared once stays shared (in the store)


@pytest.fixture(scope="module")
def partner(server: Server) -> str:
    """Another organisation's member, in a channel shared with their organisation (its own channel, so the
    channels the other probes ask in stay internal)."""
    double = server.double
    if "W0PARTNER" not in double.workspace.users:
        double.add_team("T0PARTNER", "Partner Org")
        double.add_user("W0PARTNER", "partner", team_id="T0PARTNER")
        double.add_channel(SHARED, "ext-partner")
        double.share_channel(SHARED, "T0PARTNER", ["W0PARTNER"], deliver=False)
    return "W0PARTNER"


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: p.stem)
def test_a_real_shaped_payload_gets_no_500_and_no_traceback(
    server: Server, double: SlackDouble, partner: str, path: Path
) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    since = len(server.log_text())
    doc = {**doc, "body": filled(double, doc)}
    delivery = deliver(double, doc)
    assert delivery.status == 200, (path.stem, delivery.status, delivery.body)
    written = settled(server, since)
    assert "Traceback" not in written and "request failed" not in written, written[-3000:]
    if doc["expect"] == "refused":
        assert "refused a" in written and "not the installed one" in written, written[-2000:]
        assert not double.calls_for("chat.postMessage") and not double.calls_for("chat.postEphemeral")
        # An earlier payload's answer can still arrive through its own response_url: only this one's counts.
        ours = {str(u).rsplit("/", 1)[-1] for u in _strings(doc["body"]) if "/response_url/" in u}
        assert not double.calls_for("views.open")
        assert not [c for c in double.calls_for("response_url") if c.params.get("response_url_id") in ours]


def test_another_organisations_member_gets_nothing_from_a_mention_in_a_shared_channel(
    server: Server, double: SlackDouble, partner: str
) -> None:
    # The envelope's team_id is theirs; the installation it is delivered for (authorizations) is ours.
    doc = load("event_shared_channel_other_org")
    since = len(server.log_text())
    body = {**doc["body"], "event_id": f"Ev0EXT{int(time.time() * 1000)}"}
    assert deliver(double, {**doc, "body": body}).status == 200
    written = settled(server, since)
    assert "Traceback" not in written, written[-2000:]
    sent = [
        c.params
        for c in double.calls_for("chat.postMessage") + double.calls_for("chat.postEphemeral")
        if c.params.get("channel") == SHARED or c.params.get("user") == partner  # not other probes' late posts
    ]
    assert sent == []


def _told(double: SlackDouble, user: str, channel: str) -> list[str]:
    out = []
    for m in double.messages(channel, include_ephemeral=True):
        if m.get("ephemeral_for") == user:
            out.append(json.dumps([m.get("text"), m.get("blocks")]))
    return out


def test_a_dialog_cancellation_is_not_answered(server: Server, double: SlackDouble) -> None:
    since = len(server.log_text())
    assert deliver(double, load("dialog_cancellation")).status == 200
    settled(server, since)
    said = [c.params for c in double.calls_for("chat.postEphemeral")] + [
        c.params for c in double.calls_for("response_url")
    ]
    assert not any("no longer does anything" in json.dumps(p) for p in said), said


def test_a_submission_whose_private_metadata_is_not_json_is_handled(server: Server, double: SlackDouble) -> None:
    since = len(server.log_text())
    delivery = deliver(double, load("view_submission_request_not_json_metadata"))
    assert delivery.status == 200, delivery.body
    written = settled(server, since)
    assert "Traceback" not in written
    if delivery.body:  # the form's own answer: errors on its fields, or clear; never a 500
        assert json.loads(delivery.body).get("response_action") in ("errors", "clear", "update", None)


def test_a_mention_without_ts_gets_a_reply(server: Server, double: SlackDouble) -> None:
    for name in ("event_app_mention_without_ts", "event_app_mention_without_any_ts"):
        double.clear_calls()
        doc = load(name)
        event = {**doc["body"]["event"], "text": f"<@{BOT}> What is the first response target for a Platinum P1?"}
        body = {**doc["body"], "event": event, "event_id": f"Ev{name[-8:].upper()}{int(time.time() * 1000)}"}
        assert deliver(double, {**doc, "body": body}).status == 200
        posted = wait_for(
            lambda: [
                c.params
                for c in double.calls_for("chat.postMessage") + double.calls_for("chat.update")
                if c.params.get("channel") == "C0SUPPORT"
                and ("15m" in json.dumps(c.params) or "reference" in json.dumps(c.params))
            ],
            timeout=60,
        )
        assert posted, name


def _ambiguous(server: Server) -> str:
    con = sqlite3.connect(server.home / "rapport.db")
    try:
        rows = con.execute(
            "SELECT value FROM customer_identifiers WHERE kind = 'name' GROUP BY value "
            "HAVING count(DISTINCT customer_id) > 1 ORDER BY value LIMIT 1"
        ).fetchall()
    finally:
        con.close()
    assert rows, "the demo book plants duplicates with the same name"
    return str(rows[0][0])


def test_a_customer_pick_on_an_ephemeral_answer_answers_through_the_response_url(
    server: Server, double: SlackDouble
) -> None:
    channel = "C0SUPPORTQ"
    admin = double.send_slash_command("U0CSLEAD", channel, "/rapport", "config set answers ephemeral")
    assert admin.status == 200
    wait_for(
        lambda: [t for t in _told(double, "U0CSLEAD", channel) if "ephemeral" in t] or double.calls_for("response_url")
    )
    name = _ambiguous(server)
    sent = double.send_message("U0CSLEAD", channel, f"<@{BOT}> what tier is {name}?")
    assert sent.status == 200

    def choices() -> list[dict[str, Any]]:
        for m in double.messages(channel, include_ephemeral=True):
            if m.get("ephemeral_for") == "U0CSLEAD" and "pick_customer" in json.dumps(m.get("blocks")):
                return [m]
        return []

    (answer,) = wait_for(choices, timeout=60)
    button = next(
        e
        for b in answer["blocks"]
        if b.get("block_id") == "pick_customer"
        for e in b["elements"]
        if re.match(r"ask_pick_customer_\d+$", e["action_id"])
    )
    double.clear_calls()
    since = len(server.log_text())
    click = double.click_button("U0CSLEAD", channel, answer["ts"], button["action_id"], button["value"])
    assert click.status == 200
    replaced = wait_for(lambda: double.calls_for("response_url"), timeout=60)
    assert replaced[0].params.get("replace_original") in (True, "true") and "blocks" in replaced[0].params
    assert not double.calls_for("chat.update")  # an ephemeral message cannot be edited through the Web API
    written = settled(server, since)
    assert "Traceback" not in written and "cant_update_message" not in written
    reset = double.send_slash_command("U0CSLEAD", channel, "/rapport", "config reset")
    assert reset.status == 200
