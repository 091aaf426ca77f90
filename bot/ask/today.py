"""What waits on the asker: "what do I need to do today?" (their day, from what App Home shows them: approvals to
decide, open alerts, customer messages waiting for a reply in their accounts' shared channels, their accounts'
tickets past or near their SLA target, and their renewals in the next 30 days), "what alerts do I have open?"
(their open alerts, highest priority first, as ``/rapport alerts`` lists them) and "what alerts fired today?" (those
raised in a window, whatever they have become). Each line of the day says how to ask for its list."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.alerts.actions import open_alerts, raised_alerts
from bot.alerts.views import AlertCard, OpenAlerts
from bot.approvals.queries import home_summary
from bot.ask.book import AT_RISK, BREACHED, RENEWALS, BookQuery, answer_book
from bot.ask.dates import day, latest_window
from bot.ask.policy import PolicyFinding
from bot.channels.home import waiting_count
from bot.services import Services

RENEWING_DAYS = 30  # the renewals a day's list counts
SHOWN_ALERTS = 5

# "what alerts do I have open?", "any unacknowledged alerts?", "my open alerts": the alerts themselves, not the
# rules that send them
_OPEN = re.compile(
    r"\b(open|unacknowledged|unacked|un-acked|outstanding|active|snoozed|pending)( \w+)? alerts?\b"
    r"|\balerts?\b.{0,30}\b(open|unacknowledged|unacked|outstanding|snoozed|still waiting|not (yet )?acked)\b",
    re.I,
)


def asks_open_alerts(question: str) -> bool:
    return bool(_OPEN.search(question))


# "what alerts fired today?", "which of my customers alerted this week?", "what alerts did I get yesterday?": the
# alerts raised in a window, whatever they have become, not the rules that would send them
_RAISED = re.compile(
    r"\balerts?\b.{0,30}\b(?:fired|went off|gone off|go off|triggered|were raised|came in|did (?:i|we) "
    r"(?:get|receive)|have (?:i|we) (?:got|had|received)|were sent)\b"
    r"|\b(?:customers|accounts|clients)\b.{0,30}\b(?:alerted|triggered alerts?|raised alerts?)\b",
    re.I,
)
RAISED_DAYS = 7  # the window when the question names none


def asks_raised_alerts(question: str) -> bool:
    return bool(_RAISED.search(question))


def raised_alerts_finding(services: Services, asker: str, questions: Sequence[str], now: dt.datetime) -> PolicyFinding:
    """The alerts raised in the window the question names (the last 7 days when none) that reach the asker (assigned,
    or on their accounts when nobody is), each with what it is now. ``questions``: the thread's chain, the question
    last."""
    since, until, window = latest_window(questions, now, RAISED_DAYS)
    alerts = raised_alerts(services.engine, asker, since, until or now, services.policies, SHOWN_ALERTS)
    if not alerts.total:
        return PolicyFinding(f"No alert reached you {window}.", "", supported=False)
    n = alerts.total
    head = f"{n} alert{'' if n == 1 else 's'} reached you {window}{_urgent(alerts)}, highest priority first:"
    return _alerts_listed(alerts, head, "the open ones")


def today_finding(session: Session, services: Services, asker: str, now: dt.datetime) -> PolicyFinding:
    policies = services.policies
    today = now.date()
    home = home_summary(services, asker)
    alerts = open_alerts(services.engine, asker, limit=1, policies=policies)
    decide = len(home.to_decide)
    waiting = waiting_count(session, asker)  # a count: the line says how to ask for them
    urgent = f" ({alerts.urgent} urgent)" if alerts.urgent else ""
    lines = [
        _count(
            decide,
            "approval request",
            f"wait{'s' if decide == 1 else ''} for your decision",
            "what do I need to approve?",
        ),
        _count(
            alerts.total, "open alert", f"assigned to you or on your accounts{urgent}", "what alerts do I have open?"
        ),
        _count(
            waiting,
            "customer message",
            f"wait{'s' if waiting == 1 else ''} for a reply in your accounts' shared channels",
            "which customer messages are waiting for a reply?",
        ),
    ]
    # the window "in the next 30 days" reads as, so the list the line points to is this one
    renewing = BookQuery(
        RENEWALS,
        owner=asker,
        start=today,
        end=today + dt.timedelta(days=RENEWING_DAYS),
        window=f"in the next {RENEWING_DAYS} days",
    )
    lists = (
        (BookQuery(BREACHED, owner=asker), "which of my tickets are breaching?"),
        (BookQuery(AT_RISK, owner=asker), "which of my tickets are about to breach?"),
        (renewing, f"which of my accounts renew in the next {RENEWING_DAYS} days?"),
    )
    for query, ask in lists:
        listed = answer_book(session, policies, query, now)
        if listed.customers:  # none: nothing to do about it, and the line is left out like the counts above
            lines.append(f"• {listed.head} (`{ask}`)")
    said = "\n".join(line for line in lines if line)
    if not said:
        return PolicyFinding(
            "Nothing waits on you today: no approval request to decide, no open alert, no customer message waiting "
            "for a reply, no ticket of your accounts past or near its SLA target, and none of your accounts renews "
            f"in the next {RENEWING_DAYS} days.",
            "",
            supported=False,
        )
    return PolicyFinding(
        f"What waits on you today:\n{said}\nApp Home lists them with their buttons.", "", supported=False
    )


def open_alerts_finding(services: Services, asker: str) -> PolicyFinding:
    alerts = open_alerts(services.engine, asker, limit=SHOWN_ALERTS, policies=services.policies)
    if not alerts.total:
        return PolicyFinding("You have no open alerts.", "", supported=False)
    n = alerts.total
    head = f"You have {n} open alert{'' if n == 1 else 's'}{_urgent(alerts)}, highest priority first:"
    return _alerts_listed(alerts, head, "them")


def _urgent(alerts: OpenAlerts) -> str:
    return f" ({alerts.urgent} urgent)" if alerts.urgent else ""


def _alerts_listed(alerts: OpenAlerts, head: str, paged: str) -> PolicyFinding:
    """``head``, a line per alert shown, and how many more (``/rapport alerts`` pages through ``paged``). An alert's
    evidence states what this reader may see (ARR, health): to the asker only, as /rapport alerts is."""
    lines = [_alert_line(card) for card in alerts.cards]
    more = f"\n…and {alerts.more} more: `/rapport alerts` pages through {paged}." if alerts.more else ""
    return PolicyFinding("\n".join([head, *lines]) + more, "", sensitive=True, supported=False)


def _alert_line(card: AlertCard) -> str:
    """ "• `usage-drop` (medium) for *Acme Corp*: Usage down 45% ... · since 4 Dec 2026 (snoozed)"."""
    state = "" if card.state == "open" else f" ({mrkdwn.escape(card.state)})"
    return (
        f"• `{mrkdwn.escape(card.rule)}` ({mrkdwn.escape(card.severity)}) for {mrkdwn.bold(card.customer)}: "
        f"{mrkdwn.escape(card.why)} · since {day(card.created_at)}{state}"
    )


def _count(n: int, what: str, said: str, ask: str) -> str:
    """ "• *2 approval requests* wait for your decision (`what do I need to approve?`)"; "" when there are none."""
    return f"• *{n} {what}{'' if n == 1 else 's'}* {said} (`{ask}`)" if n else ""
