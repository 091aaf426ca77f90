"""Record questions answered from the customer card, value first: "Willowfield Devices Co renews on 4 Jan 2027,
in 31 days; owner @Priya." Values come from the card, which is already redacted for the asker's role
(``bot.customers.card.build_card`` -> ``bot.governance.redaction``): a field the card hides is never stated;
the answer says it is restricted and whom to ask."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot import mrkdwn
from bot.approvals.amounts import format_percent
from bot.ask.dates import Window, day, past_window
from bot.ask.discounts import history
from bot.ask.health import AT_RISK, HEALTHY, TREND_DAYS, health_trend
from bot.ask.intents import Intent
from bot.ask.interactions import interactions
from bot.ask.renewals import arr_change, first_renewal, past_renewals
from bot.ask.shipments import shipment_lines
from bot.ask.sla_history import said, sla_record
from bot.ask.slots import Moment
from bot.ask.ticket_history import ticket_history
from bot.customers.card import CustomerCard, TicketLine, contact_label, unknown_tier
from bot.customers.sla import WEEKDAYS, SlaClock, human
from bot.customers.tickets import TicketRef
from bot.policies import Policies
from bot.privacy.models import LegalHold
from bot.store.models import Contact, Customer, Order

LABELS = {
    "renewal_date": "renewal date",
    "owner": "owner",
    "tier": "tier",
    "segment": "segment",
    "region": "region",
    "time_zone": "time zone",
    "arr": "ARR",
    "lifetime_value": "lifetime value",
    "open_tickets": "open tickets",
    "last_contact": "last contact",
    "recent_interactions": "recent interactions",
    "consent": "consent",
    "preferences": "contact preferences",
    "contact_name": "contact name",
    "contact_email": "contact email",
    "contact_phone": "contact phone",
    "health_score": "health score",
    "payment_status": "payment status",
    "sentiment": "sentiment",
    "nps": "NPS",
    "discount_history": "discount history",
}
# A preferred channel as the source stores it, said as people say it.
CHANNELS = {"slack_connect": "Slack Connect", "email": "email", "phone": "phone", "sms": "SMS", "portal": "the portal"}
STATE_ORDER = {"breached": 0, "at_risk": 1, "ok": 2}
MAX_TICKETS = 5
# An average sentiment this far from 0 (either way) is said as positive or negative; closer, neutral: -0.04 is
# not a customer turning sour.
MOOD = 0.3


@dataclass(frozen=True)
class Facts:
    """Sentences to lead the answer with; which card fields they state (for the audit) and whether any of them
    is sensitive (the answer is then shown to the asker only, like a card with sensitive fields)."""

    sentences: tuple[str, ...]
    stated: tuple[str, ...]
    restricted: tuple[str, ...]
    sensitive: bool


def who_knows(card: CustomerCard, policies: Policies) -> str:
    """Whom to ask about the customer: their owner, else the tier's on-duty owner, else the account team."""
    if card.owner:
        return mrkdwn.mention(card.owner)
    try:
        duty = policies.on_duty(card.tier)
    except Exception:  # an unknown tier, or no policy: nobody on duty to name
        duty = None
    return f"{mrkdwn.mention(duty)} (on duty for {card.tier})" if duty else "the account team"


def name_of(card: CustomerCard) -> str:
    return mrkdwn.bold(card.name)


def money(value: Any) -> str:
    return f"${Decimal(str(value)):,.0f}"


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def _local(now: dt.datetime, tz: str | None) -> dt.datetime | None:
    try:
        return now.astimezone(ZoneInfo(tz)) if tz else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _within(local: dt.datetime, days: Sequence[str], start: dt.time, end: dt.time) -> bool:
    return WEEKDAYS[local.weekday()] in days and start <= local.time() < end


def within_contact_hours(policies: Policies, now: dt.datetime, tz: str | None) -> bool | None:
    """Whether ``now`` falls within sla.yaml's ``contact_hours`` in the zone ``tz``; None without a window or a zone
    that can be read."""
    window = getattr(policies.sla, "contact_hours", None) if policies.configured else None
    local = _local(now, tz)
    if window is None or local is None:
        return None
    return _within(local, [d.lower() for d in window.days], window.start, window.end)


def _next_opening(local: dt.datetime, days: Sequence[str], start: dt.time) -> dt.datetime:
    """The next start of a contact window after ``local`` (the same day when it has not started yet)."""
    for ahead in range(8):
        opening = dt.datetime.combine(local.date() + dt.timedelta(days=ahead), start, local.tzinfo)
        if opening > local and WEEKDAYS[opening.weekday()] in days:
            return opening
    return local  # a window with no day: the schema requires one, so not reached


def _at(moment: Moment, local: dt.datetime) -> tuple[dt.datetime, bool]:
    """The asked moment as a time in the customer's zone, the next time it comes after ``local`` (their now),
    and whether it names a clock time (False: the day as a whole, placed at its first minute)."""
    if moment.day == "tomorrow":
        date = local.date() + dt.timedelta(days=1)
    elif moment.day in WEEKDAYS:
        ahead = (WEEKDAYS.index(moment.day) - local.weekday()) % 7
        date = local.date() + dt.timedelta(days=ahead)
    else:
        date = local.date()
    at = dt.datetime.combine(date, moment.time or dt.time(0), local.tzinfo)
    if moment.time is not None and at <= local and moment.day in (None, *WEEKDAYS):
        at += dt.timedelta(days=7 if moment.day else 1)  # "at 9am" asked at 13:00: tomorrow's 9am
    return at, moment.time is not None


