"""What Rapport knows about a Slack channel: shared with another organisation or not, which teams, linked.

Facts come from every event in the channel (the envelope's ``is_ext_shared_channel``), from
``channel_shared`` / ``member_joined_channel`` events and from ``conversations.info``. They answer the one
question every outbound path asks (:func:`posting_forbidden`): may Rapport post visibly here? Never in a
channel shared with another organisation, never in a channel linked to a customer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channels.models import ChannelLink, SharedChannel
from bot.services import Services

log = logging.getLogger(__name__)


def observe(
    session: Session,
    channel: str,
    now: dt.datetime,
    *,
    ext_shared: bool | None = None,
    name: str | None = None,
    private: bool | None = None,
    teams: Iterable[str] = (),
    checked: bool = False,
) -> SharedChannel:
    """Record what was learned about ``channel`` (only what is given changes) and return its row."""
    row = session.get(SharedChannel, channel)
    if row is None:
        try:
            with session.begin_nested():  # two events of a new channel may race to create it
                row = SharedChannel(
                    channel_id=channel,
                    name="",
                    is_ext_shared=False,
                    is_private=False,
                    external_teams=[],
                    linked=False,
                    first_seen_at=now,
                    updated_at=now,
                )
                session.add(row)
        except IntegrityError:
            row = session.get(SharedChannel, channel)
            assert row is not None
    if ext_shared is not None:
        row.is_ext_shared = ext_shared
    if name:
        row.name = name[:100]
    if private is not None:
        row.is_private = private
    known = list(row.external_teams or [])
    fresh = [t for t in teams if t and t not in known]
    if fresh:
        row.external_teams = known + fresh
    if checked:
        row.checked_at = now
    row.updated_at = now
    return row


def from_info(
    session: Session, channel: str, info: dict[str, Any], now: dt.datetime, home_team: str | None
) -> SharedChannel:
    """Facts from a ``conversations.info`` channel object."""
    teams = [
        str(t)
        for t in [*(info.get("shared_team_ids") or []), *(info.get("connected_team_ids") or [])]
        if t and t != home_team and t != info.get("context_team_id")
    ]
    return observe(
        session,
        channel,
        now,
        ext_shared=bool(info.get("is_ext_shared")),
        name=str(info.get("name") or ""),
        private=bool(info.get("is_private")),
        teams=teams,
        checked=True,
    )


def posting_forbidden(services: Services, channel: str) -> bool:
    """Whether a visible post in ``channel`` would be seen by another organisation or a customer."""
    if not channel or channel[:1] not in ("C", "G"):
        return False  # a DM or a user id: private by nature
    with services.sessions() as session:
        shared = session.scalar(select(SharedChannel.is_ext_shared).where(SharedChannel.channel_id == channel))
        if shared:
            return True
        return bool(session.scalar(select(exists().where(ChannelLink.channel_id == channel))))


def shared_externally(services: Services, channel: str, hint: bool = False) -> bool:
    """Shared with another organisation (Slack Connect): the event's own flag, else what the store knows.
    A flagged channel not yet known is recorded, so later surfaces without the flag (shortcuts) know it too."""
    if not channel or channel[:1] not in ("C", "G"):
        return False
    with services.sessions() as session, session.begin():
        row = session.get(SharedChannel, channel)
        if hint and (row is None or not row.is_ext_shared):
            observe(session, channel, services.clock(), ext_shared=True)
            return True
        return bool(row is not None and row.is_ext_shared) or hint
