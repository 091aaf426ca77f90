"""How alerts went across the book: "how many alerts did we send last week?", "who hasn't acknowledged their
alerts?", "which alerts were snoozed this week?".

The KPI playbook's alert measures (kpis-per-tier.md: alert volume per rule, acknowledgement rate and median time to
ack), for the window the question names (the last 7 days when none), then the alerts that wait for an
acknowledgement now, by whom they wait on. Counts and colleagues' names, which every role may see; no customer is
named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot import mrkdwn
from bot.alerts.measures import AlertMeasure, waiting_for_ack, window_measures
from bot.ask.dates import latest_window
from bot.ask.people import person
from bot.ask.policy import PolicyFinding
from bot.customers.outcomes import percent
from bot.customers.sla import human
from bot.services import Services

DEFAULT_DAYS = 7  # the window when the question names none: the weekly digest's
SHOWN = 5  # rules, and people waited on, listed by name
CITED = "alert volume per rule acknowledgement rate median time to ack"


def alert_figures_finding(services: Services, questions: Sequence[str], now: dt.datetime) -> PolicyFinding:
    """``questions``: the thread's chain, the question last; the window is the latest one said."""
    since, until, window = latest_window(questions, now, DEFAULT_DAYS)
    total, per_rule = window_measures(services.engine, since, until or now)
    lines = [_head(total, window)]
    lines += [f"• {_rule(m)}" for m in per_rule[:SHOWN]]
    if len(per_rule) > SHOWN:
        lines.append(f"• {len(per_rule) - SHOWN} more rules, {sum(m.volume for m in per_rule[SHOWN:]):,} alerts")
    waiting = waiting_for_ack(services.engine)
    if waiting:
        n = sum(w.alerts for w in waiting)
        lines.append(f"Waiting for an acknowledgement now: {n:,} alert{'' if n == 1 else 's'}, by whom they wait on:")
        lines += [
            f"• {person(services.policies, w.person)}: {w.alerts:,}, the oldest raised {human(now - w.oldest)} ago"
            for w in waiting[:SHOWN]
        ]
        if len(waiting) > SHOWN:
            lines.append(f"• {len(waiting) - SHOWN} more people, {sum(w.alerts for w in waiting[SHOWN:]):,} alerts")
    else:
        lines.append("No open alert waits for an acknowledgement now.")
    return PolicyFinding("\n".join(lines), "", citation_query=CITED, citation_title="kpi", supported=False)


def _head(m: AlertMeasure, window: str) -> str:
    if not m.volume:
        return f"No alert was raised {window}."
    urgent = f" ({m.urgent:,} urgent)" if m.urgent else ""
    what = f"Alerts raised {window}: {m.volume:,}{urgent}; {_acked(m)}"
    also = [f"{n:,} {word}" for n, word in ((m.escalated, "escalated"), (m.snoozed, "snoozed")) if n]
    return f"{what}{'; ' + ', '.join(also) if also else ''}."


def _rule(m: AlertMeasure) -> str:
    return f"{mrkdwn.bold(m.rule)}: {m.volume:,}, {_acked(m)}"


def _acked(m: AlertMeasure) -> str:
    said = f"{m.acked:,} acknowledged ({percent(m.ack_rate)})"
    if m.median_minutes_to_ack is not None:
        said += f", median time to ack {human(dt.timedelta(minutes=m.median_minutes_to_ack))}"
    return said