def _day_span(days: Sequence[str]) -> str:
    """ "Mon–Fri" for a run of consecutive days, else the days listed ("Mon, Wed")."""
    idx = sorted(WEEKDAYS.index(d) for d in set(days) if d in WEEKDAYS)
    if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{WEEKDAYS[idx[0]].title()}–{WEEKDAYS[idx[-1]].title()}"
    return ", ".join(WEEKDAYS[i].title() for i in idx)


class Writer:
    """One customer's facts for one asker: each method states one field, or says why it cannot."""

    def __init__(
        self,
        card: CustomerCard,
        policies: Policies,
        now: dt.datetime,
        moment: Moment | None = None,
        session: Session | None = None,
        tiers: Sequence[str] = (),
        priority: str | None = None,
        ticket: TicketRef | None = None,
        share: float | None = None,
        window: Window | None = None,
        question: str = "",
    ) -> None:
        self.card = card
        self.opt_out = asks_opt_out(question)  # whether they opted out is asked: its "yes" is the opt-out
        self.time_asked = bool(_TIME_THERE.search(question))  # their local time is asked: it leads
        self.quiet_asked = bool(_QUIET_ASKED.search(question))  # whether it is quiet hours there: its yes is "not now"
        self.everyone = bool(_CONTACTS.search(question))  # every contact asked, not the primary one alone
        self.window = window  # the past the question names ("what changed on X this week?"), if any
        self.share = share  # a share of an amount the question asks for ("what's 15% of X's ARR?")
        self.ticket = ticket  # the ticket the question names ("is HD-00001305 breaching?")
        self.tiers = tiers  # the tiers the question names ("is X eligible for platinum?")
        self.priority = priority  # the priority the question names ("how many open P1s does X have?")
        self.session = session  # for what the record keeps elsewhere (the discount requests)
        self.policies = policies
        self.now = now if now.tzinfo else now.replace(tzinfo=dt.UTC)
        self.moment = moment  # when the question asks about, if it names one ("tomorrow morning")
        self.name = name_of(card)
        self.stated: list[str] = []
        self.restricted: list[str] = []

    def has(self, key: str) -> bool:
        if key in self.card.hidden:
            if key not in self.restricted:
                self.restricted.append(key)
            return False
        self.stated.append(key)
        return True

    @property
    def owner(self) -> str:
        return who_knows(self.card, self.policies)

    def renewal_date(self) -> str:
        if not self.has("renewal_date"):
            return ""  # restricted: the restricted sentence says so
        value = self.card.fields.get("renewal_date")
        if not isinstance(value, dt.date):
            return f"{self.name} has no renewal date on record; owner {self.owner}."
        left = (value - self.now.date()).days
        when = f"in {_days(left)}" if left > 0 else "today" if left == 0 else f"{_days(-left)} ago"
        verb = "renews" if left >= 0 else "was due to renew"
        return f"{self.name} {verb} on {day(value)}, {when}; owner {self.owner}."

    def owner_sentence(self) -> str:
        self.has("owner")
        if self.card.owner:
            return f"{self.name} is owned by {mrkdwn.mention(self.card.owner)}."
        return f"{self.name} has no owner on record; ask {self.owner}."

    def tier(self) -> str:
        self.has("tier")
        segment = self.card.fields.get("segment") if self.has("segment") else None
        more = f" ({mrkdwn.escape(str(segment))} segment)" if segment else ""
        return f"{self.name} is a *{mrkdwn.escape(self.card.tier.title())}* customer{more}."

    def placement(self) -> str:
        """Whether the record's values reach a tier (tiers.yaml: the highest tier whose lifetime-value OR ARR
        threshold it meets): the tier the question names, else the next one up. The values are stated, and
        compared, only for a role that sees both; the review that moves tiers also counts the last 12 months of
        orders, so the answer says when it runs."""
        self.has("tier")
        current = self.card.tier
        problem = unknown_tier(self.policies, current)  # also a plain handbook, which has no tiers
        if problem is not None:
            return f"{self.name}: {mrkdwn.escape(problem)}."
        names = self.policies.tier_names
        asked = [t for t in self.tiers if t in names and t != current]
        rank = names.index(current)
        if not asked and rank == 0:
            return f"{self.name} is *{current.title()}*, the highest tier."
        target = asked[0] if asked else names[rank - 1]
        head = f"{self.name} is *{current.title()}*. *{target.title()}* takes {takes(self.policies, target)}"
        seen = [self.has(k) for k in ("lifetime_value", "arr")]  # both asked: has() notes each one restricted
        if not all(seen):
            return f"{head}; whether it meets that rests on figures restricted for your role."
        ltv, arr = self.card.fields.get("lifetime_value") or 0, self.card.fields.get("arr") or 0
        placed = self.policies.tier_for_value(float(ltv), float(arr))
        above = names.index(placed) - names.index(target)  # < 0: placed higher than the tier asked about
        verdict = (
            f"meets it and places in *{placed.title()}*"
            if above == 0
            else f"places higher, in *{placed.title()}*"
            if above < 0
            else f"does not meet it and places in *{placed.title()}*"
        )
        if above > 0:  # short of it: by how much, on either value ("how much more ARR does X need?")
            tier = self.policies.tier(target)
            gaps = float(tier.min_lifetime_value) - float(ltv), float(tier.min_arr) - float(arr)
            verdict += f" ({money(gaps[0])} more lifetime value or {money(gaps[1])} more ARR would reach it)"
        when = self.policies.tiers.segmentation.next_review(self.now.date())
        return (
            f"{head}; on its record (lifetime value {money(ltv)}, ARR {money(arr)}) it {verdict}. "
            f"The segmentation review on {day(when)} sets the tier, counting the last 12 months of orders too."
        )

    def segment(self) -> str:
        if not self.has("segment"):
            return ""  # restricted: the restricted sentence says so
        segment = self.card.fields.get("segment")
        if not segment:
            return f"{self.name} has no segment on record."
        return f"{self.name} is in the *{mrkdwn.escape(str(segment))}* segment ({mrkdwn.escape(self.card.tier)} tier)."

    def region(self) -> str:
        region = self.card.fields.get("region") if self.has("region") else None
        tz = self.card.fields.get("time_zone") if self.has("time_zone") else None
        if "region" in self.restricted:
            return ""
        where = mrkdwn.escape(str(region).upper()) if region else "no region on record"
        local = _local(self.now, tz)
        clock = f" ({mrkdwn.escape(tz)}, {local:%H:%M} there now)" if local and tz else ""
        return f"{self.name} is in {where}{clock}."

    def value(self, key: str) -> str:
        if not self.has(key):
            return ""  # restricted: the restricted sentence says so
        amount = self.card.fields.get(key)
        label = LABELS[key]
        if amount is None:
            return f"{self.name} has no {label} on record."
        said = f"{self.name}'s {label} is {money(amount)}."
        if self.share is not None:
            part = Decimal(str(amount)) * Decimal(str(self.share)) / 100
            said += f" {format_percent(self.share)} of it is {money(part)}."
        return said

    def open_tickets(self) -> str:
        self.has("open_tickets")
        if self.ticket is not None:
            return self._ticket(self.ticket)
        tickets = sorted(
            self.card.tickets,
            key=lambda t: (STATE_ORDER.get(t.clock.state, 3) if t.clock else 3, t.priority, t.opened_at),
        )
        if not tickets:
            # "what happened on their last ticket?", "any SLA breaches?": with none open, the latest one says more
            # than the bare count (its line from the card's recent interactions, subject escaped: customer text).
            # Not has(): a role that may not see them is not told so in an answer about open tickets.
            recent = self.card.fields.get("recent_interactions")  # a hidden field is not on the card
            if isinstance(recent, list) and recent:
                return f"{self.name} has no open tickets; the latest {_latest(str(recent[0]))}."
            return f"{self.name} has no open tickets."
        head = f"{self.name} has {_count(len(tickets), 'open ticket')}:"
        if self.priority:
            # a priority asked about is counted first, and its tickets lead; the others follow, as the card lists
            asked = self.priority.upper()
            named = [t for t in tickets if t.priority.upper() == asked]
            tickets = named + [t for t in tickets if t not in named]
            head = f"{self.name} has {_count(len(named), f'open {asked} ticket')} ({len(tickets)} open in all):"
        lines = [head, *(f"• {ticket_line(t)}" for t in tickets[:MAX_TICKETS])]
        if len(tickets) > MAX_TICKETS:
            lines.append(f"…and {len(tickets) - MAX_TICKETS} more on the card.")
        return "\n".join(lines)

    def _ticket(self, ref: TicketRef) -> str:
        """The named ticket first: its clock when open (as the card shows it), else when it was resolved."""
        helpdesk = f" ({mrkdwn.escape(ref.external_id)})" if ref.external_id else ""
        others = [t for t in self.card.tickets if t.id != ref.id]
        more = f"\n{self.name} has {_count(len(others), 'other open ticket')}." if others else ""
        line = next((t for t in self.card.tickets if t.id == ref.id), None)
        if line is not None:
            return f"{self.name}'s ticket {ticket_line(line)}{helpdesk}.{more}"
        subject = mrkdwn.escape(ref.subject)[:80]
        closed = f", resolved on {day(ref.resolved_at.date())}" if ref.resolved_at else ""
        return (
            f"{self.name}'s ticket #{ref.id} {mrkdwn.escape(ref.priority)} _{subject}_{helpdesk} is not open "
            f"({mrkdwn.escape(ref.status)}{closed}; opened on {day(ref.opened_at.date())}).{more}"
        )

    def last_contact(self) -> str:
        if not self.has("last_contact"):
            return ""  # restricted: the restricted sentence says so
        when = self.card.fields.get("last_contact")
        if not isinstance(when, dt.datetime | dt.date):
            return f"There is no contact with {self.name} on record."
        date = when.date() if isinstance(when, dt.datetime) else when
        ago = (self.now.date() - date).days
        return f"Last contact with {self.name} was on {day(date)}, {'today' if ago <= 0 else _days(ago) + ' ago'}."

    def consent(self, which: str | None) -> str:
        if not self.has("consent"):
            return ""  # restricted: the restricted sentence says so
        consent = self.card.fields.get("consent")
        consent = consent if isinstance(consent, dict) else {}
        outreach, marketing = consent.get("outreach"), consent.get("marketing")
        processing = consent.get("data processing")
        if which == "all":  # "has X opted out of anything?": each, as the card shows them
            reach = "accepts outreach" if outreach else "has opted out of outreach"
            market = "has given marketing consent" if marketing else "has not given marketing consent"
            each = [reach, market]  # (not "said": that is the SLA record's sentence, imported above)
            if processing is not None:
                each.append(f"{'has' if processing else 'has not'} consented to data processing")
            return f"{self.name} {mrkdwn.listed(each)}."
        if which == "data_processing":
            if processing is None:
                return f"{self.name}'s record says nothing of data processing consent."
            if processing:
                return f"Yes: {self.name} has consented to the processing of their data."
            return (
                f"No: {self.name} has not consented to the processing of their data; ask the privacy office before "
                "processing it beyond the contract."
            )
        # "Yes"/"No" answer the question as asked: "can we email them?" is no where "have they opted out?" is yes
        agreed, refused = ("No", "Yes") if self.opt_out else ("Yes", "No")
        if which == "marketing":
            if marketing:
                return f"{agreed}: {self.name} has given marketing consent, so product and marketing email is fine."
            why = "has opted out of outreach altogether" if outreach is False else "has not given marketing consent"
            if self.opt_out and outreach is not False:
                refused = "In effect, yes"  # no consent on record is not an opt-out they made, but it works as one
            return (
                f"{refused}: {self.name} {why}, so no product or marketing email. Service messages about an open "
                "ticket or order need no marketing consent."
            )
        now_open, when = self._contact_window()
        if self.quiet_asked and now_open is not None and when:
            # "is X in quiet hours?": a yes is quiet hours, the time there first (was: "Yes: X accepts outreach ...
            # within contact hours", a yes that meant no)
            said = f"{'Yes' if now_open is False else 'No'}: {when}."
            if outreach is False:
                said += (
                    f" {self.name} has opted out of outreach anyway: contact them only about an open ticket or order."
                )
            return said
        if outreach is False:
            return f"{refused}: {self.name} has opted out of outreach. Contact them only about an open ticket or order."
        if self.opt_out:
            return f"No: {self.name} has not opted out of outreach."
        if self.time_asked and when:
            return f"{when[0].upper()}{when[1:]}."  # "what time is it for X?": the time, not a yes (was: "Yes: ...")
        if now_open is False:
            return f"{'No' if self.moment else 'Not now'}: {self.name} accepts outreach, but {when}."
        return f"Yes: {self.name} accepts outreach{'; ' + when if when else ''}."

    def preferences(self) -> str:
        """How the customer wants to be contacted (the record's free-form preferences: a channel and a weekly cap
        of touches are the ones read as such, any other key is said as it is stored)."""
        if not self.has("preferences"):
            return ""  # restricted: the restricted sentence says so
        prefs = self.card.fields.get("preferences")
        prefs = prefs if isinstance(prefs, dict) else {}
        said: list[str] = []
        channel = prefs.get("channel")
        if isinstance(channel, str) and channel:
            said.append(f"prefers {mrkdwn.escape(CHANNELS.get(channel.lower(), channel.replace('_', ' ')))}")
        cap = prefs.get("max_touches_per_week")
        if isinstance(cap, int) and not isinstance(cap, bool):
            said.append(f"at most {cap} touch{'' if cap == 1 else 'es'} a week")
        for key, value in prefs.items():
            if key not in ("channel", "max_touches_per_week") and value not in (None, "", [], {}):
                said.append(f"{mrkdwn.escape(str(key).replace('_', ' '))}: {mrkdwn.escape(str(value))}")
        if not said:
            return f"{self.name} has no contact preferences on record."
        if said[0].startswith("prefers "):
            return f"{self.name} {', '.join(said)}."
        return f"Contact preferences for {self.name}: {', '.join(said)}."

    def _contact_window(self) -> tuple[bool | None, str]:
        """Whether the customer may be contacted now (sla.yaml ``contact_hours``, in their time zone) and the
        clause that says so; (None, local time only) without a window, (None, "") without a time zone."""
        tz = self.card.fields.get("time_zone") if self.has("time_zone") else None
        local = _local(self.now, tz)
        if local is None:
            return None, ""
        zone = mrkdwn.escape(str(tz))
        window = getattr(self.policies.sla, "contact_hours", None)
        if window is None:
            return None, f"it is {local:%H:%M} there ({zone})"
        days = [d.lower() for d in window.days]
        hours = f"{_day_span(days)} {window.start:%H:%M}–{window.end:%H:%M} their time"
        now = f"it is {local:%a %H:%M} there ({zone})"
        if self.moment is not None:  # the time asked about, read as theirs, and said so
            at, clocked = _at(self.moment, local)
            asked = f"{at:%a %H:%M} their time ({zone})" if clocked else f"{at:%A} ({zone})"
            if clocked and _within(at, days, window.start, window.end):
                return True, f"{asked} is within contact hours ({hours})"
            if not clocked and WEEKDAYS[at.weekday()] in days:
                return True, f"{asked} is a contact day ({hours})"
            opens = _next_opening(at, days, window.start)
            return False, (
                f"{asked} is outside contact hours ({hours}): the next opening is {opens:%a %H:%M} their time, unless "
                "they asked for that time"  # the communication policy's exception, as for now below
            )
        if _within(local, days, window.start, window.end):
            return True, f"{now}, within contact hours ({hours})"
        opens = _next_opening(local, days, window.start)
        return False, (
            f"{now}, outside contact hours ({hours}): wait until {opens:%a %H:%M} their time, unless they asked "
            "to be contacted or it is an incident update they subscribed to"
        )

    def contact(self) -> str:
        shown = [k for k in ("contact_name", "contact_email", "contact_phone") if self.has(k)]  # has() notes the rest
        if not shown:
            return ""  # all restricted: the restricted sentence says so
        reach = [mrkdwn.escape(str(self.card.fields[k])) for k in shown if self.card.fields.get(k)]
        if not reach:
            return f"{self.name} has no primary contact on record."
        primary = f"The primary contact at {self.name} is {', '.join(reach)}."
        if not self.everyone or self.session is None or "contact_name" not in shown:
            return primary
        rows = self.session.scalars(
            select(Contact)
            .where(Contact.customer_id == self.card.customer_id)
            .order_by(Contact.is_primary.desc(), Contact.name)
            .limit(SHOWN_CONTACTS + 1)
        ).all()
        if len(rows) < 2:
            return primary
        total = len(rows)  # counted only when there are more than are listed
        if total > SHOWN_CONTACTS:
            count = select(func.count()).select_from(Contact).where(Contact.customer_id == self.card.customer_id)
            total = self.session.scalar(count) or total
        lines = []
        for c in rows[:SHOWN_CONTACTS]:  # each with what the asker's role may see of a contact, as on the card
            said = [contact_label(c)]
            said += [v for k, v in (("contact_email", c.email), ("contact_phone", c.phone)) if v and k in shown]
            notes = [n for n, on in (("primary", c.is_primary), ("opted out", c.opted_out)) if on]
            lines.append(mrkdwn.escape(", ".join(said)) + (f" ({', '.join(notes)})" if notes else ""))
        more = f"\n…and {total - SHOWN_CONTACTS} more" if total > SHOWN_CONTACTS else ""
        return f"Contacts at {self.name}:\n" + "\n".join(f"• {line}" for line in lines) + more

    def health(self) -> str:
        if not self.has("health_score"):
            return ""  # restricted: the restricted sentence says so
        score = self.card.fields.get("health_score")
        if score is None:
            return f"{self.name} has no health score on record."
        band = "healthy" if score >= HEALTHY else "at risk" if score < AT_RISK else "watch"
        said = f"{self.name}'s health score is {score}/100 ({band})"
        trend = health_trend(self.session, self.card.customer_id, self.now.date()) if self.session else None
        if trend is not None and trend.then is not None:  # against the score stated, the record's
            change = int(score) - trend.then
            points = f"{abs(change)} point{'s' if abs(change) != 1 else ''}"
            moved = f"up {points}" if change > 0 else f"down {points}"
            said += f", {moved} in {TREND_DAYS} days" if change else f", unchanged in {TREND_DAYS} days"
        if trend is not None and trend.weak:
            said += "; weakest parts: " + ", ".join(f"{part} {value}" for part, value in trend.weak)
        return f"{said}."

    def payment(self) -> str:
        if not self.has("payment_status"):
            return ""  # restricted: the restricted sentence says so
        status = self.card.fields.get("payment_status")
        said = f"{self.name}'s payments: {mrkdwn.escape(str(status or 'nothing on record'))}."
        if self.session is None or status in (None, "current"):
            return said
        return f"{said[:-1]}{overdue_owed(self.session, self.card.customer_id, self.now)}."

    def paid(self) -> str:
        """What they paid in the window asked ("what did X pay last year?"), from the invoices on record, and what
        was invoiced then that is still open. Said to roles that see their lifetime value: it is a part of it."""
        if not self.has("lifetime_value") or self.session is None:
            return ""  # restricted (the restricted sentence says so), or nowhere to read it: never a false "none"
        start, end, said = self.window or past_window("the past year", self.now, 365)
        until = end or self.now
        customer = self.card.customer_id
        paid, amount = orders_total(
            self.session, customer, Order.status == "paid", Order.paid_at >= start, Order.paid_at < until
        )
        unpaid, open_amount = orders_total(
            self.session,
            customer,
            Order.status.in_(("invoiced", "overdue")),
            Order.ordered_at >= start,
            Order.ordered_at < until,
        )
        invoices = f"{paid:,} invoice{'' if paid == 1 else 's'}"
        head = (
            f"{self.name} paid {amount} {said}, over {invoices}"
            if paid
            else f"{self.name} has no payment on record {said}"
        )
        still = f"; {open_amount} invoiced then is still open" if unpaid else ""
        return f"{head}{still}."

    def orders(self) -> str:
        """Their latest order and how many they placed in the window asked (the past year when none is): "what
        did X buy last?". Amounts only to roles that see their lifetime value, of which every order is a part;
        other roles get the dates and the count, and the restricted sentence says why."""
        if self.session is None:
            return ""  # nowhere to read them: never a false "none"
        customer = self.card.customer_id
        last = self.session.scalars(
            select(Order).where(Order.customer_id == customer).order_by(Order.ordered_at.desc()).limit(1)
        ).first()
        if last is None:
            return f"{self.name} has no orders on record."
        start, end, said = self.window or past_window("", self.now, 365)
        placed, total = orders_total(
            self.session, customer, Order.ordered_at >= start, Order.ordered_at < (end or self.now)
        )
        amounts = self.has("lifetime_value")
        worth = f" for {in_currencies({last.currency: last.amount})}" if amounts else ""
        head = f"{self.name}'s latest order was placed on {day(last.ordered_at)}{worth} ({mrkdwn.escape(last.status)})"
        in_all = f", {total} in all" if amounts and placed else ""
        return f"{head}; {placed:,} order{'' if placed == 1 else 's'} {said}{in_all}."

    def nps(self) -> str:
        if not self.has("nps"):
            return ""  # restricted: the restricted sentence says so
        value = self.card.fields.get("nps")
        if value is None:
            return f"{self.name} has no NPS answer on record."
        return f"{self.name}'s latest NPS answer is {mrkdwn.escape(str(value))}."

    def sentiment(self) -> str:
        if not self.has("sentiment"):
            return ""  # restricted: the restricted sentence says so
        value = self.card.fields.get("sentiment")
        if value is None:
            return f"There is no sentiment on {self.name}'s recent tickets."
        mood = "positive" if value >= MOOD else "negative" if value <= -MOOD else "neutral"
        return f"Sentiment on {self.name}'s recent tickets averages {float(value):+.2f} on −1…+1 ({mood})."

    def discounts(self) -> str:
        if not self.has("discount_history") or self.session is None:
            return ""  # restricted (the restricted sentence says so), or nowhere to read it: never a false "none"
        lines, total = history(self.session, self.card.customer_id)
        if not lines:
            return f"{self.name} has no discount requests on record."
        more = f"\n…and {total - len(lines)} earlier" if total > len(lines) else ""
        shown = "\n".join(f"• {line}" for line in lines)
        return f"{self.name}'s discount requests, newest first:\n{shown}{more}"

    def renewal_history(self) -> str:
        """Their past renewals, newest first, with the ARR before and after to roles that see ARR; then the next."""
        if self.session is None:
            return ""  # nowhere to read it: never a false "none"
        self.has("renewal_date")
        past = past_renewals(self.session, self.card.customer_id)
        upcoming = self.card.fields.get("renewal_date")
        nxt = f" The next renewal is on {day(upcoming)}." if isinstance(upcoming, dt.date) else ""
        if not past:
            return f"{self.name} has no past renewal on record.{nxt}"
        sees_arr = self.has("arr")
        lines = []
        for r in past:
            term = f" (the term ending {day(r.term_end)})" if r.term_end else ""
            change = arr_change(r.arr_before, r.arr_after) if sees_arr and r.outcome != "churned" else ""
            arr = f": ARR {change}" if change else ""
            verb = "churned" if r.outcome == "churned" else "renewed" if r.outcome == "renewed" else r.outcome
            lines.append(f"• {day(r.decided)}: {mrkdwn.escape(verb)}{term}{arr}")
        shown = "\n".join(lines)
        return f"{self.name}'s past renewals, newest first:\n{shown}\n{nxt.strip()}".rstrip()

    def legal_hold(self) -> str:
        """Whether a legal hold keeps their data past retention; its reason stays with the privacy office (it may
        name a dispute), the date and the fact are what staff need before deleting anything."""
        if self.session is None:
            return ""  # nowhere to read it: never a false "none"
        hold = self.session.get(LegalHold, self.card.customer_id)
        if hold is None:
            return f"{self.name} is under no legal hold: retention and erasure apply as usual."
        return (
            f"{self.name} is under a legal hold since {day(hold.placed_at)}: nothing of theirs is purged or erased "
            "while it stands. Ask the privacy office for the reason."
        )

    def customer_since(self) -> str:
        """How long they have been a customer: no source gives the date they signed, so say so, with the earliest
        renewal on record as a lower bound, and whom to ask."""
        if self.session is None:
            return ""  # nowhere to read the renewals: never a false "none"
        lead = f"I don't have the date {self.name} became a customer: the record keeps no start date."
        first = first_renewal(self.session, self.card.customer_id)
        if first is None:
            return f"{lead} There is no past renewal on record either; ask the account owner, {self.owner}."
        since = first.term_end or first.decided
        return (
            f"{lead} The earliest renewal on record was decided on {day(first.decided)} "
            f"({mrkdwn.escape(first.outcome)}), so they were a customer before {day(since)}; ask the account owner, "
            f"{self.owner}, for the start date."
        )

    def not_kept(self) -> str:
        """A figure about the customer's company that no source gives (seats, headcount): say so and whom to ask,
        never a nearby field's value in its place."""
        usage = f"is {mrkdwn.escape(self.card.name)} using the product?"
        return (
            f"I don't have that for {self.name}: the record keeps no seat, licence or headcount figures. "
            f'Ask the account owner, {self.owner}. For how much they use the product, ask "{usage}".'
        )

    def sla_history(self) -> str:
        """How we kept their SLA on the tickets of the window asked, else the last 30 days (their targets, their
        clock)."""
        self.has("open_tickets")
        if self.session is None:
            return ""  # nowhere to read them: never a false "none"
        customer = self.session.get(Customer, self.card.customer_id)
        if customer is None:
            return ""
        record = sla_record(self.session, self.policies, customer, self.now, self.window)
        if record is None:
            return f"{self.name}'s tier has no SLA targets in the policy, so there is nothing to hold its tickets to."
        return said(record, self.name)

    def ticket_history(self) -> str:
        """Their tickets of the last 12 months, open or not, and the latest few (the open ones' clocks are
        open_tickets')."""
        if not self.has("recent_interactions"):
            return ""  # restricted: the restricted sentence says so
        if self.session is None:
            return ""  # nowhere to read them: never a false "none"
        return ticket_history(self.session, self.card.customer_id, self.name, self.now, self.window)

    def interactions(self) -> str:
        """The latest notes, calls, meetings and tickets; what a note says only to a role that sees notes."""
        if self.session is None:
            return ""  # nowhere to read them: never a false "none"
        seen = self.has("notes")  # not seen: the restricted sentence says so, the kinds and days are still stated
        contacts = "contact_name" not in self.card.hidden  # a title names no one alone: left out, not a restriction
        cid = self.card.customer_id
        return interactions(self.session, self.policies, cid, self.name, seen, contacts, self.window)

    def shipments(self) -> str:
        if self.session is None:
            return ""  # nowhere to read them: never a false "none"
        lines = shipment_lines(self.session, self.card.customer_id, self.now)
        if not lines:
            return f"{self.name} has no shipments on record."
        shown = "\n".join(f"• {line}" for line in lines)
        return f"{self.name}'s latest shipments:\n{shown}"

    def restricted_sentence(self) -> str:
        if not self.restricted:
            return ""
        labels = [LABELS.get(k, k.replace("_", " ")) for k in self.restricted]
        what = mrkdwn.listed(labels)
        verb = "is" if len(labels) == 1 and labels[0] != "notes" else "are"  # "notes are", "ARR is"
        seers = self._who_sees(self.restricted)
        return (
            f":lock: {self.name}'s {what} {verb} restricted for your role{seers}; ask the account owner, {self.owner}."
        )

    def _who_sees(self, keys: Sequence[str]) -> str:
        return who_sees(self.policies, keys)


