"""Links (channels.yaml, /rapport channel link|unlink, proposals confirmed by an admin) and bad input: an
erased customer's channel, a channel linked to two customers, a flood of messages. Nothing is ever posted
in the channel: admins get a DM, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.channels import links, proposals
from bot.channels.facts import posting_forbidden, shared_externally
from bot.channels.jobs import sync_links
from bot.channels.models import ChannelLink, ChannelProposal, Conversation, SharedChannel
from bot.channels.tracking import Tracker
from bot.channels.views import AdminNote, Proposal
from bot.notify import RecordingNotifier
from bot.policies import load_policies
from bot.privacy.erasure import forget
from bot.services import Services
from bot.store.models import AuditEvent, Customer

from .conftest import HOME, NOW, REPO, Channel, FakeDirectory

M = dt.timedelta(minutes=1)
ADMINS = ["U0CSLEAD", "U0VPCX"]  # roles.yaml: the cs_lead role


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def notes(notifier: RecordingNotifier) -> list[tuple[str, AdminNote]]:
    return [(m.channel, m.view) for _, m in notifier.sent if isinstance(m.view, AdminNote)]


def test_a_channel_of_an_erased_customer_starts_no_clock_and_tells_admins_once(
    services: Services, channel: Callable[[str], Channel], notifier: RecordingNotifier
) -> None:
    forget(services, "1")  # Acme Corp, linked to C0EXTACME
    with services.sessions() as s:
        assert count(s, ChannelLink) == 3 and s.get(SharedChannel, "C0EXTACME").linked  # type: ignore[union-attr]
    acme = channel("C0EXTACME")
    _, first = acme.customer("Hello? anyone there?", NOW)
    _, second = acme.customer("Still waiting", NOW + M)
    assert (first.reason, first.owned, second.reason) == ("erased", True, "erased")
    with services.sessions() as s:
        assert count(s, Conversation) == 0
    told = notes(notifier)
    assert sorted(to for to, _ in told) == ADMINS  # each admin once
    assert {n.kind for _, n in told} == {"erased"} and "erased" in told[0][1].text
    assert links.status(services, "C0EXTACME").state == "erased"


def test_a_channel_linked_to_two_customers_tracks_nothing_until_fixed(
    services: Services, channel: Callable[[str], Channel], notifier: RecordingNotifier
) -> None:
    with services.sessions.begin() as s:
        globex = s.get(Customer, 2)
        assert globex is not None
        s.add(
            ChannelLink(channel_id="C0EXTACME", customer_id=globex.id, source="yaml", linked_by="system", linked_at=NOW)
        )
    acme = channel("C0EXTACME")
    _, tracked = acme.customer("Can you check our SSO?", NOW)
    assert tracked.reason == "conflict"
    told = notes(notifier)
    assert len(told) == len(ADMINS)
    assert "Acme Corp" in told[0][1].text and "Globex GmbH" in told[0][1].text
    status = links.status(services, "C0EXTACME")
    assert status.state == "conflict" and len(status.customers) == 2
    # The admin unlinks and links the right one: tracking resumes
    status, _ = links.unlink(services, "C0EXTACME", "U0CSLEAD")
    assert status.state == "unlinked"
    assert links.link(services, "C0EXTACME", "acme.com", "U0CSLEAD", acme.directory, HOME).state == "linked"
    assert acme.customer("Can you check our SSO?", NOW + 5 * M)[1].started


def test_a_flood_from_one_member_is_rate_limited(
    services: Services, channel: Callable[[str], Channel], notifier: RecordingNotifier
) -> None:
    acme = channel("C0EXTACME")
    limit = services.policies.channels.customer_channels.rate_limit_per_minute
    results = [acme.customer(f"spam {i}", NOW + dt.timedelta(seconds=0.3 * i))[1] for i in range(200)]
    assert sum(r.reason != "rate_limited" for r in results) == limit
    with services.sessions() as s:
        assert count(s, Conversation) == 1  # the tracked ones joined one conversation
        assert s.scalars(select(Conversation.messages)).one() == limit
    assert [n.kind for _, n in notes(notifier)] == ["rate_limited"] * len(ADMINS)
    later = acme.customer("ok, sorry, one real question", NOW + 3 * M)[1]
    assert later.reason != "rate_limited"


def test_only_admins_link_and_unlink(services: Services, directory: FakeDirectory) -> None:
    refused = links.link(services, "C0NEW", "acme.com", "U0SUPAGT1", directory, HOME)
    assert not refused.ok and "admins" in refused.message
    status, _ = links.unlink(services, "C0EXTACME", "U0SUPAGT1")
    assert not status.ok
    ambiguous = links.link(services, "C0NEW", "nosuchcustomer", "U0CSLEAD", directory, HOME)
    assert not ambiguous.ok and "No customer matches" in ambiguous.message
    taken = links.link(services, "C0EXTACME", "globex.de", "U0CSLEAD", directory, HOME)
    assert not taken.ok and "linked to Acme Corp" in taken.message
    with services.sessions() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.action == "channels.linked")) == 4  # the fixture's


def test_unlinking_ends_open_conversations(services: Services, channel: Callable[[str], Channel]) -> None:
    acme = channel("C0EXTACME")
    acme.customer("Question about the API", NOW)
    status, _ = links.unlink(services, "C0EXTACME", "U0CSLEAD")
    assert status.state == "unlinked"
    with services.sessions() as s:
        c = s.scalars(select(Conversation)).one()
        assert (c.state, c.resolved_how) == ("resolved", "unlinked")
    assert not acme.customer("another one", NOW + M)[1].started


def test_channels_yaml_links_and_reports_what_it_cannot(
    services: Services, tmp_path: Path, notifier: RecordingNotifier
) -> None:
    doc = yaml.safe_load((REPO / "playbooks/policies/channels.yaml").read_text())
    doc["channels"] += [
        {"id": "C0YAMLACME", "name": "ext-acme-yaml", "kind": "customer", "customer": "CRM-0000001"},
        {"id": "C0YAMLGONE", "name": "ext-gone", "kind": "customer", "customer": "Vanished Ltd"},
    ]
    folder = tmp_path / "policies"
    folder.mkdir()
    for f in (REPO / "playbooks/policies").iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "channels.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    services.policies = load_policies(folder)
    assert sync_links(services) == 1
    assert links.status(services, "C0YAMLACME").customers[0].name == "Acme Corp"
    told = notes(notifier)
    assert len(told) == len(ADMINS)
    note = told[0][1]
    assert note.channel == "C0YAMLGONE" and "Vanished Ltd" in note.text and "matches no customer" in note.text
    assert sync_links(services) == 1 and len(notes(notifier)) == len(ADMINS)  # told once
    # Removed from the file: the yaml link goes
    services.policies = load_policies(REPO / "playbooks" / "policies")
    sync_links(services)
    assert links.status(services, "C0YAMLACME").state == "unlinked"


def test_a_slack_connect_channel_is_proposed_to_admins_and_linked_on_their_click(
    services: Services, directory: FakeDirectory, notifier: RecordingNotifier
) -> None:
    directory.channels["C0NEWEXT"] = {
        "id": "C0NEWEXT",
        "name": "ext-globex-eu",
        "is_ext_shared": True,
        "shared_team_ids": [HOME, "T0GLOBEX"],
    }
    directory.members["C0NEWEXT"] = ["U0AMGOLD", "W0GLOBEX", "W0GLOBEX2"]
    directory.users["W0GLOBEX2"] = {"id": "W0GLOBEX2", "team_id": "T0GLOBEX", "profile": {"email": "kim@globex.de"}}
    sent = proposals.discover(services, "C0NEWEXT", directory, HOME)
    (p,) = sent
    assert (p.customer, p.state) == ("Globex GmbH", "pending") and "2 member(s) from globex.de" in p.reason
    shown = [(m.channel, m.view) for _, m in notifier.sent if isinstance(m.view, Proposal)]
    assert sorted(to for to, _ in shown) == ADMINS
    assert proposals.discover(services, "C0NEWEXT", directory, HOME) == []  # proposed once
    assert not proposals.decide(services, p.proposal_id, "U0SUPAGT1", True).ok  # not an admin
    done = proposals.decide(services, p.proposal_id, "U0CSLEAD", True)
    assert done.ok and done.proposal is not None and done.proposal.state == "accepted"
    assert len(done.shown) == len(ADMINS)  # every admin's copy is updated in place
    assert links.status(services, "C0NEWEXT").customers[0].source == "proposal"
    again = proposals.decide(services, p.proposal_id, "U0CSLEAD", True)
    assert not again.ok and "Already decided" in again.message


def test_a_channel_shared_with_a_linked_customers_organisation_is_proposed_without_emails(
    services: Services, directory: FakeDirectory
) -> None:
    assert proposals.discover(services, "C0EXTGLOBEX", directory, HOME) == []  # linked: read, nothing proposed
    directory.channels["C0NEWEXT"] = {"id": "C0NEWEXT", "name": "ext-globex-eu", "is_ext_shared": True}
    directory.members["C0NEWEXT"] = ["W0GLOBEX3"]
    directory.users["W0GLOBEX3"] = {"id": "W0GLOBEX3", "team_id": "T0GLOBEX", "profile": {}}  # email hidden
    assert proposals.discover(services, "C0NEWEXT", directory, HOME) == []  # no team known yet, no email
    directory.channels["C0NEWEXT"]["shared_team_ids"] = [HOME, "T0GLOBEX"]
    (p,) = proposals.discover(services, "C0NEWEXT", directory, HOME)
    assert (p.customer, p.state) == ("Globex GmbH", "pending")
    assert p.reason == "shared with the same organisation as #ext-globex"
    directory.channels["C0OTHER"] = {"id": "C0OTHER", "name": "ext-x", "is_ext_shared": True}
    directory.channels["C0OTHER"]["shared_team_ids"] = [HOME, "T0STRANGER"]
    directory.members["C0OTHER"] = []
    assert proposals.discover(services, "C0OTHER", directory, HOME) == []  # a team no linked channel has


def test_an_external_member_joining_is_looked_up_alone(services: Services, directory: FakeDirectory) -> None:
    """member_joined_channel: only the member who joined is read (no conversations.members for the channel)."""
    directory.channels["C0NEWEXT"] = {"id": "C0NEWEXT", "name": "ext-initech", "is_ext_shared": True}
    directory.users["W0INIT2"] = {"id": "W0INIT2", "team_id": "T0INITECH", "profile": {"email": "lee@initech.com"}}
    (p,) = proposals.discover(services, "C0NEWEXT", directory, HOME, member="W0INIT2")
    assert (p.customer, p.reason) == ("Initech LLC", "1 member(s) from initech.com")
    assert "conversations.members C0NEWEXT" not in directory.calls and "users.info W0INIT2" in directory.calls


def test_a_declined_proposal_is_not_made_again(services: Services, directory: FakeDirectory) -> None:
    directory.channels["C0NEWEXT"] = {"id": "C0NEWEXT", "name": "ext-x", "is_ext_shared": True}
    directory.members["C0NEWEXT"] = ["W0GLOBEX"]
    (p,) = proposals.discover(services, "C0NEWEXT", directory, HOME)
    assert proposals.decide(services, p.proposal_id, "U0CSLEAD", False).ok
    assert proposals.discover(services, "C0NEWEXT", directory, HOME) == []
    with services.sessions() as s:
        assert s.scalars(select(ChannelProposal.state)).one() == "declined"
    assert links.status(services, "C0NEWEXT").state == "unlinked"


def test_internal_channels_and_unknown_domains_are_not_proposed(services: Services, directory: FakeDirectory) -> None:
    directory.channels["C0INTERNAL"] = {"id": "C0INTERNAL", "name": "eng", "is_ext_shared": False}
    directory.members["C0INTERNAL"] = ["W0GLOBEX"]
    assert proposals.discover(services, "C0INTERNAL", directory, HOME) == []
    directory.channels["C0STRANGER"] = {"id": "C0STRANGER", "name": "ext-unknown", "is_ext_shared": True}
    directory.members["C0STRANGER"] = ["W0NOBODY"]
    directory.users["W0NOBODY"] = {"id": "W0NOBODY", "team_id": "T0NOBODY", "profile": {"email": "a@nowhere.io"}}
    assert proposals.discover(services, "C0STRANGER", directory, HOME) == []


def test_posting_is_forbidden_in_linked_and_shared_channels(services: Services, tracker: Tracker) -> None:
    assert posting_forbidden(services, "C0EXTACME")  # linked
    assert not posting_forbidden(services, "C0SUPPORT")
    assert not posting_forbidden(services, "U0AMPLAT") and not posting_forbidden(services, "D0123")
    assert shared_externally(services, "C0SHAREDNEW", hint=True)  # the envelope's flag is remembered
    assert posting_forbidden(services, "C0SHAREDNEW") and shared_externally(services, "C0SHAREDNEW")
