"""How renewals went across the book: "what's our renewal rate this quarter?", "how many customers churned last
month?", "what's our NRR this year?". The same figures as the KPI report and the weekly digest
(:func:`bot.customers.outcomes.outcomes`): the renewal decisions in the window the question names, churn, and NRR and
GRR against each tier's targets (``tiers.yaml``).

NRR, GRR and expansion are sums of ARR, a field only some roles see (``roles.yaml``): a role that does not see
ARR gets the counts and rates of decisions, and is told whom to ask for the rest, as a card withholds ARR."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot import mrkdwn
from bot.ask.dates import day, latest_window
from bot.ask.facts import sees, who_sees
from bot.ask.policy import PolicyFinding
from bot.customers.outcomes import OutcomeRow, outcomes, percent, signed_usd, total
from bot.services import Services
from bot.store.models import Customer, Renewal

DEFAULT_DAYS = 90  # the window when the question names none ("what's our churn rate?")
# cited: the KPI playbook's retention targets per tier
CITED = "gross revenue retention net revenue retention targets per tier"
SHOWN = 10  # churned customers listed; the rest are counted
# the customers lost asked for by name: "which customers churned last month?", "who did we lose this quarter?"
_WHICH_LOST = re.compile(r"\b(which|who|list|show|name)\b.*\b(churn\w*|lost|lose|cancell?ed|left)\b", re.I)


def outcomes_finding(
    session: Session,
    services: Services,
    asker: str,
    questions: Sequence[str],
    now: dt.datetime,
    tiers: Sequence[str] = (),
) -> PolicyFinding:
    """``questions``: the thread's chain, the question last; the window is the latest one said ("what was our churn
    rate last quarter?" then "which customers churned?": last quarter's). ``tiers``: those the question names
    ("how's our gold churn this quarter?": gold's figures alone), else every tier's."""
    policies = services.policies
    question = questions[-1]
    since, until, window = latest_window(questions, now, DEFAULT_DAYS)
    figures = outcomes(services.engine, policies, since, until or now, depth=False)
    rows = tuple(r for r in figures.by_tier if r.decided and (not tiers or r.group in tiers))
    if tiers:
        window = f"{window} for {mrkdwn.listed([mrkdwn.escape(t) for t in tiers])}"
    if not rows:
        return _finding(f"No renewal was decided {window}.")
    book = total(rows)
    sees_arr = sees(policies, asker, "arr")
    decided = f"{book.decided:,}, {book.renewed:,} renewed and {book.churned:,} churned"
    rates = f"(renewal rate {percent(book.renewal_rate)}, churn {percent(book.churn_rate)})"
    arr = (
        f"; NRR {percent(book.nrr)}, GRR {percent(book.grr)}, expansion {signed_usd(book.expansion)}"
        if sees_arr
        else ""
    )
    lines = [f"Renewals decided {window}: {decided} {rates}{arr}."]
    lines += [_tier_line(r, figures.targets.get(r.group, (None, None)), sees_arr) for r in rows]
    if not sees_arr:
        seers = who_sees(policies, ["arr"])
        lines.append(f":lock: NRR, GRR and expansion are sums of ARR, restricted for your role{seers}.")
    if book.churned and _WHICH_LOST.search(question):
        lines.append(_lost(session, since, until or now, book.churned))
    return _finding("\n".join(lines), sensitive=sees_arr)


def _finding(text: str, sensitive: bool = False) -> PolicyFinding:
    """Cited to the KPI playbook's retention targets; the figures are the answer (no prose after them)."""
    return PolicyFinding(text, "", citation_query=CITED, citation_title="kpi", sensitive=sensitive, supported=False)


def _lost(session: Session, since: dt.datetime, until: dt.datetime, count: int) -> str:
    """The customers lost in the window, latest first (their golden record's name), with the CRM's reason."""
    member, golden = aliased(Customer), aliased(Customer)
    rows = session.execute(
        select(golden.name, golden.tier, Renewal.decided_at, Renewal.reason)
        .join(member, member.id == Renewal.customer_id)
        .join(golden, golden.id == func.coalesce(member.merged_into_id, member.id))
        .where(Renewal.outcome == "churned", Renewal.decided_at >= since, Renewal.decided_at < until)
        .order_by(Renewal.decided_at.desc(), golden.name)
        .limit(SHOWN)
    ).all()
    lines = [
        f"• *{mrkdwn.escape(name)}* ({mrkdwn.escape(tier)}), {day(at)}" + (f": {mrkdwn.escape(why)}" if why else "")
        for name, tier, at, why in rows
    ]
    more = f"\n…and {count - len(rows)} more." if count > len(rows) else ""
    return "Churned:\n" + "\n".join(lines) + more


def _tier_line(row: OutcomeRow, targets: tuple[float | None, float | None], sees_arr: bool) -> str:
    """ "• *gold*: 41 renewed, 3 churned (churn 7%); GRR 96% (target 95%), NRR 104% (target 110%)"."""
    said = f"• *{mrkdwn.escape(row.group)}*: {row.renewed:,} renewed, {row.churned:,} churned"
    said += f" (churn {percent(row.churn_rate)})"
    if not sees_arr:
        return said
    grr, nrr = targets
    return f"{said}; GRR {percent(row.grr)}{_target(grr)}, NRR {percent(row.nrr)}{_target(nrr)}"


def _target(value: float | None) -> str:
    return "" if value is None else f" (target {percent(value)})"
