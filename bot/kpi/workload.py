"""Owner workload over a window ``[since, until)``: the load on the people who serve the best accounts
(issue 19 item 3; ``kpis-per-tier.md``, *Workload and burnout*).

Per owner (a Slack user id: the account owner on the customer record, the alert recipient, the hand-off's
claimer or the person tagged):

* **Accounts** per tier (golden records they own, now) against the tier's ``max_accounts_per_owner``
  (``tiers.yaml`` promises; a tier without a cap is never over it).
* **Open hand-offs**: hand-offs created before ``until`` still open or claimed, claimed by the owner or, when
  unclaimed, tagging them.
* **Escalations**: their alerts (``recipient``) escalated in the window.
* **Alerts**: their alerts created in the window. **Pages**: interruptions delivered to them in the window
  (outbox rows of kind alert, escalation or reminder with ``sent_at`` in the window; digests are not pages).
  **Out of hours**: pages sent inside ``alerts.yaml`` quiet hours in the owner's own time zone (``roles.yaml``;
  UTC when they are not on the roster), counted per page and per distinct local day.
* **SLA breaches**: customer-channel conversations started in the window whose first-response clock ran out
  (:mod:`bot.kpi.conversations`), by the owner when the conversation started.

**Burnout-risk flag**: over the cap of any tier, or paged out of hours on most days of the window (more than
half of its days). Flags go to the owner's leads (staff with role :data:`LEAD_ROLE`) by direct message, never
to a channel: the digest shows the figures, not the flags.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from bot.alerts.clock import in_quiet_hours, zone
from bot.alerts.models import Alert, AlertOutbox
from bot.ask.models import HANDOFF_CLAIMED, HANDOFF_OPEN, HandoffRecord
from bot.customers.accounts import accounts_per_owner
from bot.kpi.conversations import conversation_kpis
from bot.kpi.format import text_table
from bot.mrkdwn import escape
from bot.notify import Outbound, SentRef
from bot.policies import Policies
from bot.services import Services

LEAD_ROLE = "cs_lead"
# Who may see another person's workload: their leads, executives and the operations analyst (it is about people)
VIEWER_ROLES = frozenset({LEAD_ROLE, "executive", "analyst"})
PAGE_KINDS = ("alert", "escalation", "reminder")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>")


@dataclass(frozen=True)
class OwnerLoad:
    owner: str
    name: str  # from roles.yaml; the id when the owner is not on the roster
    on_roster: bool
    accounts: dict[str, int] = field(default_factory=dict)  # tier -> accounts owned
    caps: dict[str, int] = field(default_factory=dict)  # tier -> max_accounts_per_owner (capped tiers only)
    open_handoffs: int = 0
    escalations: int = 0
    alerts: int = 0
    pages: int = 0
    pages_out_of_hours: int = 0
    out_of_hours_days: int = 0
    sla_breaches: int = 0

    @property
    def over_capacity(self) -> dict[str, tuple[int, int]]:
        """Tiers over their cap: tier -> (accounts, cap)."""
        return {t: (n, self.caps[t]) for t, n in self.accounts.items() if t in self.caps and n > self.caps[t]}


@dataclass(frozen=True)
class Workload:
    since: dt.datetime
    until: dt.datetime
    owners: tuple[OwnerLoad, ...]
    tiers: tuple[str, ...]  # tier order, highest first

    @property
    def days(self) -> int:
        return max(1, round((self.until - self.since).total_seconds() / 86400))

    def reasons(self, o: OwnerLoad) -> list[str]:
        """Why ``o`` is a burnout risk (empty when not)."""
        why = [f"{n} {t} accounts against a cap of {cap}" for t, (n, cap) in o.over_capacity.items()]
        if o.out_of_hours_days * 2 > self.days:
            why.append(
                f"paged out of hours on {o.out_of_hours_days} of {self.days} days ({o.pages_out_of_hours} pages)"
            )
        return why

    @property
    def flagged(self) -> list[OwnerLoad]:
        return [o for o in self.owners if self.reasons(o)]


def _is_user(value: object) -> bool:
    return isinstance(value, str) and bool(USER_ID.match(value))


def _accounts(engine: Engine) -> dict[str, dict[str, int]]:
    with engine.connect() as conn:
        return {o: tiers for o, tiers in accounts_per_owner(conn).items() if o is not None}


def _handoffs(engine: Engine, until: dt.datetime) -> dict[str, int]:
    h = HandoffRecord.__table__.c
    who = func.coalesce(h.claimed_by, h.tag)
    q = (
        select(who, func.count())
        .where(h.state.in_((HANDOFF_OPEN, HANDOFF_CLAIMED)), h.created_at < until)
        .group_by(who)
    )
    with engine.connect() as conn:
        return {str(w): int(n) for w, n in conn.execute(q) if w is not None}


def _alerts(engine: Engine, since: dt.datetime, until: dt.datetime) -> tuple[dict[str, int], dict[str, int]]:
    a = Alert.__table__.c
    created = select(a.recipient, func.count()).where(a.created_at >= since, a.created_at < until)
    escalated = select(a.recipient, func.count()).where(a.escalated_at >= since, a.escalated_at < until)
    with engine.connect() as conn:
        made = {str(r): int(n) for r, n in conn.execute(created.group_by(a.recipient)) if r is not None}
        esc = {str(r): int(n) for r, n in conn.execute(escalated.group_by(a.recipient)) if r is not None}
    return made, esc


def _pages(
    engine: Engine, policies: Policies, since: dt.datetime, until: dt.datetime
) -> dict[str, tuple[int, int, int]]:
    """owner -> (pages, pages out of hours, distinct local days with one). The rows are pulled: local time
    needs each owner's zone, and pages are few (the interruption cap bounds them per person per day)."""
    o = AlertOutbox.__table__.c
    q = select(o.recipient, o.sent_at).where(o.kind.in_(PAGE_KINDS), o.sent_at >= since, o.sent_at < until)
    quiet = policies.alerts.defaults.quiet_hours
    pages: dict[str, int] = defaultdict(int)
    late: dict[str, int] = defaultdict(int)
    days: dict[str, set[dt.date]] = defaultdict(set)
    with engine.connect() as conn:
        for who, sent in conn.execute(q):
            if not _is_user(who):
                continue  # a channel: watched in shifts, nobody's night
            member = policies.staff(who)
            local = sent.astimezone(zone(member.tz if member else "UTC"))
            pages[who] += 1
            if in_quiet_hours(local.time(), quiet.start, quiet.end):
                late[who] += 1
                # a night runs past midnight: a page at 02:00 belongs to the evening before
                days[who].add((local - dt.timedelta(hours=12)).date() if local.time() < quiet.end else local.date())
    return {w: (n, late[w], len(days[w])) for w, n in pages.items()}


