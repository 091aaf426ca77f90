"""What the page's composer sends, as Slack's client would: typed @names become mention tokens
case-insensitively (so `@Rapport` is the bot), user groups are known by handle, and a message that
mentions nobody the workspace knows is still delivered. Also the emoji table the page loads."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slackdouble import SlackDouble, seed_demo_workspace

from .conftest import SECRET

BOT = "U0RAPPORTBOT"


def send(double: SlackDouble, user: str, channel: str, text: str, thread_ts: str | None = None) -> dict[str, Any]:
    status, body = double.ui_action("send", {"user": user, "channel": channel, "text": text, "thread_ts": thread_ts})
    assert status == 200, body
    return body


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("@Rapport what is the SLA?", f"<@{BOT}> what is the SLA?"),  # the help text's own example
        ("@RAPPORT hi", f"<@{BOT}> hi"),
        ("thanks @ana.silva.", "thanks <@U1>."),
        ("ask @sales-managers or @Legal-Team", "ask <!subteam^S0SALES> or <!subteam^S0LEGAL>"),
        ("@here heads up", "<!here> heads up"),
        ("@nobody hello", "@nobody hello"),
        ("mail ana@rapport.example", "mail ana@rapport.example"),
        ("@rapportx is not the bot", "@rapportx is not the bot"),
    ],
)
def test_typed_mentions_become_tokens(double: SlackDouble, typed: str, sent: str) -> None:
    double.add_usergroup("S0SALES", "sales-managers", "Sales managers", ["U1"])
    double.add_usergroup("S0LEGAL", "legal-team", "Legal", ["U2"])
    body = send(double, "U2", "C1", typed)
    assert double.messages("C1")[-1]["text"] == sent and double.messages("C1")[-1]["ts"] == body["ts"]


def test_slash_command_text_is_sent_as_typed(double: SlackDouble) -> None:
    send(double, "U1", "C1", "/rapport ask @Rapport who approves?")
    assert double.deliveries[-1].kind == "slash_command"
    assert "text=ask+%40Rapport+who+approves%3F" in double.deliveries[-1].request_body  # should_escape: false


def test_capitalised_mention_reaches_the_bot_and_unknown_mentions_are_still_delivered(
    double: SlackDouble, bolt_server: Any
) -> None:
    app = App(signing_secret=SECRET, client=WebClient(token="xoxb-test", base_url=double.api_url))
    seen: list[tuple[str, str]] = []

    @app.event("app_mention")
    def mention(event: dict[str, Any]) -> None:
        seen.append(("app_mention", event["text"]))

    @app.event("message")
    def message(event: dict[str, Any]) -> None:
        seen.append(("message", event["text"]))

    server = bolt_server(app)
    double.bot_url = server.url
    try:
        send(double, "U1", "C1", "@Rapport what is the SLA for gold?")
        send(double, "U1", "C1", "@nobody are you there?")
        dm = double.im_channel("U1")
        send(double, "U1", dm, "@someone in a DM")
    finally:
        server.stop()
    assert [(d.kind, d.status) for d in double.deliveries] == [
        ("message", 200),
        ("app_mention", 200),  # @Rapport: a mention, as Slack's client would send it
        ("message", 200),  # @nobody: still delivered, as a plain message
        ("message", 200),
    ]
    assert ("app_mention", f"<@{BOT}> what is the SLA for gold?") in seen
    assert ("message", "@nobody are you there?") in seen and ("message", "@someone in a DM") in seen
    assert not any(k == "app_mention" and "nobody" in t for k, t in seen)


def test_user_groups_in_the_web_api_and_the_page_state(double: SlackDouble) -> None:
    double.add_usergroup("S0SALES", "sales-managers", "Sales managers", ["U1", "U2"])
    client = WebClient(token="xoxb-test", base_url=double.api_url)
    (group,) = client.usergroups_list(include_users=True)["usergroups"]
    assert group["id"] == "S0SALES" and group["handle"] == "sales-managers" and group["users"] == ["U1", "U2"]
    assert "users" not in client.usergroups_list()["usergroups"][0]
    assert client.usergroups_users_list(usergroup="S0SALES")["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError) as err:
        client.usergroups_users_list(usergroup="S0NOPE")
    assert err.value.response["error"] == "no_such_subteam"
    assert double.ui_state("U1")["usergroups"] == [
        {"id": "S0SALES", "handle": "sales-managers", "name": "Sales managers"}
    ]


def test_seed_demo_workspace_adds_the_groups_of_roles_yaml() -> None:
    d = SlackDouble("s")
    seed_demo_workspace(
        d,
        [("U0SALESMGR", "jordan", "America/Denver"), ("U0CSLEAD", "dana", "America/New_York")],
        groups=[("S0SALESMGR", "sales-managers", "Sales managers", ["U0SALESMGR", "U0CSLEAD"])],
    )
    group = d.workspace.usergroups["S0SALESMGR"]
    assert (group.handle, group.name, group.users) == ("sales-managers", "Sales managers", ["U0SALESMGR", "U0CSLEAD"])


def test_the_page_loads_slacks_emoji_table(double: SlackDouble) -> None:
    with urllib.request.urlopen(double.url + "/ui/emoji", timeout=5) as resp:
        assert resp.headers["Content-Type"].startswith("application/json")
        table = json.loads(resp.read().decode("utf-8"))
    assert table["names"]["+1"] == "\U0001f44d" and table["names"]["office"] == "\U0001f3e2"
    assert table["skin"]["wave"][4] == "\U0001f44b\U0001f3ff"
