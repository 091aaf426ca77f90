"""Every message in a customer channel, tracked: a customer's message starts (or joins) a conversation with a
first-response clock; a staff reply stops it; edits and deletions adjust, never start one.

Rules, in the order :func:`track` applies them:

* Channels nobody linked are left alone (``owned`` still tells Ask to stay out of channels shared with
  another organisation). A channel linked to an erased customer, or to two customers, tracks nothing and
  tells the admins once.
* Bots (Rapport included) are ignored. A staff message that mentions Rapport is a question to it, not an
  answer to the customer.
* A customer's message in a thread joins that thread's open conversation, else starts one for the thread. At
  the top level it joins the same member's conversation (unanswered or answered, not resolved) if their last
  top-level message in it was within ``group_window`` ("Hi" then the question is one conversation; "thanks!"
  just after an answer starts no clock), else starts one. A message with only a file
  (a screenshot of an error) is a question like any other: it starts a clock, its excerpt names the file.
* The clock: the tier's first-response target for the priority the words ask for (``priority_words``), in
  calendar time for 24x7 tiers, in the customer's business hours otherwise (:mod:`bot.channels.clock`).
  Times are the message's own Slack timestamp, so a late or redelivered event clocks from when it was sent.
* A staff reply in the thread answers that conversation; at the top level it answers every unanswered one of
  the channel started before it. A breach alert on an answered conversation resolves.
* A member posting more than ``rate_limit_per_minute`` messages a minute is not tracked beyond that (admins
  are told once an hour): nothing they send can flood the store, the clocks or the owner's DMs.

Everything for one message happens in one transaction; ``open_key`` is unique, so two replicas racing on the
same thread make one conversation (the loser joins it).

One module because the rules of one message's effect on conversations, applied in order in one
transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import deque
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.alerts.actions import refresh_messages
from bot.channels.clock import clock_for
from bot.channels.directory import Directory
from bot.channels.facts import observe
from bot.channels.lines import clock_of
from bot.channels.links import CONFLICT, ERASED, LINKED, LinkedTo, end_conversations, resolve, resolve_alerts
from bot.channels.models import ANSWERED, OPEN, ChannelMessage, ChannelTicket, Conversation, SharedChannel
from bot.channels.notices import tell_admins
from bot.channels.people import BOT, CUSTOMER, STAFF, who
from bot.channels.text import higher, plain, words_priority
from bot.policies import Policies, UnknownPolicyKey
from bot.policies.channels import CustomerChannelSettings
from bot.services import Services
from bot.store.models import Note, Ticket

log = logging.getLogger(__name__)
TRACKED_SUBTYPES = (None, "file_share", "thread_broadcast")
EXCERPT = 300


def ts_time(ts: str) -> dt.datetime:
    """A Slack timestamp (``"1712345678.000100"``) as a UTC datetime."""
    return dt.datetime.fromtimestamp(float(ts), dt.UTC)


@dataclass(frozen=True)
class Posted:
    """A message event in a channel, as the listener read it (plain values, no Slack shapes)."""

    channel: str
    ts: str
    user: str
    text: str
    thread_ts: str | None = None
    subtype: str | None = None
    bot: bool = False
    team: str | None = None  # the author's team (``user_team``): another organisation's in Slack Connect
    home_team: str | None = None  # ours
    ext_shared: bool = False  # the envelope's is_ext_shared_channel
    files: tuple[str, ...] = ()  # names of attached files
    mentions_bot: bool = False

    @property
    def in_thread(self) -> str | None:
        return self.thread_ts if self.thread_ts and self.thread_ts != self.ts else None


@dataclass(frozen=True)
class Tracked:
    owned: bool  # a customer or externally shared channel: Ask answers nothing here unprompted
    reason: str = ""  # what happened: started | joined | answered | staff | bot | not_linked | erased | ...
    conversation_id: int | None = None
    customer_id: int | None = None
    tier: str = ""
    answered: tuple[int, ...] = ()
    text: str = ""  # the customer's words (for complaint detection)

    @property
    def started(self) -> bool:
        return self.reason == "started"


class RateLimiter:
    """Messages per (channel, member) in a sliding minute of *message* time. In-process: each replica limits
    what it receives, which bounds what one member can make any replica write."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: tuple[str, str], at: float) -> bool:
        with self._lock:
            window = self._seen.setdefault(key, deque())
            while window and window[0] <= at - 60:
                window.popleft()
            if len(window) >= self.per_minute:
                return False
            window.append(at)
            if len(self._seen) > 10_000:  # forget quiet members
                for k in [k for k, w in self._seen.items() if not w or w[-1] <= at - 60]:
                    del self._seen[k]
            return True


