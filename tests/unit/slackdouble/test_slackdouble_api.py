"""The Web API as slack_sdk sees it: responses, recorded calls, errors, fault injection."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from slackdouble import SlackDouble

BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Hello*"}},
    {
        "type": "actions",
        "block_id": "next",
        "elements": [
            {"type": "button", "action_id": "ack", "text": {"type": "plain_text", "text": "Ack"}, "value": "1"}
        ],
    },
]


def client(double: SlackDouble, **kw: object) -> WebClient:
    return WebClient(token="xoxb-test", base_url=double.api_url, **kw)  # type: ignore[arg-type]


def test_urls(double: SlackDouble) -> None:
    assert double.url.startswith("http://127.0.0.1:") and double.port > 0
    assert double.api_url == double.url + "/api/"


def test_auth_test(double: SlackDouble) -> None:
    resp = client(double).auth_test()
    assert resp["ok"] is True
    assert resp["user_id"] == double.bot_user_id and resp["team_id"] == double.team_id
    assert resp["bot_id"] == "B0RAPPORT" and resp["url"].startswith("https://")


def test_missing_and_wrong_token() -> None:
    d = SlackDouble("s", bot_token="xoxb-right").start()
    try:
        with pytest.raises(SlackApiError) as err:
            WebClient(base_url=d.api_url).auth_test()
        assert err.value.response["error"] == "not_authed"
        with pytest.raises(SlackApiError) as err:
            WebClient(token="xoxb-wrong", base_url=d.api_url).auth_test()
        assert err.value.response["error"] == "invalid_auth"
        assert WebClient(token="xoxb-right", base_url=d.api_url).auth_test()["ok"]
    finally:
        d.stop()


def test_token_as_form_param_and_form_encoded_blocks(double: SlackDouble) -> None:
    body = urllib.parse.urlencode({"token": "xoxb-x", "channel": "C1", "text": "hi", "blocks": json.dumps(BLOCKS)})
    req = urllib.request.Request(
        double.api_url + "chat.postMessage",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(req) as resp:
        data = json.loads(resp.read())
    assert data["ok"] is True and data["message"]["blocks"] == BLOCKS
    (call,) = double.calls_for("chat.postMessage")
    assert call.method == "chat.postMessage" and call.params["channel"] == "C1"
    assert "token" not in call.params  # secrets are not recorded


def test_post_message_update_delete(double: SlackDouble) -> None:
    c = client(double)
    posted = c.chat_postMessage(channel="C1", text="Hello", blocks=BLOCKS)
    assert posted["channel"] == "C1" and posted["ts"] == posted["message"]["ts"]
    assert posted["message"]["bot_id"] == "B0RAPPORT" and posted["message"]["blocks"] == BLOCKS
    updated = c.chat_update(channel="C1", ts=posted["ts"], text="Done", blocks=[])
    assert updated["ts"] == posted["ts"] and updated["text"] == "Done" and updated["message"]["text"] == "Done"
    assert double.messages("C1")[0]["text"] == "Done"
    deleted = c.chat_delete(channel="C1", ts=posted["ts"])
    assert deleted.data == {"ok": True, "channel": "C1", "ts": posted["ts"]}
    assert double.messages("C1") == []
    assert [m for m, _, _ in double.calls] == ["chat.postMessage", "chat.update", "chat.delete"]


# the no_text case sends no text on purpose: slack_sdk's client-side warning about it is expected here
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
def test_post_message_errors(double: SlackDouble) -> None:
    c = client(double)
    for kwargs, error in [
        ({"channel": "C404", "text": "x"}, "channel_not_found"),
        ({"channel": "C1"}, "no_text"),
        ({"channel": "C1", "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": "C1", "text": "x", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
        ({"channel": "C2", "text": "x"}, "not_in_channel"),
    ]:
        with pytest.raises(SlackApiError) as err:
            c.chat_postMessage(**kwargs)  # type: ignore[arg-type]
        assert err.value.response["ok"] is False and err.value.response["error"] == error


def test_channel_by_name_and_user_id(double: SlackDouble) -> None:
    c = client(double)
    assert c.chat_postMessage(channel="#support", text="a")["channel"] == "C1"
    dm = c.chat_postMessage(channel="U2", text="b")["channel"]
    assert dm.startswith("D") and c.conversations_open(users="U2")["channel"]["id"] == dm


def test_cannot_update_a_humans_message(double: SlackDouble) -> None:
    d = double.send_message("U1", "C1", "hi")  # no bot_url: stored, not delivered
    assert d.status == 0 and d.ts
    with pytest.raises(SlackApiError) as err:
        client(double).chat_update(channel="C1", ts=d.ts, text="edited")
    assert err.value.response["error"] == "cant_update_message"


def test_threads_history_and_replies(double: SlackDouble) -> None:
    c = client(double)
    human = double.send_message("U1", "C1", "question")
    assert human.ts is not None
    r1 = c.chat_postMessage(channel="C1", thread_ts=human.ts, text="answer 1")
    c.chat_postMessage(channel="C1", thread_ts=r1["ts"], text="answer 2")  # reply to a reply joins the thread
    top = c.chat_postMessage(channel="C1", text="later")
    hist = c.conversations_history(channel="C1")
    assert [m["ts"] for m in hist["messages"]] == [top["ts"], human.ts]  # newest first, no replies
    parent = hist["messages"][1]
    assert parent["reply_count"] == 2 and parent["thread_ts"] == human.ts and parent["latest_reply"]
    replies = c.conversations_replies(channel="C1", ts=human.ts)
    assert [m["text"] for m in replies["messages"]] == ["question", "answer 1", "answer 2"]
    assert all(m["thread_ts"] == human.ts for m in replies["messages"])
    assert c.conversations_history(channel="C1", limit=1)["has_more"] is True
    with pytest.raises(SlackApiError) as err:
        c.conversations_replies(channel="C1", ts="1.000000")
    assert err.value.response["error"] == "thread_not_found"


def test_post_ephemeral(double: SlackDouble) -> None:
    c = client(double)
    resp = c.chat_postEphemeral(channel="C1", user="U2", text="only you")
    assert resp["ok"] and resp["message_ts"]
    assert double.messages("C1") == []  # not in history
    (eph,) = double.messages("C1", include_ephemeral=True)
    assert eph["ephemeral_for"] == "U2" and eph["text"] == "only you"
    with pytest.raises(SlackApiError) as err:
        c.chat_postEphemeral(channel="C2", user="U2", text="x")
    assert err.value.response["error"] == "user_not_in_channel"


def test_users(double: SlackDouble) -> None:
    c = client(double)
    info = c.users_info(user="U1")["user"]
    assert info["id"] == "U1" and info["name"] == "ana.silva" and info["real_name"] == "Ana Silva"
    assert info["tz"] == "Europe/Lisbon" and info["is_admin"] is True and info["profile"]["real_name"] == "Ana Silva"
    with pytest.raises(SlackApiError) as err:
        c.users_info(user="U404")
    assert err.value.response["error"] == "user_not_found"
    members = c.users_list()["members"]
    assert {m["id"] for m in members} == {"U1", "U2", double.bot_user_id}
    page = c.users_list(limit=2)
    assert len(page["members"]) == 2 and page["response_metadata"]["next_cursor"] == "2"


def test_conversations_open_and_info(double: SlackDouble) -> None:
    c = client(double)
    first = c.conversations_open(users="U1")
    assert first["channel"]["id"].startswith("D") and "already_open" not in first
    again = c.conversations_open(users=["U1"])
    assert again["channel"]["id"] == first["channel"]["id"] and again["already_open"] is True
    info = c.conversations_info(channel=first["channel"]["id"])["channel"]
    assert info["is_im"] is True and info["user"] == "U1"
    chan = c.conversations_info(channel="C1")["channel"]
    assert chan["name"] == "support" and chan["is_channel"] is True and chan["is_member"] is True
    with pytest.raises(SlackApiError):
        c.conversations_open(users="U404")


def test_reactions(double: SlackDouble) -> None:
    c = client(double)
    ts = c.chat_postMessage(channel="C1", text="x")["ts"]
    assert c.reactions_add(channel="C1", timestamp=ts, name="eyes")["ok"]
    with pytest.raises(SlackApiError) as err:
        c.reactions_add(channel="C1", timestamp=ts, name="eyes")
    assert err.value.response["error"] == "already_reacted"
    assert double.messages("C1")[0]["reactions"] == [{"name": "eyes", "users": [double.bot_user_id], "count": 1}]


def test_views_open_needs_a_valid_unused_trigger(double: SlackDouble) -> None:
    c = client(double)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Approve"}, "blocks": []}
    with pytest.raises(SlackApiError) as err:
        c.views_open(trigger_id="12345.98765.abcd2358fdea", view=modal)
    assert err.value.response["error"] == "invalid_trigger_id"
    trigger = double.issue_trigger("U1")
    opened = c.views_open(trigger_id=trigger, view=modal)["view"]
    assert opened["id"].startswith("V") and opened["type"] == "modal" and opened["root_view_id"] == opened["id"]
    assert opened["state"] == {"values": {}} and opened["hash"]
    assert [v["id"] for v in double.open_modals("U1")] == [opened["id"]]
    with pytest.raises(SlackApiError) as err:
        c.views_open(trigger_id=trigger, view=modal)  # used once already
    assert err.value.response["error"] == "invalid_trigger_id"


def test_expired_trigger() -> None:
    d = SlackDouble("s", trigger_ttl=0.05).start()
    try:
        d.add_user("U1", "ana")
        trigger = d.issue_trigger("U1")
        time.sleep(0.1)
        modal = {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []}
        with pytest.raises(SlackApiError) as err:
            WebClient(token="x", base_url=d.api_url).views_open(trigger_id=trigger, view=modal)
        assert err.value.response["error"] == "expired_trigger_id"
    finally:
        d.stop()


def test_views_push_update_publish(double: SlackDouble) -> None:
    c = client(double)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "One"}, "blocks": []}
    first = c.views_open(trigger_id=double.issue_trigger("U1"), view=modal)["view"]
    pushed = c.views_push(
        trigger_id=double.issue_trigger("U1"), view={**modal, "title": {"type": "plain_text", "text": "Two"}}
    )
    assert pushed["view"]["previous_view_id"] == first["id"] and pushed["view"]["root_view_id"] == first["id"]
    upd = c.views_update(view_id=first["id"], hash=first["hash"], view={**modal, "private_metadata": "m"})
    assert upd["view"]["private_metadata"] == "m" and upd["view"]["hash"] != first["hash"]
    with pytest.raises(SlackApiError) as err:
        c.views_update(view_id=first["id"], hash=first["hash"], view=modal)
    assert err.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as err:
        c.views_update(view_id="V404", view=modal)
    assert err.value.response["error"] == "not_found"
    home = {"type": "home", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Your accounts"}}]}
    pub = c.views_publish(user_id="U2", view=home)["view"]
    assert pub["type"] == "home" and double.home_view("U2")["id"] == pub["id"]  # type: ignore[index]
    again = c.views_publish(user_id="U2", view=home)["view"]
    assert again["id"] == pub["id"]
    with pytest.raises(SlackApiError) as err:
        c.views_open(trigger_id=double.issue_trigger("U1"), view={"type": "modal", "blocks": []})  # no title
    assert err.value.response["error"] == "invalid_arguments"


def test_files_upload_v2(double: SlackDouble) -> None:
    c = client(double)
    resp = c.files_upload_v2(channel="C1", content="a,b\n1,2\n", filename="report.csv", title="Report")
    assert resp["ok"] and resp["file"]["title"] == "Report"
    methods = [m for m, _, _ in double.calls]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    (msg,) = double.messages("C1")
    assert msg["files"][0]["name"] == "report.csv"


def test_unknown_method(double: SlackDouble) -> None:
    with pytest.raises(SlackApiError) as err:
        client(double).api_call("nope.nothing")
    assert err.value.response.data == {"ok": False, "error": "unknown_method"}
    assert double.calls_for("nope.nothing")


def test_429_is_retried_by_rate_limit_handler(double: SlackDouble) -> None:
    double.fail_next("chat.postMessage", status=429, retry_after=0, times=2)
    c = client(double, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)])
    assert c.chat_postMessage(channel="C1", text="after retries")["ok"]
    assert len(double.calls_for("chat.postMessage")) == 3
    assert len(double.messages("C1")) == 1


def test_429_response_shape(double: SlackDouble) -> None:
    double.fail_next("chat.postMessage", status=429, retry_after=7)
    req = urllib.request.Request(
        double.api_url + "chat.postMessage",
        data=json.dumps({"channel": "C1", "text": "x"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer xoxb-1"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req)
    assert err.value.code == 429 and err.value.headers["Retry-After"] == "7"
    assert json.loads(err.value.read()) == {"ok": False, "error": "ratelimited"}
    # without a retry handler slack_sdk surfaces the 429; with none left the call succeeds
    assert client(double).chat_postMessage(channel="C1", text="x")["ok"]


def test_500_burst_is_retried_by_server_error_handler(double: SlackDouble) -> None:
    double.fail_next("chat.update", status=500, times=1)
    double.fail_next("*", status=503, times=1)
    c = client(double, retry_handlers=[ServerErrorRetryHandler(max_retry_count=2)])
    ts = c.chat_postMessage(channel="C1", text="x")["ts"]  # the "*" fault hits this first call
    assert c.chat_update(channel="C1", ts=ts, text="y")["ok"]
    assert len(double.calls_for("chat.postMessage")) == 2 and len(double.calls_for("chat.update")) == 2


def test_fail_next_with_an_error_code(double: SlackDouble) -> None:
    double.fail_next("chat.postMessage", status=200, error="channel_not_found")
    with pytest.raises(SlackApiError) as err:
        client(double).chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 200 and err.value.response["error"] == "channel_not_found"


def test_calls_are_thread_safe_and_wait_for(double: SlackDouble) -> None:
    import threading

    c = client(double)
    threads = [threading.Thread(target=c.chat_postMessage, kwargs={"channel": "C1", "text": str(i)}) for i in range(20)]
    for t in threads:
        t.start()
    assert len(double.wait_for("chat.postMessage", count=20, timeout=10)) == 20
    for t in threads:
        t.join()
    assert len({m["ts"] for m in double.messages("C1")}) == 20
    with pytest.raises(TimeoutError):
        double.wait_for("views.open", timeout=0.05)
