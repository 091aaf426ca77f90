"""The sandbox page in a real headless Chromium (Playwright), against a tiny bot stub.

Skipped cleanly when the `playwright` package or /usr/bin/chromium is missing.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_sdk import WebClient

from slackdouble import SlackDouble, seed_demo_workspace, verify

pytestmark = pytest.mark.enable_socket

SECRET = "browser-test-secret"
ROSTER = [("U0ANA", "ana.silva", "Europe/Lisbon"), ("U0BEN", "ben.okafor", "America/New_York")]
MODAL = {
    "type": "modal",
    "callback_id": "approval",
    "title": {"type": "plain_text", "text": "Request approval"},
    "submit": {"type": "plain_text", "text": "Submit"},
    "blocks": [
        {
            "type": "input",
            "block_id": "amount",
            "label": {"type": "plain_text", "text": "Amount (USD)"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "kind",
            "label": {"type": "plain_text", "text": "Kind"},
            "element": {
                "type": "static_select",
                "action_id": "pick",
                "options": [
                    {"text": {"type": "plain_text", "text": "Refund"}, "value": "refund"},
                    {"text": {"type": "plain_text", "text": "Credit"}, "value": "credit"},
                ],
            },
        },
    ],
}


class BotStub:
    """Answers like a bot would: verifies Slack's signature, acks, then calls the Web API."""

    def __init__(self, double: SlackDouble) -> None:
        self.double = double
        self.client = WebClient(token="xoxb-stub", base_url=double.api_url)
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.cond = threading.Condition()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                ok = verify(
                    SECRET,
                    self.headers.get("X-Slack-Request-Timestamp", ""),
                    raw,
                    self.headers.get("X-Slack-Signature", ""),
                )
                if not ok:
                    self.send_response(401)
                    self.end_headers()
                    return
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw)
                else:
                    form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                    body = json.loads(form["payload"]) if "payload" in form else form
                reply = stub.handle(body)
                data = json.dumps(reply).encode() if reply else b""
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def record(self, kind: str, body: dict[str, Any]) -> None:
        with self.cond:
            self.seen.append((kind, body))
            self.cond.notify_all()

    def wait(self, kind: str, timeout: float = 10) -> dict[str, Any]:
        with self.cond:
            assert self.cond.wait_for(lambda: any(k == kind for k, _ in self.seen), timeout), self.seen
            return next(b for k, b in self.seen if k == kind)

    def later(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        threading.Thread(target=fn, args=args, kwargs=kwargs, daemon=True).start()

    def handle(self, body: dict[str, Any]) -> dict[str, Any] | None:
        if body.get("type") == "event_callback":
            event = body["event"]
            self.record(event["type"], event)
            if event["type"] == "app_mention":
                self.later(
                    self.client.chat_postMessage,
                    channel=event["channel"],
                    thread_ts=event["ts"],
                    text="Platinum SLA: 1 hour",
                    blocks=[
                        {"type": "header", "text": {"type": "plain_text", "text": "Answer"}},
                        {
                            "type": "section",
                            "text": {
                                "type": "mrkdwn",
                                "text": "*Platinum* response target is _1 hour_.\n"
                                "See <https://example.com/sla|SLA playbook>",
                            },
                            "fields": [
                                {"type": "mrkdwn", "text": "*Tier*\nPlatinum"},
                                {"type": "mrkdwn", "text": "*Owner*\n<@U0BEN>"},
                            ],
                        },
                        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Source: `playbooks/sla.md`"}]},
                        {"type": "divider"},
                        {
                            "type": "actions",
                            "block_id": "next_steps",
                            "elements": [
                                {
                                    "type": "button",
                                    "action_id": "escalate",
                                    "style": "danger",
                                    "text": {"type": "plain_text", "text": "Escalate"},
                                    "value": "acme",
                                }
                            ],
                        },
                    ],
                )
            elif event["type"] == "app_home_opened":
                self.later(
                    self.client.views_publish,
                    user_id=event["user"],
                    view={
                        "type": "home",
                        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Your accounts"}}],
                    },
                )
            return None
        if body.get("type") == "block_actions":
            self.record("block_actions", body)
            url = body.get("response_url")
            if url:
                self.later(_post_json, url, {"replace_original": True, "text": f"Escalated by <@{body['user']['id']}>"})
            return None
        if body.get("type") == "view_submission":
            self.record("view_submission", body)
            amount = body["view"]["state"]["values"]["amount"]["value"]["value"] or ""
            if not amount.isdigit():
                return {"response_action": "errors", "errors": {"amount": "Enter a whole number"}}
            return None
        if body.get("command"):
            self.record("command", body)
            if body["text"] == "approve":
                self.client.views_open(trigger_id=body["trigger_id"], view=MODAL)
                return None
            return {"text": "Only you can see this help"}
        return None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _post_json(url: str, data: dict[str, Any]) -> None:
    import urllib.request

    req = urllib.request.Request(
        url, data=json.dumps(data).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    urllib.request.urlopen(req, timeout=5).read()


@pytest.fixture
def sandbox() -> Iterator[tuple[SlackDouble, BotStub]]:
    double = SlackDouble(SECRET, trigger_ttl=10.0).start()
    seed_demo_workspace(double, ROSTER)
    stub = BotStub(double)
    double.bot_url = stub.url
    yield double, stub
    stub.stop()
    double.stop()


def test_ask_see_answer_click_button(sandbox: tuple[SlackDouble, BotStub], page: Any) -> None:
    double, stub = sandbox
    page.goto(f"{double.url}/?user=U0ANA")
    page.locator(".channel-link", has_text="support").click()
    page.wait_for_selector("#channel-title:has-text('#support')")
    page.fill("#composer", "@rapport what is the SLA for Acme?")
    page.press("#composer", "Enter")

    mention = stub.wait("app_mention")
    assert mention["text"] == f"<@{double.bot_user_id}> what is the SLA for Acme?"
    assert mention["user"] == "U0ANA" and mention["channel"] == "C0SUPPORT"

    page.locator(".replies-link", has_text="1 reply").click()
    thread = page.locator("#thread")
    thread.locator("h3", has_text="Answer").wait_for()
    assert thread.locator("b", has_text="Platinum").count() >= 1  # mrkdwn bold
    assert thread.locator("i", has_text="1 hour").count() == 1
    link = thread.locator("a", has_text="SLA playbook")
    assert link.get_attribute("href") == "https://example.com/sla"
    assert thread.locator(".mention", has_text="@ben.okafor").count() == 1
    assert thread.locator("code", has_text="playbooks/sla.md").count() == 1

    thread.locator("button.btn", has_text="Escalate").click()
    click = stub.wait("block_actions")
    assert click["user"]["id"] == "U0ANA"
    assert click["actions"][0]["action_id"] == "escalate" and click["actions"][0]["value"] == "acme"
    assert click["actions"][0]["block_id"] == "next_steps"
    thread.locator(".msg-text", has_text="Escalated by @ana.silva").wait_for()


def test_slash_command_modal_and_ephemeral(sandbox: tuple[SlackDouble, BotStub], page: Any) -> None:
    double, stub = sandbox
    page.goto(f"{double.url}/?user=U0ANA")
    page.locator(".channel-link", has_text="support").click()

    page.fill("#composer", "/rapport help")
    page.press("#composer", "Enter")
    assert stub.wait("command")["text"] == "help"
    page.locator(".message.ephemeral", has_text="Only you can see this help").wait_for()

    page.fill("#composer", "/rapport approve")
    page.press("#composer", "Enter")
    modal = page.locator("#modal")
    modal.locator(".modal-head", has_text="Request approval").wait_for()
    modal.locator("input[data-action-id='value']").fill("lots")
    modal.locator("select[data-action-id='pick']").select_option("credit")
    modal.locator("button.modal-submit").click()
    modal.locator(".error", has_text="Enter a whole number").wait_for()
    modal.locator("input[data-action-id='value']").fill("250")
    modal.locator("button.modal-submit").click()
    page.wait_for_selector("#modal-backdrop", state="hidden")
    submissions = [b for k, b in stub.seen if k == "view_submission"]
    values = submissions[-1]["view"]["state"]["values"]
    assert values["amount"]["value"]["value"] == "250"
    assert values["kind"]["pick"]["selected_option"]["value"] == "credit"

    # the ephemeral help is only visible to the user who ran the command
    page.select_option("#user-select", "U0BEN")
    page.wait_for_function("document.querySelector('#user-select').value === 'U0BEN'")
    page.locator(".channel-link", has_text="support").click()
    page.wait_for_timeout(300)
    assert page.locator(".message.ephemeral").count() == 0


def test_app_home_tab(sandbox: tuple[SlackDouble, BotStub], page: Any) -> None:
    double, stub = sandbox
    page.goto(f"{double.url}/?user=U0BEN")
    page.locator("#app-list .channel-link").click()
    assert stub.wait("app_home_opened")["user"] == "U0BEN"
    page.locator("#home h3", has_text="Your accounts").wait_for()
    page.locator(".tab[data-tab='messages']").click()
    page.fill("#composer", "hello bot")
    page.press("#composer", "Enter")
    dm = stub.wait("message")
    assert dm["channel_type"] == "im" and dm["text"] == "hello bot"
