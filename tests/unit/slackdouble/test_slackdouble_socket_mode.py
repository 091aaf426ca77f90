"""Socket Mode: a real slack_bolt App connects to the double through slack_sdk's built-in Socket Mode
client (``SocketModeHandler``: apps.connections.open with an app-level token, then a WebSocket), and
answers a mention, a slash command, a button click and a view submission delivered as envelopes."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_bolt import Ack, App, Respond, Say
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from slackdouble import SlackDouble

APP_TOKEN = "xapp-1-A0RAPPORT-1-socket-test"
BOT_TOKEN = "xoxb-socket-test"
BOT = "U0RAPPORTBOT"
MODAL = {
    "type": "modal",
    "callback_id": "amount",
    "title": {"type": "plain_text", "text": "Discount"},
    "submit": {"type": "plain_text", "text": "Request"},
    "blocks": [
        {
            "type": "input",
            "block_id": "pct",
            "label": {"type": "plain_text", "text": "Percent"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}
BUTTON_MESSAGE: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Approve 8% for Acme?"}},
    {
        "type": "actions",
        "block_id": "decide",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "value": "req-1",
                "text": {"type": "plain_text", "text": "Approve"},
            }
        ],
    },
]


@dataclass
class Env:
    double: SlackDouble
    app: App
    handler: SocketModeHandler
    seen: list[tuple[str, Any]]
    cond: threading.Condition
    channel: str = "C1"

    def wait_seen(self, kind: str, timeout: float = 10.0) -> Any:
        """The first `kind` the app saw in this test's channel."""

        def found() -> list[Any]:
            return [v for k, v in self.seen if k == kind and self.channel in json.dumps(v)]

        with self.cond:
            assert self.cond.wait_for(found, timeout), self.seen
            return found()[0]


def build_app(double: SlackDouble, seen: list[tuple[str, Any]], cond: threading.Condition) -> App:
    # Socket Mode needs no signing secret: nothing arrives over HTTP.
    app = App(client=WebClient(token=BOT_TOKEN, base_url=double.api_url))

    def note(kind: str, value: Any) -> None:
        with cond:
            seen.append((kind, value))
            cond.notify_all()

    @app.event("app_mention")
    def mention(event: dict[str, Any], say: Say) -> None:
        note("app_mention", event)
        say(text=f"Hello <@{event['user']}>", thread_ts=event["ts"])

    @app.event("message")
    def message(event: dict[str, Any]) -> None:
        note("message", event)

    @app.command("/rapport")
    def command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        if command["text"] == "approve":
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=MODAL)
        else:
            ack(f"Usage: /rapport ask QUESTION (you typed `{command['text']}`)")
        note("command", command)

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        note("action", body)
        respond(replace_original=True, text=f"Approved by <@{body['user']['id']}>")

    @app.view("amount")
    def submit(ack: Ack, view: dict[str, Any]) -> None:
        value = view["state"]["values"]["pct"]["value"]["value"]
        if not (value or "").isdigit():
            ack(response_action="errors", errors={"pct": "A whole number, please"})
        else:
            ack()
        note("view", value)

    return app


@pytest.fixture(scope="module")
def connected() -> Iterator[Env]:
    """One App connected for the module (slack_sdk's client takes ~3 s to close after traffic)."""
    double = SlackDouble("unused-in-socket-mode", socket_mode=True, trigger_ttl=10.0, app_token=APP_TOKEN).start()
    double.add_user("U1", "ana.silva", tz="Europe/Lisbon")
    seen: list[tuple[str, Any]] = []
    cond = threading.Condition()
    app = build_app(double, seen, cond)
    handler = SocketModeHandler(app, APP_TOKEN)
    handler.connect()  # returns once connected; envelopes are handled on the client's threads
    assert double.wait_connected(timeout=10)
    yield Env(double, app, handler, seen, cond)
    handler.close()
    double.stop()


@pytest.fixture
def env(connected: Env, request: pytest.FixtureRequest) -> Env:
    """The connected App, with a channel of this test's own."""
    channel = "C" + "".join(ch for ch in request.node.name.upper() if ch.isalnum())[5:30]
    connected.double.add_channel(channel, channel.lower())
    connected.channel = channel
    connected.double.clear_calls()
    return connected


def test_bolt_connects_with_the_app_token(connected: Env) -> None:
    call = connected.double.calls_for("apps.connections.open")[0]
    assert call.params == {}  # the token travels in the Authorization header, never recorded
    assert connected.double.socket.connections == 1
    assert connected.double.ui_state(None)["bot"]["connected"] is True


