"""Colleagues as answers name them: by the name roles.yaml gives them, never mentioned (a list of ten accounts
does not notify ten owners)."""

from __future__ import annotations

from bot import mrkdwn
from bot.policies import Policies


def person(policies: Policies, user: str) -> str:
    """A colleague (or a group) by the name roles.yaml gives them, or their id, inert: named, never mentioned."""
    staff = policies.staff(user) if policies.configured else None
    group = policies.group(user) if policies.configured and staff is None else None
    return mrkdwn.escape(staff.name if staff else group.name if group else user)