def sees(policies: Policies, asker: str, key: str) -> bool:
    """Whether the asker's roles let them see the record field ``key`` (a public field: everyone)."""
    member = policies.staff(asker)
    return key in policies.visible_fields(list(member.roles) if member else [])


def who_sees(policies: Policies, keys: Sequence[str]) -> str:
    """ " (account manager, analyst, cs lead and others can see it)": the roles that see every one of ``keys``."""
    roles = sorted(name.replace("_", " ") for name in policies.roles_seeing(*keys))
    them = "them" if len(keys) > 1 else "it"
    return f" ({', '.join(roles[:3])}{' and others' if len(roles) > 3 else ''} can see {them})" if roles else ""


def clock_text(c: SlaClock) -> str:
    """Where a ticket's SLA clock stands: "first response target 15m *breached* by 3d 14h", "..., *2h left*"."""
    return {
        "breached": f"{c.milestone} target {human(c.target)} *breached* by {human(-c.remaining)}",
        "at_risk": f"{c.milestone} target {human(c.target)}, *{human(c.remaining)} left*",
        "ok": f"{c.milestone} target {human(c.target)}, {human(c.remaining)} left",
    }.get(c.state, c.state)


def _latest(line: str) -> str:
    """A line of the card's recent interactions ("2026-11-02 P3 Scanner offline (closed)", as
    bot.customers.card.customer_record writes it) as a sentence's end, inert (the subject is the customer's text);
    a line in another shape is said as it is."""
    opened, _, rest = line.partition(" ")
    try:
        return f"was opened on {day(dt.date.fromisoformat(opened))}: {mrkdwn.escape(rest)}"
    except ValueError:
        return f"was {mrkdwn.escape(line)}"


