"""``/rapport <subcommand>`` dispatch. Feature listener modules add their handlers in ``register``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class SlashContext:
    """What a subcommand handler gets: the parsed command and Bolt's utilities (already acked)."""

    user_id: str
    channel_id: str
    text: str  # the arguments after the subcommand word
    trigger_id: str | None
    respond: Callable[..., Any]  # Bolt respond(): response_url, ephemeral by default
    client: Any  # slack_sdk WebClient
    body: dict[str, Any]


SUBCOMMANDS: dict[str, Callable[[SlashContext], None]] = {}
HELP_LINES: dict[str, str] = {}


def subcommand(name: str, help_line: str) -> Callable[[Callable[[SlashContext], None]], Callable[[SlashContext], None]]:
    def deco(fn: Callable[[SlashContext], None]) -> Callable[[SlashContext], None]:
        SUBCOMMANDS[name] = fn
        HELP_LINES[name] = help_line
        return fn

    return deco


def help_text() -> str:
    lines = ["*Rapport* answers from the playbooks and the customer record. Try:"]
    lines += [f"• `/rapport {name}` {HELP_LINES[name]}" for name in sorted(HELP_LINES)]
    lines.append("• or mention me in a channel: `@Rapport what is the escalation path for Northwave Foods?`")
    return "\n".join(lines)
