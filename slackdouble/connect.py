"""Slack Connect on the double: other organisations' workspaces, channels shared with them, members joining,
and reactions, with the events Slack sends for each.

* ``add_team`` registers another organisation's workspace; ``add_user(..., team_id=...)`` adds its members.
* ``share_channel`` makes a channel ``is_ext_shared`` (``conversations.info`` then lists the teams in
  ``shared_team_ids`` / ``connected_team_ids``), adds the other side's members, and delivers
  ``channel_shared`` (``connected_team_id``). Every later event in the channel carries
  ``is_ext_shared_channel: true``; messages from the other organisation carry ``user_team``/``source_team``.
* ``join_channel`` delivers ``member_joined_channel`` (``team``: the member's own team).
* ``react`` stores a reaction and delivers ``reaction_added`` (``item_user``: the message's author).

Events the app's scopes do not allow (``reaction_added`` without ``reactions:read``; channel events without
``channels:read``/``groups:read``) are withheld, as Slack withholds them (``SlackDouble.send_event``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from slackdouble import payloads as P
from slackdouble.workspace import Channel, Team

if TYPE_CHECKING:
    from slackdouble.server import Delivery
    from slackdouble.workspace import Workspace

JSON = dict[str, Any]


class SlackConnect:
    if TYPE_CHECKING:
        lock: threading.RLock
        workspace: Workspace

        @property
        def team_id(self) -> str: ...

        @property
        def bot_user_id(self) -> str: ...

        def send_event(self, event: JSON) -> Delivery: ...

        def touch(self) -> None: ...

    def add_team(self, team_id: str, name: str, domain: str = "") -> Team:
        """Another organisation's workspace, whose members (``add_user(team_id=...)``) can be in shared channels."""
        team = Team(team_id, name, domain or name.lower().replace(" ", "-"))
        with self.lock:
            self.workspace.teams[team_id] = team
        self.touch()
        return team

    def _explicit_members(self, ch: Channel) -> set[str]:
        """A channel open to "everyone" becomes its explicit list (ours and the bot), so members of another
        organisation can be added without seeing every channel of the workspace."""
        if ch.members is None:
            ours = {u.id for u in self.workspace.users.values() if u.team_id in ("", self.team_id)}
            ch.members = ours | {self.bot_user_id}
        return ch.members

    def share_channel(
        self, channel: str, team_id: str, members: Iterable[str] = (), *, deliver: bool = True
    ) -> Delivery | None:
        """Share ``channel`` with ``team_id`` (add_team first); its ``members`` join; ``channel_shared`` is delivered
        when the bot is in the channel (``deliver=False``: seeding, before any bot listens)."""
        with self.lock:
            ch = self.workspace.find_channel(channel)
            if ch is None:
                raise KeyError(f"unknown channel {channel}")
            if team_id not in self.workspace.teams:
                raise KeyError(f"unknown team {team_id} (add_team first)")
            inside = self._explicit_members(ch)
            for uid in members:
                if uid not in self.workspace.users:
                    raise KeyError(f"unknown user {uid}")
                inside.add(uid)
            if team_id not in ch.shared_team_ids:
                ch.shared_team_ids.append(team_id)
            bot_in = ch.has_member(self.bot_user_id)
            event = P.channel_shared_event(
                channel=ch.id, connected_team_id=team_id, event_ts=self.workspace.clock.next()
            )
        self.touch()
        return self.send_event(event) if deliver and bot_in else None

    def join_channel(self, user: str, channel: str, inviter: str | None = None) -> Delivery | None:
        """``user`` joins ``channel``: ``member_joined_channel`` delivered (to a bot that is in the channel)."""
        with self.lock:
            ch = self.workspace.find_channel(channel)
            member = self.workspace.users.get(user)
            if ch is None or member is None:
                raise KeyError(f"unknown channel {channel} or user {user}")
            self._explicit_members(ch).add(user)
            bot_in = ch.has_member(self.bot_user_id)
            event = P.member_joined_event(
                user=user,
                channel=ch.id,
                channel_type=ch.channel_type,
                team=member.team_id or self.team_id,
                event_ts=self.workspace.clock.next(),
                inviter=inviter,
            )
        self.touch()
        return self.send_event(event) if bot_in else None

    def react(self, user: str, channel: str, ts: str, name: str) -> Delivery | None:
        """``user`` adds the reaction ``name`` (no colons) to a message: stored, ``reaction_added`` delivered."""
        name = name.strip(":")
        with self.lock:
            ch = self.workspace.find_channel(channel)
            msg = self.workspace.find_message(ch.id, ts) if ch is not None else None
            if ch is None or msg is None or user not in self.workspace.users:
                raise KeyError(f"no message {ts} in {channel}, or unknown user {user}")
            users = msg.reactions.setdefault(name, [])
            if user in users:
                return None  # Slack: already_reacted, and no second event
            users.append(user)
            bot_in = ch.has_member(self.bot_user_id)
            event = P.reaction_added_event(
                user=user,
                reaction=name,
                channel=ch.id,
                ts=ts,
                item_user=msg.user or None,
                event_ts=self.workspace.clock.next(),
            )
        self.touch()
        return self.send_event(event) if bot_in else None

    def _event_channel(self, event: JSON) -> Channel | None:
        """The channel an event happened in (a reaction names it in its ``item``)."""
        ref = event.get("channel") or (event.get("item") or {}).get("channel")
        return self.workspace.find_channel(str(ref)) if isinstance(ref, str) and ref else None