def owner_workload(
    engine: Engine, policies: Policies, since: dt.datetime, until: dt.datetime, owner: str | None = None
) -> Workload:
    """Every owner's load over ``[since, until)`` (or one owner's), most accounts first."""
    if since >= until:
        raise ValueError("the window is empty: since must be before until")
    accounts = _accounts(engine)
    handoffs = _handoffs(engine, until)
    alerts, escalations = _alerts(engine, since, until)
    pages = _pages(engine, policies, since, until)
    conv = conversation_kpis(engine, since, until, policies.tier_names)
    breaches = {r.group: r.breached for r in conv.by_owner}
    caps = {
        t.name: t.promises.max_accounts_per_owner for t in policies.tiers.tiers if t.promises.max_accounts_per_owner
    }
    who = {w for w in (*accounts, *handoffs, *alerts, *escalations, *pages, *breaches) if _is_user(w)}
    if owner is not None:
        who = {owner}
    loads = []
    for w in who:
        member = policies.staff(w)
        mine = accounts.get(w, {})
        n, late, late_days = pages.get(w, (0, 0, 0))
        loads.append(
            OwnerLoad(
                owner=w,
                name=member.name if member else w,
                on_roster=member is not None,
                accounts=mine,
                caps={t: c for t, c in caps.items() if c is not None},
                open_handoffs=handoffs.get(w, 0),
                escalations=escalations.get(w, 0),
                alerts=alerts.get(w, 0),
                pages=n,
                pages_out_of_hours=late,
                out_of_hours_days=late_days,
                sla_breaches=breaches.get(w, 0),
            )
        )
    loads.sort(key=lambda o: (-sum(o.accounts.values()), -o.pages, o.name))
    return Workload(since, until, tuple(loads), tuple(policies.tier_names))


def accounts_text(o: OwnerLoad, tiers: tuple[str, ...]) -> str:
    """``platinum 9/8, gold 12/25``: accounts against the cap, highest tier first."""
    order = [t for t in tiers if t in o.accounts] + sorted(t for t in o.accounts if t not in tiers)
    return (
        ", ".join(f"{t} {o.accounts[t]}/{o.caps[t]}" if t in o.caps else f"{t} {o.accounts[t]}" for t in order) or "-"
    )