@dataclass
class Tracker:
    """The tracking entry point the listener calls; holds the per-process rate limiter."""

    services: Services
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.services.policies.channels.customer_channels.rate_limit_per_minute)

    def track(self, posted: Posted, directory: Directory) -> Tracked:
        return track(self.services, posted, directory, self.limiter)

    def edited(self, channel: str, ts: str, text: str) -> bool:
        return edited(self.services, channel, ts, text)

    def deleted(self, channel: str, ts: str) -> bool:
        return deleted(self.services, channel, ts)


def track(services: Services, posted: Posted, directory: Directory, limiter: RateLimiter | None = None) -> Tracked:
    """Track one message event; see the module docstring for the rules."""
    cfg = services.policies.channels.customer_channels
    at = ts_time(posted.ts)
    answered: list[int] = []
    alerts: list[int] = []
    with services.sessions() as session, session.begin():
        shared = session.get(SharedChannel, posted.channel)
        if posted.ext_shared and (shared is None or not shared.is_ext_shared):
            shared = observe(session, posted.channel, services.clock(), ext_shared=True)
        owned = bool(shared is not None and (shared.is_ext_shared or shared.linked))
        res = resolve(session, posted.channel, shared)
        if res.state not in (LINKED, CONFLICT, ERASED):
            return Tracked(owned, "not_linked")
        if posted.bot or posted.subtype not in TRACKED_SUBTYPES or not posted.user:
            return Tracked(True, "bot" if posted.bot else "ignored")
        if res.state != LINKED or res.customer is None:
            problem = res.state
        else:
            problem = ""
            person = who(session, services.policies, directory, posted.user, at, posted.team, posted.home_team)
            if person.kind == BOT:
                return Tracked(True, "bot")
            if session.scalar(
                select(ChannelMessage.id).where(
                    ChannelMessage.channel_id == posted.channel, ChannelMessage.ts == posted.ts
                )
            ):
                return Tracked(True, "duplicate")
            if person.kind == STAFF:
                answered, alerts = _staff_message(session, services.policies, posted, res.customer, at)
            elif limiter is not None and not limiter.allow((posted.channel, posted.user), at.timestamp()):
                problem = "rate_limited"
            else:
                assert person.kind == CUSTOMER
                return _customer_message(session, services.policies, cfg, posted, res.customer, at, shared)
    if problem:
        _tell(services, posted, problem, res.candidates, at)
        return Tracked(True, problem)
    for alert_id in alerts:
        refresh_messages(services.engine, services.notifier, alert_id)
    return Tracked(True, "answered" if answered else "staff", answered=tuple(answered))


def _tell(services: Services, posted: Posted, problem: str, candidates: tuple[LinkedTo, ...], at: dt.datetime) -> None:
    ch = f"<#{posted.channel}>"
    if problem == ERASED:
        text = (
            f"{ch} was linked to a customer who has since been erased. Messages there start no clocks; "
            "`/rapport channel unlink` it, or link it to another customer."
        )
        tell_admins(services, posted.channel, ERASED, text)
    elif problem == CONFLICT:
        names = " and ".join(c.name for c in candidates)
        text = (
            f"{ch} is linked to two customers ({names}). Messages there start no clocks until it is linked to "
            "one: `/rapport channel unlink`, then `/rapport channel link CUSTOMER` (and check channels.yaml)."
        )
        tell_admins(services, posted.channel, CONFLICT, text, key=",".join(str(c.id) for c in candidates))
    elif problem == "rate_limited":
        limit = services.policies.channels.customer_channels.rate_limit_per_minute
        text = (
            f"<@{posted.user}> posted more than {limit} messages a minute in {ch}: I stopped tracking their "
            "messages beyond that rate (no new clocks, no alerts from them) until it slows down."
        )
        tell_admins(services, posted.channel, "rate_limited", text, key=f"{posted.user}:{at:%Y-%m-%dT%H}")


