"""The first hour in a real browser, as the README walks a newcomer through it: open the sandbox, ask about a
customer as two roles (each sees the card their role allows), follow up in the thread, request a discount
in one line without an amount (the card says why it took the long route) and approve it from the governance
channel as an eligible approver.

Headless Debian Chromium via Playwright (the ``page`` fixture; never a downloaded browser).
"""

from __future__ import annotations

from typing import Any

from bot.policies import load_policies

from .conftest import REPO, Sandbox
from .test_sandbox_browser import ask, db_row, open_channel

LOCK = "\U0001f512"  # :lock:, as the page shows the shortcode


def thread_of(page: Any, asked: Any) -> Any:
    asked.locator(".replies-link").click()
    return page.locator("#thread")


def test_newcomer_path_two_roles_follow_up_and_an_approval(sandbox: Sandbox, page: Any) -> None:
    page.set_default_timeout(90_000)  # answers may wait for the model while other tests load the machine
    page.set_viewport_size({"width": 1280, "height": 800})
    name, owner = db_row(
        sandbox,
        "SELECT name, owner_slack_id FROM customers WHERE tier = 'platinum' AND merged_into_id IS NULL "
        "AND owner_slack_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    policies = load_policies(REPO / "playbooks" / "policies")

    # 1. A support lead asks: the card is shown, with the commercial fields their role may not see held back.
    page.goto(f"{sandbox.double.url}/?user=U0SUPLEAD")
    open_channel(page, "support-queue")
    thread = thread_of(page, ask(page, f"@rapport tell me about {name}"))
    thread.locator(".message", has_text="field(s) hidden for your role").wait_for()
    assert f"{LOCK} 4 field(s) hidden for your role" in thread.inner_text()  # roles.yaml: support_lead
    assert "Contact email" in thread.inner_text() and "Lifetime value" not in thread.inner_text()

    # 2. A follow-up in the thread is read with the thread's customer: its owner is named.
    owner_mentions = f"#thread .mention[data-user='{owner}']"
    before = page.locator(owner_mentions).count()
    page.fill("#thread-composer", "@rapport who owns this account?")
    page.press("#thread-composer", "Enter")
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length > n", arg=[owner_mentions, before])

    # 3. The account's director asks the same: the card carries the commercial picture, shown to them only.
    page.goto(f"{sandbox.double.url}/?user=U0AMPLAT")
    open_channel(page, "support-queue")
    thread = thread_of(page, ask(page, f"@rapport what do we know about {name}?"))
    card = thread.locator(".message.ephemeral", has_text="Lifetime value")
    card.wait_for()
    assert "\U0001f3e2" in card.inner_text() and "hidden for your role" not in card.inner_text()  # :office:

    # 4. A one-line discount request without an amount: routed, and the card says why.
    page.fill("#composer", f"/rapport approve discount {name} 8%: competitor offer, renewal at risk")
    page.press("#composer", "Enter")
    page.locator(".message.ephemeral", has_text="sent to").first.wait_for()
    rid, approvers, channel, ts = db_row(
        sandbox,
        "SELECT id, approvers, message_channel, message_ts FROM approval_requests "
        "WHERE requester = 'U0AMPLAT' AND message_ts IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    eligible = sorted(policies.members(approvers) - {"U0AMPLAT"})
    page.goto(f"{sandbox.double.url}/?user={eligible[0]}&channel={channel}")
    open_channel(page, sandbox.double.workspace.channels[channel].name)
    request = page.locator(f".message[data-ts='{ts}']")
    request.wait_for()
    text = request.inner_text()
    assert "Why this route" in text and "strategic-discount" in text and "no amount given" in text, text
    assert "Give the amount" in text

    # 5. An eligible approver approves; the card moves on in place.
    request.locator("button.btn", has_text="Approve").click()
    db_row(sandbox, "SELECT 1 FROM approval_votes WHERE request_id = ? AND approver = ?", rid, eligible[0])
    request.locator(".edited").wait_for()
    page.screenshot(path=str(sandbox.home / "newcomer-approval.png"))
