"""The double grants the bot only the scopes of Rapport's manifest and refuses the rest as Slack does
(``missing_scope`` naming `needed` and `provided`); the manifest asks for what the code calls and no more."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

import slackdouble
from slackdouble import SlackDouble
from slackdouble.scopes import ALL_SCOPES, manifest_scopes, needed_scopes

REPO = Path(slackdouble.__file__).resolve().parents[1]
MANIFEST = REPO / "bot" / "slack" / "manifest.yaml"

# Scopes an event subscription needs (https://api.slack.com/events): the manifest may ask for these
# without a Web API call using them.
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "app_home_opened": None,
    "reaction_added": "reactions:read",
    "channel_shared": "channels:read",  # groups:read for private channels
    "member_joined_channel": "channels:read",
}
# Scopes that change what a granted call returns rather than allowing a call: users.info shows
# profile.email only with users:read.email (bot.channels.proposals matches external members' email domains).
VISIBILITY_SCOPES = {"users:read.email"}
# Methods the bot calls on channels only (a customer channel), never on DMs: they need the channel kinds' scopes.
CHANNEL_ONLY = {"conversations.info", "conversations.members"}
# What a Bolt call in bot/ becomes on the wire (files_upload_v2 is three steps; the upload is no API call).
CALL_METHODS = {"files_upload_v2": ["files.getUploadURLExternal", "files.completeUploadExternal"]}
CALL = re.compile(r"\bclient\.([a-z]+_[A-Za-z0-9_]+)\(")


@pytest.fixture
def manifest_double() -> Iterator[SlackDouble]:
    d = SlackDouble("s")  # no scopes given: the manifest's
    d.add_user("U1", "ana.silva")
    d.add_channel("C1", "support")
    d.add_channel("C2", "private-team", is_private=True)
    d.start()
    yield d
    d.stop()


def bot(d: SlackDouble) -> WebClient:
    return WebClient(token="xoxb-test", base_url=d.api_url)


def refused(call: object) -> dict[str, object]:
    with pytest.raises(SlackApiError) as err:
        call()  # type: ignore[operator]
    return dict(err.value.response.data)  # type: ignore[arg-type]


def code_methods() -> set[str]:
    """Every Web API method the bot's code calls through a slack_sdk client."""
    methods: set[str] = set()
    for path in (REPO / "bot").rglob("*.py"):
        for name in CALL.findall(path.read_text()):
            methods.update(CALL_METHODS.get(name) or [name.replace("_", ".", 1)])
    return methods


def test_the_default_grant_is_the_manifests_bot_scopes(manifest_double: SlackDouble) -> None:
    data = yaml.safe_load(MANIFEST.read_text())
    assert manifest_double.api.scopes == frozenset(data["oauth_config"]["scopes"]["bot"]) == manifest_scopes()
    assert manifest_scopes(MANIFEST) == manifest_scopes()


def test_a_call_outside_the_grant_is_refused_like_slack(manifest_double: SlackDouble) -> None:
    c = bot(manifest_double)
    assert c.chat_postMessage(channel="C1", text="hi")["ok"]  # chat:write is granted
    body = refused(lambda: c.usergroups_list())
    assert body["error"] == "missing_scope" and body["needed"] == "usergroups:read"
    assert body["provided"] == ",".join(sorted(manifest_scopes()))
    assert refused(lambda: c.reactions_add(channel="C1", timestamp="1.0", name="eyes"))["needed"] == "reactions:write"
    dm = c.conversations_open(users="U1")["channel"]["id"]
    assert refused(lambda: c.conversations_info(channel=dm))["needed"] == "im:read"
    assert manifest_double.scope_refusals == [
        ("usergroups.list", "usergroups:read"),
        ("reactions.add", "reactions:write"),
        ("conversations.info", "im:read"),
    ]
    resp = c.api_call("auth.test")
    assert resp.headers["X-OAuth-Scopes"] == ",".join(sorted(manifest_scopes()))


def test_conversation_methods_need_the_scope_of_the_conversations_kind(manifest_double: SlackDouble) -> None:
    c = bot(manifest_double)
    dm = c.conversations_open(users="U1")["channel"]["id"]  # im:write
    assert c.conversations_history(channel=dm)["ok"]  # im:history
    assert c.conversations_history(channel="C2")["ok"]  # groups:history
    group = refused(lambda: c.conversations_open(users="U1,U0RAPPORTBOT,U9"))
    assert group["needed"] == "mpim:write"
    assert needed_scopes("conversations.replies", ["mpim"]) == ("mpim:history",)
    assert needed_scopes("conversations.list", ["public_channel", "im"]) == ("channels:read", "im:read")


def test_the_kpi_upload_path_is_granted(manifest_double: SlackDouble) -> None:
    resp = bot(manifest_double).files_upload_v2(channel="C1", content=b"\x89PNG", filename="chart.png")
    assert resp["ok"] and manifest_double.scope_refusals == []


def test_tokens_of_the_wrong_kind_are_refused(manifest_double: SlackDouble) -> None:
    app = WebClient(token="xapp-1-A0RAPPORT-1-abc", base_url=manifest_double.api_url)
    assert refused(lambda: app.chat_postMessage(channel="C1", text="hi"))["error"] == "not_allowed_token_type"
    assert refused(lambda: bot(manifest_double).apps_connections_open(app_token="xoxb-test"))["error"] == (
        "not_allowed_token_type"
    )
    assert app.apps_connections_open(app_token="xapp-1-A0RAPPORT-1-abc")["url"].startswith("ws://127.0.0.1:")


def test_every_method_the_code_calls_is_granted_by_the_manifest() -> None:
    methods = code_methods()
    assert {"chat.postMessage", "chat.update", "views.open", "files.completeUploadExternal"} <= methods
    granted = manifest_scopes()
    # The bot reads threads and DMs in public and private channels and DMs (its event subscriptions).
    kinds = ["public_channel", "private_channel", "im"]
    missing = {
        m: s for m in methods for s in needed_scopes(m, kinds[:2] if m in CHANNEL_ONLY else kinds) if s not in granted
    }
    assert missing == {}


def test_the_manifest_asks_for_nothing_the_code_does_not_use() -> None:
    data = yaml.safe_load(MANIFEST.read_text())
    events = data["settings"]["event_subscriptions"]["bot_events"]
    kinds = ["public_channel", "private_channel", "im"]
    used = {s for m in code_methods() for s in needed_scopes(m, kinds[:2] if m in CHANNEL_ONLY else kinds)}
    used |= {s for e in events if (s := EVENT_SCOPES[e])} | VISIBILITY_SCOPES
    if data["features"].get("slash_commands") or data["features"].get("shortcuts"):
        used.add("commands")
    assert set(data["oauth_config"]["scopes"]["bot"]) == used


def test_all_scopes_switches_enforcement_off(double: SlackDouble) -> None:
    assert double.api.scopes == ALL_SCOPES
    assert bot(double).users_info(user="U1")["ok"]