def _new_clock(policies: Policies, customer: LinkedTo, priority: str, at: dt.datetime) -> dict[str, object] | None:
    try:
        clock = clock_for(policies, customer.tier, priority, customer.timezone)
    except UnknownPolicyKey:
        log.error("customer %s has tier %r, which sla.yaml does not know: no clock", customer.id, customer.tier)
        return None
    pct = policies.channels.customer_channels.nudge_percent / 100
    return {
        "tier": clock.tier,
        "priority": clock.priority,
        "coverage": clock.coverage,
        "timezone": clock.timezone,
        "target_seconds": int(clock.target.total_seconds()),
        "nudge_at": clock.deadline(at, pct),
        "due_at": clock.deadline(at),
    }


def _excerpt(posted: Posted) -> str:
    words = plain(posted.text, EXCERPT)
    if words:
        return words
    if posted.files:
        return plain("(file: " + ", ".join(posted.files[:3]) + ")", EXCERPT)
    return "(no text)"


def _customer_message(
    session: Session,
    policies: Policies,
    cfg: CustomerChannelSettings,
    posted: Posted,
    customer: LinkedTo,
    at: dt.datetime,
    shared: SharedChannel | None,
) -> Tracked:
    words = words_priority(posted.text, cfg.priority_words)
    thread = posted.in_thread
    c = Conversation.__table__.c
    if thread:
        conv = session.scalar(select(Conversation).where(c.open_key == f"{posted.channel}:{thread}"))
    else:
        # The member's conversation whose last top-level message is this recent (replies in its thread do not
        # count: a new question at the top level an hour into a thread is a new conversation).
        m = ChannelMessage.__table__.c
        conv = session.scalar(
            select(Conversation)
            .join(ChannelMessage.__table__, m.conversation_id == c.id)
            .where(
                c.channel_id == posted.channel,
                c.open_key.is_not(None),
                c.author == posted.user,
                m.thread_ts.is_(None),
                m.from_customer.is_(True),
                m.posted_at >= at - cfg.group_window,
                m.posted_at <= at + cfg.group_window,  # events can arrive out of order (retries)
            )
            .order_by(m.posted_at.desc())
            .limit(1)
        )
    reason = "joined"
    if conv is None:
        priority = words or cfg.default_priority
        fields = _new_clock(policies, customer, priority, at)
        if fields is None:
            return Tracked(True, "no_clock", customer_id=customer.id)
        key_ts = thread or posted.ts
        conv = Conversation(
            channel_id=posted.channel,
            customer_id=customer.id,
            thread_ts=key_ts,
            open_key=f"{posted.channel}:{key_ts}",
            started_ts=posted.ts,
            author=posted.user,
            owner=customer.owner,
            priority_source="words" if words else "default",
            started_at=at,
            state=OPEN,
            last_customer_at=at,
            last_activity_at=at,
            messages=1,
            excerpt=_excerpt(posted),
            created_at=at,
            **fields,
        )
        try:
            with session.begin_nested():
                session.add(conv)
        except IntegrityError:  # another replica opened this thread's conversation first: join it
            conv = session.scalar(select(Conversation).where(c.open_key == f"{posted.channel}:{key_ts}"))
            if conv is None:
                raise
        else:
            reason = "started"
            name = shared.name if shared is not None and shared.name else posted.channel
            session.add(
                Note(
                    customer_id=customer.id,
                    author_slack_id=None,
                    kind="slack",
                    body=f"Customer conversation in #{name} ({conv.priority}): first response due "
                    f"{conv.due_at:%Y-%m-%d %H:%M} UTC",
                    created_at=at,
                )
            )
    if reason == "joined":
        conv.messages += 1
        conv.last_customer_at = max(conv.last_customer_at, at)
        conv.last_activity_at = max(conv.last_activity_at, at)
        if words and conv.first_response_at is None and higher(words, conv.priority) != conv.priority:
            raise_priority(policies, conv, words, "words")
    session.add(
        ChannelMessage(
            channel_id=posted.channel,
            ts=posted.ts,
            thread_ts=thread,
            conversation_id=conv.id,
            customer_id=customer.id,
            author=posted.user,
            from_customer=True,
            posted_at=at,
        )
    )
    return Tracked(True, reason, conv.id, customer.id, customer.tier, text=posted.text)


