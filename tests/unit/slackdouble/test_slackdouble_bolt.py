"""The double delivers requests a real slack_bolt App accepts (signature verified) and the
App's Web API calls land back in the double."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App, BoltContext, Respond, Say
from slack_sdk import WebClient

from slackdouble import SlackDouble

SECRET = "test-signing-secret"

BOT = "U0RAPPORTBOT"
MODAL = {
    "type": "modal",
    "callback_id": "approval",
    "title": {"type": "plain_text", "text": "Request approval"},
    "submit": {"type": "plain_text", "text": "Submit"},
    "blocks": [
        {
            "type": "input",
            "block_id": "amount",
            "label": {"type": "plain_text", "text": "Amount"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}


class Seen:
    def __init__(self) -> None:
        self.items: list[tuple[str, Any]] = []
        self.cond = threading.Condition()

    def add(self, kind: str, data: Any) -> None:
        with self.cond:
            self.items.append((kind, data))
            self.cond.notify_all()

    def wait(self, kind: str, timeout: float = 5.0) -> Any:
        with self.cond:
            ok = self.cond.wait_for(lambda: any(k == kind for k, _ in self.items), timeout)
            assert ok, f"{kind} not seen; saw {[k for k, _ in self.items]}"
            return next(d for k, d in self.items if k == kind)


@pytest.fixture
def env(bolt_server: Any) -> Iterator[tuple[SlackDouble, Any, Seen]]:
    double = SlackDouble(SECRET, trigger_ttl=10.0).start()
    double.add_user("U1", "ana.silva", tz="Europe/Lisbon")
    double.add_channel("C1", "support")
    seen = Seen()
    app = App(
        signing_secret=SECRET,
        client=WebClient(token="xoxb-test", base_url=double.api_url),
    )

    @app.event("reaction_added")
    def reaction(event: dict[str, Any]) -> None:
        seen.add("reaction_added", event)

    @app.event("app_mention")
    def mention(event: dict[str, Any], say: Say, context: BoltContext) -> None:
        seen.add("app_mention", event)
        say(text=f"answer for <@{event['user']}>", thread_ts=event.get("thread_ts") or event["ts"])

    @app.event("message")
    def message(event: dict[str, Any], say: Say, body: dict[str, Any]) -> None:
        seen.add("message", body)
        if event.get("channel_type") == "im":
            say(
                text="dm answer",
                blocks=[
                    {"type": "section", "text": {"type": "mrkdwn", "text": "*dm answer*"}},
                    {
                        "type": "actions",
                        "block_id": "next",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "helpful",
                                "text": {"type": "plain_text", "text": "Helpful"},
                                "value": "yes",
                            }
                        ],
                    },
                ],
            )

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        seen.add("app_home_opened", event)
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [{"type": "divider"}]})

    @app.command("/rapport")
    def command(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        seen.add("command", command)
        if command["text"] == "approve":
            client.views_open(trigger_id=command["trigger_id"], view=MODAL)
            ack()
        else:
            ack()
            respond(text=f"you said {command['text']}")

    @app.action("helpful")
    def helpful(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        seen.add("action", body)
        respond(text="Thanks for the feedback", replace_original=True)

    @app.view("approval")
    def submitted(ack: Ack, view: dict[str, Any]) -> None:
        amount = view["state"]["values"]["amount"]["value"]["value"]
        seen.add("view", view)
        if not amount.isdigit():
            ack(response_action="errors", errors={"amount": "a number, please"})
        else:
            ack()

    server = bolt_server(app)
    double.bot_url = server.url
    yield double, server, seen
    server.stop()
    double.stop()


def test_app_start_called_auth_test(env: tuple[SlackDouble, Any, Seen]) -> None:
    double, _, _ = env
    assert double.calls_for("auth.test")


def test_mention_delivers_message_and_app_mention_and_bolt_answers_in_thread(
    env: tuple[SlackDouble, Any, Seen],
) -> None:
    double, server, seen = env
    d = double.send_message("U1", "C1", f"<@{BOT}> what is the SLA for Acme?")
    assert d.ok and (d.status, d.body) == tuple(d)
    assert [f.kind for f in [d, *d.followups]] == ["message", "app_mention"]
    event = seen.wait("app_mention")
    assert event["ts"] == d.ts and event["user"] == "U1"
    (call,) = double.wait_for("chat.postMessage")
    assert call.params["channel"] == "C1" and call.params["thread_ts"] == d.ts
    assert [m["text"] for m in double.thread("C1", d.ts or "")][1] == "answer for <@U1>"
    headers, body = server.requests[-1]
    assert headers["content-type"] == "application/json" and headers["x-slack-signature"].startswith("v0=")
    assert json.loads(body)["type"] == "event_callback"


def test_dm_message(env: tuple[SlackDouble, Any, Seen]) -> None:
    double, _, seen = env
    dm = double.im_channel("U1")
    d = double.send_message("U1", dm, "hello")
    assert d.ok and d.followups == []  # no app_mention in a DM
    body = seen.wait("message")
    assert body["event"]["channel_type"] == "im" and body["event_id"] == d.event_id
    double.wait_for("chat.postMessage")
    assert double.messages(dm)[-1]["text"] == "dm answer"


def test_wrong_signature_is_refused_by_bolt(env: tuple[SlackDouble, Any, Seen]) -> None:
    double, _, _ = env
    good = double.send_event({"type": "reaction_added", "user": "U1"})
    assert good.status == 200
    bad = double.deliver(good.request_body, "application/json", signature="v0=" + "0" * 64)
    assert bad.status == 401
    stale = double.deliver(good.request_body, "application/json", timestamp=1531420618)
    assert stale.status == 401
    assert double.notices  # failures are surfaced for the sandbox page


def test_retry_headers_and_same_event_id(env: tuple[SlackDouble, Any, Seen]) -> None:
    double, server, _ = env
    first = double.send_event({"type": "reaction_added", "user": "U1"}, event_id="EvSAME")
    again = double.resend(first, retry_num=1)
    explicit = double.send_event({"type": "reaction_added", "user": "U1"}, retry_num=2, event_id="EvSAME")
    assert first.status == again.status == explicit.status == 200
    (h1, b1), (h2, b2), (h3, b3) = server.requests[-3:]
    assert "x-slack-retry-num" not in h1
    assert h2["x-slack-retry-num"] == "1" and h2["x-slack-retry-reason"] == "http_timeout" and b2 == b1
    assert h3["x-slack-retry-num"] == "2"
    assert json.loads(b1)["event_id"] == json.loads(b3)["event_id"] == "EvSAME"


def test_url_verification(env: tuple[SlackDouble, Any, Seen]) -> None:
    double, _, _ = env
    d = double.send_url_verification("abc123")
    assert d.status == 200 and "abc123" in d.body


def test_slash_command_and_response_url(env: tuple[SlackDouble, Any, Seen]) -> None:
    double, server, seen = env
    d = double.send_slash_command("U1", "C1", "/rapport", "ask hi")
    assert d.status == 200
    command = seen.wait("command")
    assert command["command"] == "/rapport" and command["text"] == "ask hi" and command["channel_id"] == "C1"
    assert command["response_url"].startswith(double.url + "/response_url/") and command["trigger_id"]
    assert server.requests[-1][0]["content-type"] == "application/x-www-form-urlencoded"
    (call,) = double.wait_for("response_url")
    assert call.params["text"] == "you said ask hi"
    assert double.messages("C1") == []  # ephemeral by default
    (eph,) = double.messages("C1", include_ephemeral=True)
    assert eph["ephemeral_for"] == "U1" and eph["text"] == "you said ask hi"


def test_slash_command_opens_modal_and_submission_roundtrip(env: tuple[SlackDouble, Any, Seen]) -> None:
    double, _, seen = env
    d = double.send_slash_command("U1", "C1", "/rapport", "approve")
    assert d.status == 200
    double.wait_for("views.open")
    (modal,) = double.open_modals("U1")
    assert modal["callback_id"] == "approval"
    bad = double.submit_view("U1", modal["id"], {"amount": {"value": "lots"}})
    assert bad.status == 200 and json.loads(bad.body)["response_action"] == "errors"
    assert double.open_modals("U1")  # errors keep it open
    ok = double.submit_view("U1", modal["id"], {"value": "250"})
    assert ok.status == 200
    assert double.open_modals("U1") == []  # empty ack closes it
    view = [d for k, d in seen.items if k == "view"][-1]
    assert view["state"]["values"]["amount"]["value"] == {"type": "plain_text_input", "value": "250"}


def test_button_click_and_replace_original(env: tuple[SlackDouble, Any, Seen]) -> None:
    double, _, seen = env
    dm = double.im_channel("U1")
    double.send_message("U1", dm, "hello")
    (post,) = double.wait_for("chat.postMessage")
    ts = double.messages(dm)[-1]["ts"]
    d = double.click_button("U1", dm, ts, "helpful")
    assert d.status == 200
    body = seen.wait("action")
    assert body["actions"][0]["value"] == "yes" and body["actions"][0]["block_id"] == "next"
    assert body["container"]["message_ts"] == ts and body["message"]["ts"] == ts
    double.wait_for("response_url")
    assert double.messages(dm)[-1]["text"] == "Thanks for the feedback"
    assert "blocks" not in double.messages(dm)[-1]


def test_app_home_opened_publishes(env: tuple[SlackDouble, Any, Seen]) -> None:
    double, _, seen = env
    d = double.open_app_home("U1")
    assert d.status == 200
    assert seen.wait("app_home_opened")["tab"] == "home"
    double.wait_for("views.publish")
    home = double.home_view("U1")
    assert home is not None and home["blocks"] == [{"type": "divider"}]