def takes(policies: Policies, name: str) -> str:
    """What placement in a tier takes (tiers.yaml thresholds, either one): "a lifetime value of $1,000,000 or ARR of
    $250,000"."""
    tier = policies.tier(name)
    return f"a lifetime value of {money(tier.min_lifetime_value)} or ARR of {money(tier.min_arr)}"


def _count(n: int, what: str) -> str:
    return f"{'no' if n == 0 else n} {what}{'' if n == 1 else 's'}"


def ticket_line(t: TicketLine) -> str:
    subject = mrkdwn.escape(t.subject)[:80]
    if not t.clock:
        return f"#{t.id} {mrkdwn.escape(t.priority)} _{subject}_ ({mrkdwn.escape(t.status)}, no SLA clock)"
    return f"#{t.id} {mrkdwn.escape(t.priority)} _{subject}_: {clock_text(t.clock)}"


def record_facts(
    card: CustomerCard,
    intents: Sequence[Intent],
    policies: Policies,
    now: dt.datetime,
    moment: Moment | None = None,
    session: Session | None = None,
    tiers: Sequence[str] = (),
    priority: str | None = None,
    ticket: TicketRef | None = None,
    share: float | None = None,
    window: Window | None = None,
    question: str = "",
) -> Facts:
    """The sentences that answer ``intents`` (record fields) for this card, in the order asked; ``moment``: the
    time the question asks about, if any ("can I call them tomorrow morning?"); ``session``: to read what the
    record keeps elsewhere (the discount requests); ``tiers``, ``priority``: the tiers and the ticket priority the
    question names; ``share``: a percentage of an amount asked for ("15% of their ARR"); ``window``: the past it
    names ("this week"); ``question``: as asked, for how it asks (whether they opted out, their local time)."""
    w = Writer(card, policies, now, moment, session, tiers, priority, ticket, share, window, question)
    consents = {i.consent for i in intents if i.fields and i.fields[0] == "consent"}
    consent = card.fields.get("consent")
    if {"outreach", "marketing"} <= consents and isinstance(consent, dict) and not consent.get("marketing"):
        # "can I email X about our webinar?": no marketing consent is the answer; whether it is a good hour to
        # reach them (was: "Not now: X accepts outreach, but it is 00:45 there", then "No: ...") says nothing more
        intents = [i for i in intents if i.consent != "outreach"]
    out: list[str] = []
    for intent in intents:
        for sentence in _sentences(w, intent):
            if sentence and sentence not in out:
                out.append(sentence)
    lock = w.restricted_sentence()
    if lock:
        out.append(lock)
    sensitive = any(k in policies.sensitive_fields for k in w.stated)
    return Facts(tuple(out), tuple(dict.fromkeys(w.stated)), tuple(w.restricted), sensitive)


