"""Who wrote a message in a customer channel: staff, the customer, or a bot.

Staff are the roster (``roles.yaml``, the Staff table) and the full members of our own workspace. The
customer is anyone from another organisation (Slack Connect: the event's ``user_team`` differs from ours) and
our workspace's guests (a customer invited as a single-channel guest). Bots start no clock and answer nothing.
What ``users.info`` said is kept in ``slack_people`` (team, guest, the email *domain* only) for a week, so
Slack is asked once per person, not once per message.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channels.directory import Directory
from bot.channels.models import SlackPerson
from bot.customers.normalize import normalize_domain
from bot.policies import Policies
from bot.services import Services
from bot.store.models import Staff

log = logging.getLogger(__name__)
STAFF, CUSTOMER, BOT = "staff", "customer", "bot"
FRESH_FOR = dt.timedelta(days=7)


@dataclass(frozen=True)
class Person:
    user_id: str
    kind: str  # staff | customer | bot
    team_id: str = ""
    email_domain: str | None = None


def on_roster(session: Session, policies: Policies, user_id: str) -> bool:
    if policies.staff(user_id) is not None:
        return True
    return session.scalar(select(Staff.is_active).where(Staff.slack_user_id == user_id)) is True


def from_profile(user: dict[str, Any], home_team: str | None) -> Person:
    """A Person from a ``users.info`` user object."""
    uid = str(user.get("id") or "")
    team = str(user.get("team_id") or (user.get("profile") or {}).get("team") or "")
    email = str((user.get("profile") or {}).get("email") or "")
    domain = normalize_domain(email) if "@" in email else None
    if user.get("is_bot") or user.get("is_app_user"):
        return Person(uid, BOT, team, domain)
    guest = bool(user.get("is_restricted") or user.get("is_ultra_restricted"))
    external = bool(home_team and team and team != home_team) or bool(user.get("is_stranger"))
    return Person(uid, CUSTOMER if guest or external else STAFF, team, domain)


def _remember(session: Session, person: Person, guest: bool, now: dt.datetime) -> None:
    row = session.get(SlackPerson, person.user_id)
    values = {
        "team_id": person.team_id,
        "is_guest": guest,
        "is_bot": person.kind == BOT,
        "email_domain": person.email_domain,
        "checked_at": now,
    }
    if row is not None:
        for key, value in values.items():
            setattr(row, key, value)
        return
    try:
        with session.begin_nested():  # another thread may remember the same person at the same time
            session.add(SlackPerson(user_id=person.user_id, **values))
    except IntegrityError:
        log.debug("person %s remembered concurrently", person.user_id)


def who(
    session: Session,
    policies: Policies,
    directory: Directory,
    user_id: str,
    now: dt.datetime,
    team: str | None = None,
    home_team: str | None = None,
    lookup: bool = True,
) -> Person:
    """Staff, customer or bot. ``team``: the author's team as the event says (``user_team``); ``lookup``:
    whether Slack may be asked (``users.info``) when the store cannot tell."""
    if on_roster(session, policies, user_id):
        return Person(user_id, STAFF, home_team or "")
    if team and home_team and team != home_team:
        return Person(user_id, CUSTOMER, team)  # another organisation: the event says so, no call needed
    cached = session.get(SlackPerson, user_id)
    if cached is not None and cached.checked_at >= now - FRESH_FOR:
        kind = BOT if cached.is_bot else CUSTOMER if cached.is_guest or _foreign(cached.team_id, home_team) else STAFF
        return Person(user_id, kind, cached.team_id, cached.email_domain)
    profile = directory.user_info(user_id) if lookup else None
    if profile is None:
        # Slack could not say: a member of our own workspace (the event names no other team) is staff.
        return Person(user_id, STAFF, team or home_team or "")
    person = from_profile(profile, home_team)
    _remember(session, person, bool(profile.get("is_restricted") or profile.get("is_ultra_restricted")), now)
    return person


def _foreign(team: str, home_team: str | None) -> bool:
    return bool(team and home_team and team != home_team)


def is_customer_side(
    services: Services, directory: Directory, user_id: str, team: str | None, home_team: str | None
) -> bool:
    """Whether ``user_id`` is on the customer's side (another organisation, or one of our guests): Ask
    answers staff only in shared channels."""
    with services.sessions() as session, session.begin():
        return who(session, services.policies, directory, user_id, services.clock(), team, home_team).kind != STAFF
