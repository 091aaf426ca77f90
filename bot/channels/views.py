"""Plain results of the channels feature, rendered to Block Kit by ``bot.slack.views.channels``.

Text that came from a customer (excerpts, subjects) is already plain and inert here (:func:`text.plain`);
the renderers escape it again like any other outside text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ConversationLine:
    """One conversation and its first-response clock, as of ``now``."""

    id: int
    channel: str
    thread_ts: str
    customer_id: int
    customer: str
    tier: str
    priority: str
    state: str  # open | answered | resolved
    started_at: dt.datetime
    due_at: dt.datetime
    target: dt.timedelta
    elapsed: dt.timedelta  # SLA time so far (or to the first response)
    excerpt: str
    first_response_at: dt.datetime | None = None
    coverage: str = "24x7"

    @property
    def clock_state(self) -> str:
        """ok | at_risk | breached | answered, as the card shows it."""
        if self.first_response_at is not None:
            return "answered_late" if self.elapsed > self.target else "answered"
        if self.elapsed > self.target:
            return "breached"
        return "at_risk" if self.elapsed > self.target * 0.75 else "ok"


@dataclass(frozen=True)
class LinkedCustomer:
    customer_id: int
    name: str
    tier: str
    source: str  # yaml | admin | proposal
    linked_by: str


@dataclass(frozen=True)
class ProposalLine:
    proposal_id: int
    customer_id: int
    customer: str
    tier: str
    reason: str


@dataclass(frozen=True)
class ChannelStatus:
    """``/rapport channel show`` (and the outcome of link / unlink)."""

    channel: str
    name: str
    state: str  # linked | unlinked | conflict | erased
    shared_externally: bool
    customers: tuple[LinkedCustomer, ...] = ()
    conversations: tuple[ConversationLine, ...] = ()
    proposals: tuple[ProposalLine, ...] = ()
    message: str = ""
    ok: bool = True


@dataclass(frozen=True)
class Proposal:
    """The DM to admins: link this Slack Connect channel to this customer? (buttons while pending)"""

    proposal_id: int
    channel: str
    channel_name: str
    customer_id: int
    customer: str
    tier: str
    reason: str
    state: str  # pending | accepted | declined
    decided_by: str | None = None


@dataclass(frozen=True)
class AdminNote:
    """Something an admin must fix about a customer channel (nothing was tracked meanwhile)."""

    channel: str
    kind: str  # erased | conflict | unresolved | rate_limited | helpdesk
    text: str


@dataclass(frozen=True)
class Nudge:
    """The owner's DM at 75% of a first-response target."""

    owner: str
    conversation: ConversationLine
    link: str = ""


@dataclass(frozen=True)
class TicketMade:
    """To the staff member who reacted 🎫 (only they see it)."""

    ticket_id: int
    customer: str
    subject: str
    priority: str
    permalink: str
    clock_text: str  # "first response 12m of 30m (P2, 24x7)"
    helpdesk_id: str | None = None
    already: bool = False  # the message had a ticket already
    note: str = ""


@dataclass(frozen=True)
class HomeConversations:
    """App Home: the open customer conversations of the accounts a staff member owns."""

    user: str
    lines: tuple[ConversationLine, ...] = field(default_factory=tuple)
    total: int = 0
