"""Seeding a sandbox workspace for `rapport demo`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from slackdouble.server import SlackDouble

DEFAULT_CHANNELS: list[tuple[str, str, str]] = [
    ("C0GENERAL", "general", "Company-wide announcements and chatter"),
    ("C0SUPPORT", "support", "Customer questions: mention @rapport to ask"),
    ("C0ESCALATE", "escalations", "Handoffs and escalations"),
    ("C0GOVERN", "governance", "Approvals and policy decisions"),
]


def seed_demo_workspace(
    double: SlackDouble,
    roster: Iterable[Sequence[Any]],
    channels: Iterable[Sequence[str]] | None = None,
    *,
    admins: Iterable[str] = (),
    groups: Iterable[Sequence[Any]] = (),
) -> None:
    """Add the staff roster, the channels and the user groups to `double`.

    `roster`: ``(user_id, name, tz)`` tuples, optionally ``(user_id, name, tz, real_name)``.
    `channels`: ``(channel_id, name)`` or ``(channel_id, name, topic)``; default: general,
    support, escalations, governance. Everyone (the bot too) is a member of every channel.
    Each user also gets their DM with the bot, so the sidebar shows it.
    `groups`: ``(group_id, handle, name, member_ids)`` (roles.yaml's approver groups).
    """
    admin_ids = set(admins)
    for entry in roster:
        user_id, name, tz = str(entry[0]), str(entry[1]), str(entry[2] or "UTC")
        real_name = str(entry[3]) if len(entry) > 3 and entry[3] else name.replace(".", " ").title()
        double.add_user(user_id, name, real_name=real_name, tz=tz, is_admin=user_id in admin_ids)
        double.im_channel(user_id)
    for ch in channels if channels is not None else DEFAULT_CHANNELS:
        topic = ch[2] if len(ch) > 2 else ""
        double.add_channel(ch[0], ch[1], topic=topic)
    for g in groups:
        double.add_usergroup(str(g[0]), str(g[1]), str(g[2]), [str(u) for u in g[3]])