def raise_priority(policies: Policies, conv: Conversation, priority: str, source: str) -> bool:
    """A more urgent priority (words in a later message, a 🚨 reaction): the clock restarts from the
    conversation's start with the shorter target. A breach already alerted stays alerted."""
    if conv.first_response_at is not None or higher(priority, conv.priority) == conv.priority:
        return False
    fields = _new_clock(
        policies, LinkedTo(conv.customer_id, "", conv.tier, conv.timezone, conv.owner, 0.0), priority, conv.started_at
    )
    if fields is None:
        return False
    for key in ("priority", "target_seconds", "nudge_at", "due_at"):
        setattr(conv, key, fields[key])
    conv.priority_source = source
    return True


def _staff_message(
    session: Session, policies: Policies, posted: Posted, customer: LinkedTo, at: dt.datetime
) -> tuple[list[int], list[int]]:
    """Answer the conversation(s) this staff message replies to; (conversations answered, alerts resolved)."""
    if posted.mentions_bot:
        return [], []
    c = Conversation.__table__.c
    thread = posted.in_thread
    if thread:
        where = [c.open_key == f"{posted.channel}:{thread}"]
    else:
        where = [c.channel_id == posted.channel, c.state == OPEN, c.started_at <= at]
    convs = list(session.scalars(select(Conversation).where(*where)))
    answered, alerts = [], []
    hours = policies.sla.business_hours
    for conv in convs:
        conv.last_activity_at = max(conv.last_activity_at, at)
        if conv.state != OPEN or conv.first_response_at is not None:
            continue
        conv.state = ANSWERED
        conv.first_response_at = at
        conv.first_response_by = posted.user
        conv.response_seconds = int(clock_of(conv, hours).elapsed(conv.started_at, at).total_seconds())
        answered.append(conv.id)
        if conv.alert_id:
            alerts += resolve_alerts(session, [conv.alert_id], at)
    if answered:
        tickets = select(ChannelTicket.ticket_id).where(ChannelTicket.conversation_id.in_(answered))
        session.execute(
            update(Ticket)
            .where(Ticket.id.in_(tickets), Ticket.first_response_at.is_(None), Ticket.opened_at <= at)
            .values(first_response_at=at)
        )
    if convs:
        session.add(
            ChannelMessage(
                channel_id=posted.channel,
                ts=posted.ts,
                thread_ts=thread,
                conversation_id=convs[0].id,
                customer_id=customer.id,
                author=posted.user,
                from_customer=False,
                posted_at=at,
            )
        )
    return answered, alerts


def edited(services: Services, channel: str, ts: str, text: str) -> bool:
    """A customer edited a tracked message: no new clock; the excerpt follows, and words asking for a higher
    priority raise the unanswered conversation's."""
    cfg = services.policies.channels.customer_channels
    with services.sessions() as session, session.begin():
        msg = session.scalar(
            select(ChannelMessage).where(ChannelMessage.channel_id == channel, ChannelMessage.ts == ts)
        )
        if msg is None or not msg.from_customer:
            return False
        conv = session.get(Conversation, msg.conversation_id)
        if conv is None or conv.state != OPEN:
            return False
        if conv.started_ts == ts:
            conv.excerpt = plain(text, EXCERPT) or conv.excerpt
        words = words_priority(text, cfg.priority_words)
        return bool(words and raise_priority(services.policies, conv, words, "words"))


def deleted(services: Services, channel: str, ts: str) -> bool:
    """A customer deleted a tracked message: an unanswered conversation left with no message ends
    (``withdrawn``), its breach alert resolves."""
    now = services.clock()
    alerts: list[int] = []
    with services.sessions() as session, session.begin():
        msg = session.scalar(
            select(ChannelMessage).where(ChannelMessage.channel_id == channel, ChannelMessage.ts == ts)
        )
        if msg is None or not msg.from_customer:
            return False
        conv = session.get(Conversation, msg.conversation_id)
        session.delete(msg)
        if conv is None or conv.state != OPEN:
            return False
        conv.messages = max(0, conv.messages - 1)
        if conv.messages == 0:
            alerts = end_conversations(session, Conversation.id == conv.id, now, "withdrawn", msg.author)
    for alert_id in alerts:
        refresh_messages(services.engine, services.notifier, alert_id)
    return True