_OPT_OUT = re.compile(
    r"\bopt(?:ed|s)?[- ]?out\b|\bunsubscribed?\b"
    # whether we may NOT ("is X not allowed to get marketing emails?"): its "yes" is the refusal too
    r"|\b(?:not|n't) (?:allowed|permitted|supposed)\b|\b(?:forbidden|banned|barred) (?:from|to)\b",
    re.I,
)


# their local time asked: "what time is it for X?", "what's the local time at X?"
_TIME_THERE = re.compile(r"\bwhat time is it\b|\blocal time\b|\bwhat(?:'s| is) the time (?:there|for|at)\b", re.I)


# every contact asked ("who are the contacts at X?", "who else can I talk to at X?"), not the primary alone
_CONTACTS = re.compile(
    r"\bcontacts\b|\bwho else\b|\bstakeholders\b|\b(?:all|other) (?:the )?(?:people|persons)\b", re.I
)
SHOWN_CONTACTS = 8  # contacts listed; the answer says how many more

# whether it is quiet hours there: "is X in quiet hours?", "is it outside Acme's contact hours?"
_QUIET_ASKED = re.compile(
    r"\b(?:in|within|during|is it|are they) (?:their |its |the )?quiet hours\b"
    r"|\boutside\b.{0,40}\b(?:contact|business|working|office) hours\b|\bafter hours (?:there|for them)\b",
    re.I,
)


