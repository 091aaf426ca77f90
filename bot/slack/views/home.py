"""App Home: the sections, in order, each rendered from a feature's plain result."""

from __future__ import annotations

from bot.customers.accounts import Accounts
from bot.slack.views.common import Block, context, header, inert, section
from bot.slack.views.render import render
from bot.sync.status import SourcesSummary

INTRO = "Ask me anything in a DM, mention me in a channel, or use `/rapport help`."


@render.register
def accounts_blocks(accounts: Accounts) -> list[Block]:
    blocks: list[Block] = [header("My accounts")]
    if not accounts.lines:
        return [*blocks, context("You don't own any accounts.")]
    lines = [
        f"• *{inert(a.name)}* · {inert(a.tier.title())}" + (f" · renews {a.renewal:%Y-%m-%d}" if a.renewal else "")
        for a in accounts.lines
    ]
    return [*blocks, section("\n".join(lines))]


def intro() -> list[Block]:
    return [section(INTRO)]


@render.register
def sources_blocks(summary: SourcesSummary) -> list[Block]:
    blocks: list[Block] = [header("Data sources")]
    if summary.problems:
        blocks.append(section("\n".join(f":warning: *Problem:* {inert(p)}" for p in summary.problems)))
    blocks += [
        section("\n".join(f"• {inert(line)}" for line in summary.lines)),
        context("`rapport sync errors --source NAME` lists quarantined rows; `rapport sync` runs them now."),
    ]
    return blocks
