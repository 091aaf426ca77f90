"""How tickets closed in a window kept their SLA, per tier: the KPI playbook's first-response and resolution SLA
met, first-contact resolution and resolution times (``playbooks/governance/kpis-per-tier.md``).

Computed here, at the record layer, so that the KPI pack (:mod:`bot.kpi.pack`) and Ask ("how are we doing on SLA
this week?", :mod:`bot.ask.service_levels`) state the same figures the same way. Tier = the golden record's. SLA met
needs business-time arithmetic per ticket, so the window's closed tickets are read (a week: thousands of rows, not
the book).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import aliased

from bot.customers.sla import clock_elapsed
from bot.policies import Policies, SlaTarget
from bot.store.models import Customer, Ticket

REOPEN_WINDOW = dt.timedelta(days=7)
DEFAULT_EFFORT_HOURS = 1.5  # a priority outside the cost table counts like a P3


@dataclass(frozen=True)
class ClosedTicket:
    tier: str
    timezone: str | None
    priority: str
    opened: dt.datetime
    first_response: dt.datetime | None
    resolved: dt.datetime
    agent_replies: int | None
    reopened: dt.datetime | None


def closed_tickets(engine: Engine, since: dt.datetime, until: dt.datetime) -> list[ClosedTicket]:
    """The tickets resolved in ``[since, until)``, each with its golden record's tier and time zone."""
    tk = Ticket.__table__.c
    member, golden = aliased(Customer), aliased(Customer)
    q = (
        select(
            golden.tier,
            golden.timezone,
            tk.priority,
            tk.opened_at,
            tk.first_response_at,
            tk.resolved_at,
            tk.agent_replies,
            tk.reopened_at,
        )
        .select_from(Ticket.__table__)
        .join(member, member.id == tk.customer_id)
        .join(golden, golden.id == func.coalesce(member.merged_into_id, member.id))
        .where(tk.resolved_at >= since, tk.resolved_at < until)
    )
    with engine.connect() as conn:
        return [ClosedTicket(str(r[0]), r[1], str(r[2]), *r[3:]) for r in conn.execute(q)]


def opened_counts(engine: Engine, since: dt.datetime, until: dt.datetime) -> dict[tuple[str, str], int]:
    """How many tickets were opened in ``[since, until)``, by (golden record's tier, priority): one grouped read."""
    tk = Ticket.__table__.c
    member, golden = aliased(Customer), aliased(Customer)
    q = (
        select(golden.tier, tk.priority, func.count())
        .select_from(Ticket.__table__)
        .join(member, member.id == tk.customer_id)
        .join(golden, golden.id == func.coalesce(member.merged_into_id, member.id))
        .where(tk.opened_at >= since, tk.opened_at < until)
        .group_by(golden.tier, tk.priority)
    )
    with engine.connect() as conn:
        return {(str(tier), str(priority)): int(n) for tier, priority, n in conn.execute(q)}


def ticket_figures(policies: Policies, rows: Iterable[ClosedTicket]) -> tuple[dict[str, dict[str, float]], int]:
    """Per tier: ``closed``, ``fr_met``, ``res_met`` (SLA met), ``fcr``/``fcr_known`` (first-contact resolution
    over the tickets whose helpdesk reports agent responses), ``support_usd``, and the median hours from opening to
    the first response and to resolution (``first_response_hours``, ``resolution_hours``; absent when none); and the
    count of tickets without agent responses (left out of first-contact resolution, never guessed)."""
    cost = policies.tiers.cost_to_serve
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    hours: dict[tuple[str, str], list[float]] = defaultdict(list)
    targets: dict[tuple[str, str], SlaTarget | None] = {}  # one look-up per tier and priority, not per ticket
    unknown = 0
    for r in rows:
        t = out[r.tier]
        t["closed"] += 1
        t["support_usd"] += cost.effort_hours.get(r.priority, DEFAULT_EFFORT_HOURS) * cost.support_hour_usd  # type: ignore[call-overload]
        hours[r.tier, "resolution_hours"].append((r.resolved - r.opened).total_seconds() / 3600)
        if r.first_response is not None:
            hours[r.tier, "first_response_hours"].append((r.first_response - r.opened).total_seconds() / 3600)
        if (r.tier, r.priority) not in targets:
            try:
                targets[r.tier, r.priority] = policies.sla_target(r.tier, r.priority)
            except LookupError:
                targets[r.tier, r.priority] = None  # a tier or priority no policy knows: counted closed, never met
        target = targets[r.tier, r.priority]
        if target is not None:
            if r.first_response is not None:
                t["fr_met"] += clock_elapsed(policies, target.coverage, r.timezone, r.opened, r.first_response) <= (
                    target.first_response
                )
            t["res_met"] += (
                clock_elapsed(policies, target.coverage, r.timezone, r.opened, r.resolved) <= target.resolution
            )
        if r.agent_replies is None:
            unknown += 1
            continue
        t["fcr_known"] += 1
        reopened_soon = r.reopened is not None and r.reopened <= r.resolved + REOPEN_WINDOW
        t["fcr"] += r.agent_replies == 1 and not reopened_soon
    for (tier, key), values in hours.items():
        out[tier][key] = statistics.median(values)
    return out, unknown