def asks_opt_out(question: str) -> bool:
    """Whether the question asks if the customer opted out ("has X opted out of marketing?", "did they
    unsubscribe?") or if we may not contact them ("is X not allowed to get marketing emails?"), so a "yes" is the
    opt-out."""
    return bool(_OPT_OUT.search(question))


def _sentences(w: Writer, intent: Intent) -> list[str]:
    """The card field an intent asks, by the first field it names (data/intents.yaml)."""
    by_field = {
        "renewal_date": w.renewal_date,
        "owner": w.owner_sentence,
        "tier": w.tier,
        "placement": w.placement,
        "segment": w.segment,
        "region": w.region,
        "arr": lambda: w.value("arr"),
        "lifetime_value": lambda: w.value("lifetime_value"),
        "paid": w.paid,
        "orders": w.orders,
        "open_tickets": w.open_tickets,
        "last_contact": w.last_contact,
        "consent": lambda: w.consent(intent.consent),
        "preferences": w.preferences,
        "contact_name": w.contact,
        "health_score": w.health,
        "payment_status": w.payment,
        "sentiment": w.sentiment,
        "nps": w.nps,
        "discount_history": w.discounts,
        "renewal_history": w.renewal_history,
        "customer_since": w.customer_since,
        "not_kept": w.not_kept,
        "legal_hold": w.legal_hold,
        "shipments": w.shipments,
        "sla_history": w.sla_history,
        "ticket_history": w.ticket_history,
        "recent_interactions": w.interactions,
    }
    say = by_field.get(intent.fields[0]) if intent.fields else None
    return [say()] if say else []


