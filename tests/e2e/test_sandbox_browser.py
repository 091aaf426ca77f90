"""The `rapport demo` experience in a real browser: the Slack sandbox page driving the real bot.

Headless Debian Chromium via Playwright (never downloaded); skipped when either is missing.
"""

from __future__ import annotations

from typing import Any

from .conftest import Sandbox


def test_ask_in_the_sandbox_see_cited_answer_and_click(sandbox: Sandbox, page: Any) -> None:
    page.set_default_timeout(60_000)  # the first answer may wait for the model under load
    page.goto(f"{sandbox.double.url}/?user=U0SUPLEAD")
    page.locator(".channel-link", has_text="support-queue").click()
    page.wait_for_selector("#channel-title:has-text('support-queue')")
    page.fill("#composer", "@rapport what is the resolution target for a silver P2 ticket?")
    page.press("#composer", "Enter")

    asked = page.locator(".message", has_text="resolution target for a silver P2")
    asked.locator(".replies-link", has_text="1 reply").click()
    thread = page.locator("#thread")
    thread.locator("b", has_text="Silver P2").wait_for()  # the computed answer, rendered from mrkdwn
    assert "sla-response-times.md" in thread.inner_text()  # the citation
    page.screenshot(path=str(sandbox.home / "sandbox-answer.png"))

    thread.locator("button.btn", has_text="Helpful").first.click()
    page.locator(".message.ephemeral", has_text="Thanks, noted.").wait_for()
