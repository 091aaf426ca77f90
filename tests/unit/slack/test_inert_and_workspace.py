"""The pieces behind issue 16 findings 4, 7 and 8: inert/defuse/fallback, which workspace a payload is for, and
the installed workspace check, on shapes from Slack's payloads (tests/security/payloads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.mrkdwn import channel_link, mention, named_groups
from bot.slack import inbound
from bot.slack.app import Installed
from bot.slack.views.common import defuse, fallback, inert, link

PAYLOADS = Path(__file__).parents[2] / "security" / "payloads"


def body(name: str) -> dict[str, Any]:
    return dict(json.loads((PAYLOADS / f"{name}.json").read_text())["body"])


def test_inert_shows_every_token_as_text() -> None:
    assert inert("<!channel> & <@U1|x> <https://e.x|y>") == "&lt;!channel&gt; &amp; &lt;@U1|x&gt; &lt;https://e.x|y&gt;"
    assert inert(None) == ""


@pytest.mark.parametrize(
    ("composed", "shown"),
    [
        (
            "Ask <@U0OWNER> in <#C0ESC> <https://pb.example/a.md|SLA>",
            "Ask <@U0OWNER> in <#C0ESC> <https://pb.example/a.md|SLA>",
        ),
        ("<!channel> <!here|here> <!everyone>", "&lt;!channel&gt; &lt;!here|here&gt; &lt;!everyone&gt;"),
        ("<!subteam^S0LEADS|@leads> <!subteam^bad>", "<!subteam^S0LEADS|@leads> &lt;!subteam^bad&gt;"),
        ("<javascript:alert(1)|click> <@u0lower>", "&lt;javascript:alert(1)|click&gt; &lt;@u0lower&gt;"),
        ("a < b > c &lt;!here&gt;", "a &lt; b &gt; c &lt;!here&gt;"),
        ("<https://evil|the <!channel>>", "&lt;https://evil|the &lt;!channel&gt;&gt;"),
    ],
)
def test_defuse_leaves_live_only_what_rapport_writes(composed: str, shown: str) -> None:
    assert defuse(composed) == shown


def test_fallback_holds_no_live_token_the_blocks_do_not() -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "for <@U0OWNER>"}}]
    text = fallback("Hand-off: <@U0CEO> <@U0OWNER> <!channel>", blocks)
    assert text == "Hand-off: &lt;@U0CEO&gt; <@U0OWNER> &lt;!channel&gt;"
    assert fallback("<@U0CEO> hi", None) == "<@U0CEO> hi"  # a plain message: defused only


def test_mentions_links_and_channel_links_only_from_well_formed_values() -> None:
    assert mention("U0ABC") == "<@U0ABC>" and mention("S0GRP") == "<!subteam^S0GRP>"
    assert mention("<!channel>") == "&lt;!channel&gt;" and mention(None) == "someone"
    assert channel_link("C0ABC") == "<#C0ABC>" and channel_link("#general>") == "#general&gt;"
    assert link("https://pb.example/x", "a|b <c>") == "<https://pb.example/x|a/b &lt;c&gt;>"
    assert link("https://e.x|the signed contract", "T") == "T" and link("javascript:x", "T") == "T"


def test_groups_are_named_by_handle_without_a_mention() -> None:
    said = f"Escalate to {mention('S0SUPPORT')} or {mention('S0GONE')}, owner {mention('U0AM')}; &lt;!subteam^S0X&gt;"
    assert named_groups(said, {"S0SUPPORT": "support-oncall"}) == (
        "Escalate to *@support-oncall* or *@S0GONE*, owner <@U0AM>; &lt;!subteam^S0X&gt;"
    )


@pytest.mark.parametrize(
    ("name", "team", "enterprise"),
    [
        ("event_app_mention", "T0RAPPORT", None),
        ("event_app_mention_grid", "T0RAPPORT", "E0RAPPORTORG"),
        ("event_shared_channel_other_org", "T0RAPPORT", None),  # the envelope says T0PARTNER; authorizations us
        ("command_help", "T0RAPPORT", None),
        ("command_other_workspace", "T0ELSEWHERE", None),
        ("action_other_org_user", "T0PARTNER", None),
        ("action_org_wide_install", "T0ELSEWHERE", "E0RAPPORTORG"),
        ("view_submission_request_not_json_metadata", "T0RAPPORT", None),
        ("dialog_cancellation", "T0RAPPORT", "E0RAPPORTORG"),
    ],
)
def test_workspace_of_real_shapes(name: str, team: str, enterprise: str | None) -> None:
    assert inbound.workspace(body(name)) == inbound.Workspace(team, enterprise)


def test_home_team_is_the_installation_an_event_is_delivered_for() -> None:
    # In a shared channel the envelope's team_id is the other organisation's: their member is not ours.
    shared = body("event_shared_channel_other_org")
    assert shared["team_id"] == "T0PARTNER" and shared["event"]["user_team"] == "T0PARTNER"
    assert inbound.home_team(shared) == "T0RAPPORT"
    assert inbound.home_team(body("command_help")) == "T0RAPPORT"  # no authorizations: the envelope's team


class _Client:
    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer, self.calls = answer, 0

    def auth_test(self) -> dict[str, Any]:
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_installed_workspace_admits_its_own_requests_only() -> None:
    client = _Client({"ok": True, "team_id": "T0RAPPORT", "user_id": "U0RAPPORTBOT"})
    home = Installed(client)  # type: ignore[arg-type]
    assert home.admits(body("event_app_mention")) and home.admits(body("event_shared_channel_other_org"))
    assert not home.admits(body("event_other_workspace")) and not home.admits(body("action_other_org_user"))
    assert not home.admits({"type": "event_callback", "event": {"type": "app_mention"}})  # names no workspace
    assert client.calls == 1  # asked once


def test_org_wide_install_admits_its_org() -> None:
    grid = _Client({"ok": True, "team_id": None, "enterprise_id": "E0RAPPORTORG", "is_enterprise_install": True})
    org = Installed(grid)  # type: ignore[arg-type]
    assert org.admits(body("action_org_wide_install")) and org.admits(body("event_app_mention_grid"))
    assert not org.admits(body("event_other_org_grid"))


def test_unknown_installed_workspace_refuses_and_asks_again() -> None:
    client = _Client(OSError("Slack unreachable"))
    home = Installed(client)  # type: ignore[arg-type]
    assert not home.admits(body("event_app_mention")) and not home.admits(body("event_app_mention"))
    assert client.calls == 2


def test_a_click_on_an_ephemeral_message_has_no_message_to_edit() -> None:
    click = inbound.click(body("action_pick_customer_ephemeral"))
    assert click.is_ephemeral and click.message_ts is None and click.response_url == "{RESPONSE_URL}"
    public = inbound.click(body("action_get_person"))
    assert public.message_ts == "1733300000.000200"


def test_a_mention_without_ts_is_answered_in_the_channel() -> None:
    msg = inbound.message(body("event_app_mention_without_any_ts")["event"])
    assert msg is not None and msg.reply_ts is None
    threaded = inbound.message(body("event_app_mention_without_ts")["event"])
    assert threaded is not None and threaded.reply_ts == "1733300000.000100"  # its event_ts


def test_non_json_private_metadata_is_empty_metadata() -> None:
    b = body("view_submission_request_not_json_metadata")
    sub = inbound.submission(b, b["view"])
    assert sub.metadata == {} and sub.values["customer"] == "Northwave Foods"