WORKLOAD_HEADER = [
    "Owner",
    "Accounts/cap",
    "Hand-offs",
    "Escalations",
    "Alerts",
    "Pages",
    "Out of hours",
    "SLA breaches",
]


def workload_rows(w: Workload, limit: int = 20) -> list[list[str]]:
    """Rows for :func:`bot.kpi.format.text_table` (names from roles.yaml; the caller escapes for Slack)."""
    return [
        [
            o.name if o.on_roster else f"{o.owner} (not in roles.yaml)",
            accounts_text(o, w.tiers),
            f"{o.open_handoffs:,}",
            f"{o.escalations:,}",
            f"{o.alerts:,}",
            f"{o.pages:,}",
            f"{o.pages_out_of_hours:,} on {o.out_of_hours_days} d",
            f"{o.sla_breaches:,}",
        ]
        for o in w.owners[:limit]
    ]


@dataclass(frozen=True)
class WorkloadReport:
    """What ``/rapport workload`` shows (only to the asker): the table and, for leads, who is flagged and why."""

    title: str
    table: str
    flags: tuple[str, ...] = ()
    refused: str | None = None


class WorkloadRefused(PermissionError):
    pass


def resolve_owner(policies: Policies, text: str, viewer: str) -> str:
    """The owner named in ``/rapport workload [@owner]``: a mention, a user id, or a roster name (full or
    first); nothing named is the viewer."""
    text = text.strip()
    if not text:
        return viewer
    found = MENTION.search(text)
    if found:
        return found.group(1)
    word = text.lstrip("@").strip()
    if USER_ID.match(word):
        return word
    names = [s for s in policies.roles.staff if word.lower() in (s.name.lower(), s.name.split()[0].lower())]
    if len(names) != 1:
        raise WorkloadRefused(f"I don't know who {word[:40]} is (name a person with @, or a roster name).")
    return names[0].id


def may_view(policies: Policies, viewer: str, owner: str) -> bool:
    member = policies.staff(viewer)
    return viewer == owner or (member is not None and bool(VIEWER_ROLES & set(member.roles)))


def workload_report(services: Services, viewer: str, text: str = "", days: int = 7) -> WorkloadReport:
    """``/rapport workload [@owner]``: the viewer's own load, or (for leads) someone else's or everyone's (``all``)."""
    policies = services.policies
    until = services.clock()
    since = until - dt.timedelta(days=days)
    everyone = text.strip().lower() == "all"
    try:
        owner = None if everyone else resolve_owner(policies, text, viewer)
    except WorkloadRefused as exc:
        return WorkloadReport("Workload", "", refused=str(exc))
    lead = may_view(policies, viewer, "") if everyone else may_view(policies, viewer, owner or viewer)
    if not lead:
        return WorkloadReport(
            "Workload", "", refused="Only your leads see someone else's workload; try `/rapport workload`."
        )
    w = owner_workload(services.engine, policies, since, until, owner)
    table = text_table(WORKLOAD_HEADER, workload_rows(w))
    member = policies.staff(viewer)
    is_lead = member is not None and LEAD_ROLE in member.roles
    flags = tuple(f"{o.name}: {'; '.join(w.reasons(o))}" for o in w.flagged) if is_lead or owner == viewer else ()
    who = "everyone" if everyone else (w.owners[0].name if w.owners else owner or viewer)
    return WorkloadReport(f"Workload of {who}, last {days} days", table, flags)


def leads(policies: Policies) -> list[str]:
    return [s.id for s in policies.roles.staff if LEAD_ROLE in s.roles]


def flag_to_leads(services: Services, w: Workload) -> list[SentRef]:
    """One direct message per lead naming the owners at burnout risk and why; nothing when nobody is flagged.
    Never a channel: a person's load is between them and their lead."""
    flagged = w.flagged
    if not flagged:
        return []
    lines = [f"• {escape(o.name)}: {escape('; '.join(w.reasons(o)))}" for o in flagged]
    text = (
        f"Burnout-risk signal for {w.since:%Y-%m-%d} to {w.until:%Y-%m-%d} ({len(flagged)} owner(s)); "
        "kpis-per-tier.md asks for a staffing review after two such months:\n" + "\n".join(lines)
    )
    return [services.notifier.send(Outbound(lead, text)) for lead in leads(services.policies)]
