"""response_url semantics, the page's JSON API, static files and seeding (no bot: deliveries fail softly)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from slackdouble import DEFAULT_CHANNELS, SlackDouble, seed_demo_workspace


def get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, resp.headers["Content-Type"], resp.read().decode()


def post(url: str, data: dict[str, Any]) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=json.dumps(data).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def response_url_for(double: SlackDouble, user: str, channel: str, message_ts: str | None = None) -> str:
    from slackdouble.api import ResponseTarget

    with double.lock:
        return double.api.issue_response_url(ResponseTarget(channel=channel, user=user, message_ts=message_ts))


def test_response_url_ephemeral_in_channel_and_thread(double: SlackDouble) -> None:
    url = response_url_for(double, "U1", "C1")
    hook = WebhookClient(url)
    assert hook.send(text="just you").status_code == 200
    assert hook.send(text="everyone", response_type="in_channel").status_code == 200
    visible = double.messages("C1")
    assert [m["text"] for m in visible] == ["everyone"] and visible[0]["bot_id"] == "B0RAPPORT"
    eph = [m for m in double.messages("C1", include_ephemeral=True) if m.get("ephemeral_for")]
    assert [m["text"] for m in eph] == ["just you"] and eph[0]["ephemeral_for"] == "U1"
    calls = double.calls_for("response_url")
    assert [c.params["text"] for c in calls] == ["just you", "everyone"]


def test_response_url_replace_and_delete_original(double: SlackDouble) -> None:
    c = WebClient(token="x", base_url=double.api_url)
    ts = c.chat_postMessage(channel="C1", text="Approve?", blocks=[{"type": "divider"}])["ts"]
    hook = WebhookClient(response_url_for(double, "U1", "C1", ts))
    hook.send(text="Approved", replace_original=True)
    (msg,) = double.messages("C1")
    assert msg["ts"] == ts and msg["text"] == "Approved" and "blocks" not in msg and msg["edited"]
    hook.send(delete_original=True)
    assert double.messages("C1") == []


def test_response_url_is_limited_to_five_uses(double: SlackDouble) -> None:
    url = response_url_for(double, "U1", "C1")
    statuses = [post(url, {"text": str(i)})[0] for i in range(6)]
    assert statuses == [200] * 5 + [404]
    assert post(double.url + "/response_url/nope", {"text": "x"}) == (404, {"ok": False, "error": "no_service"})


def test_slash_command_without_bot_still_returns_a_delivery(double: SlackDouble) -> None:
    d = double.send_slash_command("U1", "C1", "rapport", "help")
    assert d.status == 0 and d.trigger_id and d.response_url and "no bot_url" in d.body


def test_delivery_to_a_dead_bot_is_reported_not_raised(double: SlackDouble) -> None:
    double.bot_url = "http://127.0.0.1:9/slack/events"
    d = double.send_message("U1", "C1", "hi")
    assert d.status == 0 and "delivery failed" in d.body and not d.ok
    assert double.notices and double.notices[-1]["kind"] == "message"


def test_index_and_static_files(double: SlackDouble) -> None:
    status, ctype, body = get(double.url + "/")
    assert status == 200 and ctype.startswith("text/html") and "/static/app.js" in body
    for name in ("app.js", "blocks.js", "mrkdwn.js", "style.css"):
        assert get(f"{double.url}/static/{name}")[0] == 200
    with pytest.raises(urllib.error.HTTPError):
        get(double.url + "/static/../server.py")
    assert get(double.url + "/healthz")[0] == 200


def test_ui_state_shows_only_what_the_user_sees(double: SlackDouble) -> None:
    c = WebClient(token="x", base_url=double.api_url)
    c.chat_postEphemeral(channel="C1", user="U2", text="for ben")
    double.im_channel("U1")
    state = json.loads(get(double.url + "/ui/state?user=U1")[2])
    assert state["me"] == "U1"
    names = {ch["name"] for ch in state["channels"]}
    assert names == {"support", "private-team", "rapport"}  # U1's DM with the app, not U2's
    assert state["messages"]["C1"] == []
    ben = json.loads(get(double.url + "/ui/state?user=U2")[2])
    assert "private-team" not in {ch["name"] for ch in ben["channels"]}
    assert [m["text"] for m in ben["messages"]["C1"]] == ["for ben"] and ben["messages"]["C1"][0]["ephemeral"]


def test_ui_state_long_poll_wakes_on_change(double: SlackDouble) -> None:
    version = json.loads(get(double.url + "/ui/state?user=U1")[2])["version"]
    result: dict[str, Any] = {}

    def wait() -> None:
        start = time.monotonic()
        result["state"] = json.loads(get(f"{double.url}/ui/state?user=U1&since={version}&wait=5")[2])
        result["elapsed"] = time.monotonic() - start

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.2)
    WebClient(token="x", base_url=double.api_url).chat_postMessage(channel="C1", text="news")
    t.join(5)
    assert result["state"]["version"] > version and result["elapsed"] < 3
    assert [m["text"] for m in result["state"]["messages"]["C1"]] == ["news"]


def test_ui_send_message_and_slash_command(double: SlackDouble) -> None:
    status, body = post(double.url + "/ui/send", {"user": "U1", "channel": "C1", "text": "<@U0RAPPORTBOT> hi"})
    assert status == 200 and body["ok"] and body["ts"]
    assert double.messages("C1")[0]["text"] == "<@U0RAPPORTBOT> hi" and double.messages("C1")[0]["user"] == "U1"
    # no bot_url: attempted (message + app_mention, as Slack would send) but not delivered
    assert [(d.kind, d.status) for d in double.deliveries] == [("message", 0), ("app_mention", 0)]
    status, body = post(double.url + "/ui/send", {"user": "U1", "channel": "C1", "text": "/rapport ask x"})
    assert status == 200 and body["ok"]
    status, body = post(double.url + "/ui/send", {"user": "U404", "channel": "C1", "text": "x"})
    assert status == 404
    assert post(double.url + "/ui/nope", {})[0] == 404


def test_thread_reply_from_the_page(double: SlackDouble) -> None:
    _, first = post(double.url + "/ui/send", {"user": "U1", "channel": "C1", "text": "q"})
    post(double.url + "/ui/send", {"user": "U2", "channel": "C1", "text": "a", "thread_ts": first["ts"]})
    assert [m["text"] for m in double.thread("C1", first["ts"])] == ["q", "a"]


def test_seed_demo_workspace() -> None:
    d = SlackDouble("s")
    seed_demo_workspace(
        d, [("U0A", "ana", "Europe/Lisbon"), ("U0B", "ben", "America/New_York", "Ben O.")], admins=["U0A"]
    )
    ws = d.workspace
    assert ws.users["U0A"].tz == "Europe/Lisbon" and ws.users["U0A"].is_admin
    assert ws.users["U0B"].real_name == "Ben O." and not ws.users["U0B"].is_admin
    assert {c.name for c in ws.channels.values() if not c.is_im} == {name for _, name, _ in DEFAULT_CHANNELS}
    assert {c.user for c in ws.channels.values() if c.is_im} == {"U0A", "U0B"}
    seed_demo_workspace(d, [], channels=[("C9", "alerts")])
    assert ws.find_channel("#alerts") is not None