def orders_total(session: Session, customer_id: int, *where: ColumnElement[bool]) -> tuple[int, str]:
    """How many of the customer's orders match ``where``, and what they add up to per currency."""
    rows = session.execute(
        select(Order.currency, func.sum(Order.amount), func.count())
        .where(Order.customer_id == customer_id, *where)
        .group_by(Order.currency)
    ).all()
    return sum(n for _, _, n in rows), in_currencies({c: Decimal(total) for c, total, _ in rows})


def in_currencies(sums: Mapping[str, Decimal]) -> str:
    """Amounts per currency as said: "$2,000", "$2,000 and EUR 1,500"."""
    return " and ".join(money(v) if c == "USD" else f"{mrkdwn.escape(c)} {v:,.0f}" for c, v in sorted(sums.items()))


def overdue_owed(session: Session, customer_id: int, now: dt.datetime) -> str:
    """What the overdue invoices add up to, per currency, and how late the oldest is ("how much does X owe us?"),
    said on after the payment status: ", $12,345 in all; the oldest was due 3 Oct 2026 (64 days ago)"."""
    orders = session.scalars(select(Order).where(Order.customer_id == customer_id, Order.status == "overdue")).all()
    if not orders:
        return ""
    sums: dict[str, Decimal] = {}
    for o in orders:
        sums[o.currency] = sums.get(o.currency, Decimal(0)) + o.amount
    owed = in_currencies(sums)
    dues = [o.due_at or o.ordered_at for o in orders]
    oldest = min(d if d.tzinfo else d.replace(tzinfo=dt.UTC) for d in dues)
    late = (now - oldest).days
    ago = f" ({_days(late)} ago)" if late > 0 else ""
    if len(orders) == 1:
        return f", {owed}, due {day(oldest)}{ago}"
    return f", {owed} in all; the oldest was due {day(oldest)}{ago}"
