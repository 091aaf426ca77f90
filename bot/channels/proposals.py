"""Proposed links: a Slack Connect channel whose external members' email domains match a customer's, or
whose external team is already linked to a customer through another channel.

Rapport learns of a shared channel from ``channel_shared`` (the channel was shared with another organisation),
``member_joined_channel`` (someone, or Rapport itself, joined) and the first event flagged
``is_ext_shared_channel``. It reads the channel (``conversations.info``), its members
(``conversations.members``) and each external member once (``users.info``: team and email domain, kept as the
domain only), and matches the domains against the customers' ``domain`` identifiers. An external team that a
linked channel is shared with names that channel's customer too (Slack Connect often hides the other
organisation's emails, and a customer's second shared channel should not need them). A match is proposed to
the admins by DM with Link / Not this customer buttons; nothing is linked until an admin clicks, and a
decline is remembered (no second proposal for the same pair). Every decision is audited.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channels.directory import Directory
from bot.channels.facts import from_info, observe
from bot.channels.links import CONFLICT, LINKED, add_link, golden, resolve
from bot.channels.models import ACCEPTED, DECLINED, PENDING, ChannelLink, ChannelProposal, SharedChannel
from bot.channels.notices import admins
from bot.channels.people import CUSTOMER, on_roster, who
from bot.channels.views import Proposal
from bot.governance.audit import record
from bot.notify import DeliveryError, Outbound, SentRef
from bot.services import Services
from bot.store.models import Customer, CustomerIdentifier

log = logging.getLogger(__name__)
MAX_MEMBERS = 200  # members read from one channel
MAX_LOOKUPS = 50  # users.info calls for one channel: enough to see who the other side is
MAX_PROPOSALS = 3


@dataclass(frozen=True)
class Decided:
    ok: bool
    message: str
    proposal: Proposal | None = None
    shown: tuple[SentRef, ...] = ()  # the admins' copies of the proposal, to update in place


def _view(services: Services, p: ChannelProposal, c: Customer, channel_name: str) -> Proposal:
    return Proposal(p.id, p.channel_id, channel_name, c.id, c.name, c.tier, p.reason, p.state, p.decided_by)


def discover(
    services: Services, channel: str, directory: Directory, home_team: str | None, member: str | None = None
) -> list[Proposal]:
    """Propose links for an unlinked Slack Connect channel; the proposals sent (empty: nothing new)."""
    now = services.clock()
    info = directory.channel_info(channel)
    with services.sessions() as session, session.begin():
        shared = from_info(session, channel, info, now, home_team) if info else observe(session, channel, now)
        if resolve(session, channel, shared).state in (LINKED, CONFLICT) or shared.linked:
            return []
        if info is not None and not shared.is_ext_shared:
            return []  # an internal channel: nobody to propose
        name = shared.name
        by_team = teams_linked_elsewhere(session, channel, list(shared.external_teams or []))
    members = [member] if member else directory.channel_members(channel, MAX_MEMBERS)
    domains: Counter[str] = Counter()
    looked = 0
    with services.sessions() as session, session.begin():
        for uid in members:
            if looked >= MAX_LOOKUPS or on_roster(session, services.policies, uid):
                continue
            looked += 1
            person = who(session, services.policies, directory, uid, now, home_team=home_team)
            if person.kind == CUSTOMER and person.email_domain:
                domains[person.email_domain] += 1
    if not domains and not by_team:
        return []
    proposals: list[tuple[int, int]] = []
    with services.sessions() as session, session.begin():
        members_from: Counter[int] = Counter()
        why: dict[int, list[str]] = {}
        for cid, domain in session.execute(
            select(CustomerIdentifier.customer_id, CustomerIdentifier.value).where(
                CustomerIdentifier.kind == "domain", CustomerIdentifier.value.in_(list(domains))
            )
        ):
            c = golden(session, cid)
            if c is None:
                continue
            members_from[c.id] += domains[domain]
            why.setdefault(c.id, []).append(domain)
        hits = members_from + Counter({cid: len(channels) for cid, channels in by_team.items()})
        for cid, _count in hits.most_common(MAX_PROPOSALS):
            reasons = []
            if cid in why:
                reasons.append(f"{members_from[cid]} member(s) from {', '.join(sorted(set(why[cid])))}")
            if cid in by_team:
                reasons.append(f"shared with the same organisation as {', '.join(sorted(by_team[cid]))}")
            reason = "; ".join(reasons)
            try:
                with session.begin_nested():
                    p = ChannelProposal(
                        channel_id=channel, customer_id=cid, reason=reason, state=PENDING, proposed_at=now, messages=[]
                    )
                    session.add(p)
            except IntegrityError:
                continue  # proposed before (pending, or declined: not again)
            proposals.append((p.id, cid))
            record(
                session,
                "system:channels",
                "channels.proposed",
                "channel",
                channel,
                {"customer_id": cid, "reason": reason},
            )
    sent: list[Proposal] = []
    for pid, cid in proposals:
        sent.append(_send(services, pid, cid, name))
    return sent


def teams_linked_elsewhere(session: Session, channel: str, teams: list[str]) -> dict[int, list[str]]:
    """Customers (golden records) linked to another channel shared with one of ``teams``: customer -> channels.

    Read in Python: shared channels number in the hundreds, and JSON containment differs between backends."""
    if not teams:
        return {}
    wanted = set(teams)
    found: dict[int, list[str]] = {}
    rows = session.execute(
        select(SharedChannel.channel_id, SharedChannel.name, SharedChannel.external_teams, ChannelLink.customer_id)
        .join(ChannelLink, ChannelLink.channel_id == SharedChannel.channel_id)
        .where(SharedChannel.channel_id != channel)
    )
    for other, name, external, cid in rows:
        c = golden(session, cid) if wanted & set(external or []) else None
        if c is not None:
            found.setdefault(c.id, []).append(f"#{name or other}")
    return found


def _send(services: Services, proposal_id: int, customer_id: int, channel_name: str) -> Proposal:
    with services.sessions() as session:
        p = session.get(ChannelProposal, proposal_id)
        c = session.get(Customer, customer_id)
        assert p is not None and c is not None
        view = _view(services, p, c, channel_name)
    refs: list[list[str]] = []
    text = f"Link #{channel_name or view.channel} to {view.customer}?"
    for admin in admins(services.policies):
        try:
            ref = services.notifier.send(Outbound(admin, text, view))
            refs.append([ref.channel, ref.ts])
        except DeliveryError as exc:
            log.warning("could not propose %s to admin %s: %s", view.channel, admin, exc)
    with services.sessions.begin() as session:
        row = session.get(ChannelProposal, proposal_id)
        if row is not None:
            row.messages = refs
    return view


def decide(services: Services, proposal_id: int, admin: str, accept: bool) -> Decided:
    """An admin's click on a proposal: link (or remember the decline), once, whoever clicks twice."""
    if not services.policies.is_admin(admin):
        return Decided(False, "Only Rapport admins (CS leads) link channels to customers.")
    now = services.clock()
    with services.sessions() as session, session.begin():
        p = session.get(ChannelProposal, proposal_id)
        c = session.get(Customer, p.customer_id) if p is not None else None
        if p is None or c is None:
            return Decided(False, "That proposal no longer exists (the customer may have been erased).")
        shared = session.get(SharedChannel, p.channel_id)
        name = shared.name if shared is not None else ""
        shown = tuple(SentRef(str(ch), str(ts)) for ch, ts in p.messages or [])
        if p.state != PENDING:
            who_ = f" by <@{p.decided_by}>" if p.decided_by and p.decided_by.startswith("U") else ""
            return Decided(False, f"Already decided{who_}: {p.state}.", _view(services, p, c, name), shown)
        if accept and resolve(session, p.channel_id).state in (LINKED, CONFLICT):
            return Decided(False, "The channel was linked meanwhile; `/rapport channel show` in it says to whom.")
        won = session.execute(
            update(ChannelProposal)
            .where(ChannelProposal.id == proposal_id, ChannelProposal.state == PENDING)
            .values(state=ACCEPTED if accept else DECLINED, decided_by=admin, decided_at=now)
            .returning(ChannelProposal.id)
        ).scalar()
        if won is None:
            return Decided(False, "Someone decided this a moment ago.", None, shown)
        if accept:
            add_link(session, p.channel_id, c, "proposal", admin, now)
        else:
            record(session, admin, "channels.proposal_declined", "channel", p.channel_id, {"customer_id": c.id})
        session.flush()
        session.refresh(p)
        view = _view(services, p, c, name)
    verdict = f"Linked #{name or view.channel} to {c.name}." if accept else "Noted: not this customer's channel."
    return Decided(True, verdict, view, shown)