def test_a_mention_arrives_as_events_api_envelopes_and_is_answered(env: Env) -> None:
    d = env.double.send_message("U1", env.channel, f"<@{BOT}> what is the SLA?")
    assert d.ok and d.status == 200 and [f.kind for f in d.followups] == ["app_mention"]
    assert env.wait_seen("app_mention")["text"] == f"<@{BOT}> what is the SLA?"
    (reply,) = env.double.wait_for("chat.postMessage", timeout=10)
    assert reply.params["thread_ts"] == d.ts and reply.params["text"] == "Hello <@U1>"


def test_a_slash_commands_ack_payload_is_shown_to_the_user(env: Env) -> None:
    d = env.double.send_slash_command("U1", env.channel, "/rapport", "frobnicate")
    assert d.status == 200 and json.loads(d.body)["text"].startswith("Usage: /rapport ask")
    assert env.wait_seen("command")["command"] == "/rapport"
    shown = [m for m in env.double.messages(env.channel, include_ephemeral=True) if m.get("ephemeral_for") == "U1"]
    assert shown and shown[-1]["text"].startswith("Usage: /rapport ask QUESTION")


def test_a_button_click_is_acked_and_answered_through_response_url(env: Env) -> None:
    posted = env.app.client.chat_postMessage(channel=env.channel, text="Approve?", blocks=BUTTON_MESSAGE)
    d = env.double.click_button("U1", env.channel, posted["ts"], "approve")
    assert d.status == 200
    body = env.wait_seen("action")
    assert body["actions"][0]["value"] == "req-1" and body["container"]["message_ts"] == posted["ts"]
    env.double.wait_for("response_url", timeout=10)
    (message,) = env.double.messages(env.channel)
    assert message["text"] == "Approved by <@U1>" and "blocks" not in message


def test_view_submission_ack_carries_the_response_action(env: Env) -> None:
    d = env.double.send_slash_command("U1", env.channel, "/rapport", "approve")
    assert d.status == 200
    env.double.wait_for("views.open", timeout=10)
    (modal,) = env.double.open_modals("U1")
    sub = env.double.submit_view("U1", modal["id"], {"value": "eight"})
    assert json.loads(sub.body) == {"response_action": "errors", "errors": {"pct": "A whole number, please"}}
    assert env.double.workspace.views[modal["id"]].errors == {"pct": "A whole number, please"}
    ok = env.double.submit_view("U1", modal["id"], {"value": "8"})
    assert ok.status == 200 and env.double.open_modals("U1") == []


def test_disconnect_makes_the_client_open_a_new_connection(env: Env) -> None:
    env.double.socket.disconnect_all()
    env.double.wait_for("apps.connections.open", timeout=15)  # calls were cleared: this is the new one
    # The new connection open and the old one closed: until then a message may go to the one being dropped (it
    # failed the full run once: no ack within 3 s, the app_mention then found no connection).
    assert env.double.socket.wait_replaced(timeout=15)
    d = env.double.send_message("U1", env.channel, f"<@{BOT}> still there?")
    assert d.ok


def test_connection_urls_work_once_and_need_the_app_token() -> None:
    with SlackDouble("s", socket_mode=True, app_token=APP_TOKEN) as double:
        app_client = WebClient(token=APP_TOKEN, base_url=double.api_url)
        url = app_client.apps_connections_open(app_token=APP_TOKEN)["url"]
        assert url.startswith(f"ws://127.0.0.1:{double.socket.port}/link/?ticket=")
        with connect(url) as ws:
            hello = json.loads(ws.recv(timeout=5))
            assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == "A0RAPPORT"
        with pytest.raises(InvalidStatus) as err:
            connect(url)  # used
        assert err.value.response.status_code == 401
        req = urllib.request.Request(
            double.api_url + "apps.connections.open", data=b"", headers={"Authorization": "Bearer xapp-wrong"}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert json.loads(resp.read())["error"] == "invalid_auth"


def test_without_a_connection_a_delivery_fails_visibly() -> None:
    with SlackDouble("s", socket_mode=True) as double:
        double.add_user("U1", "ana.silva")
        double.add_channel("C1", "support")
        d = double.send_message("U1", "C1", f"<@{BOT}> anyone?")
        assert not d.ok and d.body == "no Socket Mode connection"
        assert double.ui_state(None)["bot"]["connected"] is False


def test_an_envelope_nobody_acks_times_out() -> None:
    with SlackDouble("s", socket_mode=True, delivery_timeout=0.5) as double:
        double.add_user("U1", "ana.silva")
        double.add_channel("C1", "support")
        url = double.api.socket_url() if double.api.socket_url else ""
        with connect(url) as ws:
            ws.recv(timeout=5)  # hello
            assert double.wait_connected()
            d = double.send_message("U1", "C1", "hello")
            envelope = json.loads(ws.recv(timeout=5))
        assert envelope["type"] == "events_api" and envelope["payload"]["event"]["text"] == "hello"
        assert envelope["accepts_response_payload"] is False and envelope["retry_attempt"] == 0
        assert d.status == 0 and d.body == "no ack within 0.5s"
