"""The `rapport demo` experience in a real browser: the Slack sandbox page driving the real bot.

Headless Debian Chromium via Playwright (never downloaded); skipped when either is missing. What a
newcomer sees is checked on the page itself: mrkdwn as Slack renders it, emoji shortcodes as emoji,
user groups by handle, `@Rapport` as a mention, and the customer card's fields inside the thread pane.
"""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any

from bot.policies import load_policies

from .conftest import REPO, Sandbox

# Element bounds of every section field in the thread pane, and whether its content is cut off.
FIELD_BOUNDS = """() => {
  const pane = document.querySelector('#thread').getBoundingClientRect();
  return Array.from(document.querySelectorAll('#thread .field')).map(f => {
    const r = f.getBoundingClientRect();
    return {text: f.innerText, left: r.left, right: r.right, pane_left: pane.left, pane_right: pane.right,
            scroll: f.scrollWidth, client: f.clientWidth};
  });
}"""


def db_row(sandbox: Sandbox, sql: str, *args: Any, timeout: float = 60) -> tuple[Any, ...]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        con = sqlite3.connect(sandbox.home / "rapport.db")
        try:
            row = con.execute(sql, args).fetchone()
        finally:
            con.close()
        if row:
            return tuple(row)
        time.sleep(0.3)
    raise TimeoutError(sql)


def open_channel(page: Any, name: str) -> None:
    page.locator(".channel-link", has_text=name).first.click()
    page.wait_for_selector(f"#channel-title:has-text('{name}')")


def ask(page: Any, text: str) -> Any:
    """Send `text` from the composer; the new message on the page (older ones may ask the same)."""
    mine = page.locator(".message", has_text=text.split(" ", 1)[1][:40])
    before = mine.count()
    page.fill("#composer", text)
    page.press("#composer", "Enter")
    page.wait_for_function(
        "([q, n]) => Array.from(document.querySelectorAll('#messages .message'))"
        ".filter(m => m.innerText.includes(q)).length > n",
        arg=[text.split(" ", 1)[1][:40], before],
    )
    return mine.nth(before)


def fields_inside_the_pane(page: Any) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = page.evaluate(FIELD_BOUNDS)
    assert fields, "no section fields in the thread pane"
    for f in fields:
        assert f["pane_left"] <= f["left"] and f["right"] <= f["pane_right"] + 0.5, f  # within the pane
        assert f["scroll"] <= f["client"], f  # nothing cut off: long values wrap
    return fields


def test_ask_in_the_sandbox_see_cited_answer_and_click(sandbox: Sandbox, page: Any) -> None:
    page.set_default_timeout(60_000)  # the first answer may wait for the model under load
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{sandbox.double.url}/?user=U0SUPLEAD")
    open_channel(page, "support-queue")
    # Typed as the help text writes it: a capital R is still a mention of the bot.
    asked = ask(page, "@Rapport what is the resolution target for a silver P2 ticket?")
    asked.locator(".mention", has_text="@rapport").wait_for()
    asked.locator(".replies-link", has_text="1 reply").click()
    thread = page.locator("#thread")
    thread.locator("b", has_text="Silver P2").wait_for()  # the computed answer, rendered from mrkdwn
    text = thread.inner_text()
    assert "sla-response-times.md" in text  # the citation
    assert "**" not in text and not re.search(r":[a-z0-9_+-]+:", text)  # no raw markers, no raw shortcodes
    helpful = thread.locator("button.btn", has_text="Helpful").first
    assert helpful.inner_text().strip() == "\U0001f44d Helpful"  # :+1: as Slack shows it
    page.screenshot(path=str(sandbox.home / "sandbox-answer.png"))

    helpful.click()
    page.locator(".message.ephemeral", has_text="Thanks, noted.").wait_for()


def test_customer_card_fields_wrap_inside_the_thread_pane(sandbox: Sandbox, page: Any) -> None:
    page.set_default_timeout(60_000)
    # A platinum account the bot resolves without asking which one (as test_ask_slack's card test does).
    (name,) = db_row(sandbox, "SELECT name FROM customers WHERE tier = 'platinum' AND merged_into_id IS NULL LIMIT 1")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{sandbox.double.url}/?user=U0AMPLAT")  # an account manager sees contact details
    open_channel(page, "support-queue")
    asked = ask(page, f"@rapport tell me about {name}")
    asked.locator(".replies-link").click()
    card = page.locator("#thread .message.ephemeral", has_text="Contact email")
    card.wait_for()
    assert "\U0001f3e2" in card.inner_text()  # :office: in the card's title
    wide = fields_inside_the_pane(page)
    assert any("@" in f["text"] for f in wide)  # the email is among them
    page.set_viewport_size({"width": 1024, "height": 768})
    page.wait_for_timeout(200)  # one layout pass
    narrow = fields_inside_the_pane(page)
    assert len(narrow) == len(wide)
    page.screenshot(path=str(sandbox.home / "sandbox-card-1024.png"))


def test_discount_request_shows_approver_groups_by_handle_and_is_approved(sandbox: Sandbox, page: Any) -> None:
    page.set_default_timeout(60_000)
    page.set_viewport_size({"width": 1280, "height": 800})
    (name,) = db_row(
        sandbox, "SELECT name FROM customers WHERE tier = 'gold' AND merged_into_id IS NULL ORDER BY id DESC LIMIT 1"
    )
    page.goto(f"{sandbox.double.url}/?user=U0AMGOLD")
    open_channel(page, "support-queue")
    page.fill("#composer", f"/rapport approve discount {name} 18% $40,000: competitor offer, renewal at risk")
    page.press("#composer", "Enter")
    rid, approvers, channel, ts = db_row(
        sandbox,
        "SELECT id, approvers, message_channel, message_ts FROM approval_requests "
        "WHERE requester = 'U0AMGOLD' AND message_ts IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    policies = load_policies(REPO / "playbooks" / "policies")
    group = policies.group(approvers)
    assert group is not None, approvers  # a user group approves this step
    channel_name = sandbox.double.workspace.channels[channel].name
    eligible = sorted(policies.members(approvers) - {"U0AMGOLD"})

    page.goto(f"{sandbox.double.url}/?user={eligible[0]}&channel={channel}")
    open_channel(page, channel_name)
    request = page.locator(f".message[data-ts='{ts}']")
    approvers_field = request.locator(".field", has_text="Approvers")
    approvers_field.locator(".mention.group", has_text=f"@{group.handle}").wait_for()
    assert "subteam" not in request.inner_text()
    request.locator("button.btn", has_text="Approve").click()
    db_row(sandbox, "SELECT 1 FROM approval_votes WHERE request_id = ? AND approver = ?", rid, eligible[0])
    page.wait_for_function(
        "ts => !document.querySelector(`.message[data-ts='${ts}']`).innerText.includes('Request changes')"
        " || document.querySelector(`.message[data-ts='${ts}'] .edited`)",
        arg=ts,
    )
