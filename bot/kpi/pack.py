"""The per-tier KPI pack as ``playbooks/governance/kpis-per-tier.md`` defines it, each figure beside its target
(``tiers.yaml`` ``targets``) and last period's value, and the promises the figures show broken.

Definitions (the playbook's, over tickets *closed* (resolved) in ``[since, until)``, tier = the golden record's):

* **First-response SLA met** / **Resolution SLA met**: tickets whose first response (resolution) came within
  the target of ``sla.yaml`` for their tier and priority, in business time for business-hours tiers (the
  customer's time zone), calendar time for 24x7 tiers, divided by the tickets closed. A ticket closed with no
  first response recorded missed the first-response target.
* **First-contact resolution**: closed tickets with exactly one agent response and no reopen within 7 days of
  the resolution, over the closed tickets whose helpdesk reports agent responses (``agent_replies``); tickets
  without that count are left out and counted as unknown, never guessed.
* **CSAT** / **NPS**: the survey answers given in the window (:mod:`bot.customers.surveys`): the mean CSAT
  (1-5); promoters less detractors as a share of the NPS answers (-100..100).
* **Cost to serve (% of ARR)**: support (each closed ticket's handling-hours proxy by priority x the support
  hour, ``tiers.yaml`` ``cost_to_serve``), account management (the tier's accounts x an owner's yearly cost /
  the tier's ``max_accounts_per_owner``, prorated to the window) and special handling (amounts approved in
  ``special_handling`` and ``expedited_fulfilment`` requests decided in the window), divided by the tier's ARR
  prorated to the window.

SLA met needs business-time arithmetic per ticket, so the window's closed tickets are read (a week: thousands
of rows, not the book: :mod:`bot.customers.service_levels`), and the median resolution time is taken from the same
rows; every other figure is an aggregate in SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine, and_, case, func, select

from bot.alerts.models import Alert
from bot.approvals.models import APPROVED, AUTO_APPROVED, ApprovalRequest
from bot.customers.service_levels import closed_tickets, ticket_figures
from bot.customers.surveys import SurveyFigures, survey_figures
from bot.policies import Policies
from bot.store.models import Customer

SPECIAL_HANDLING_TYPES = ("special_handling", "expedited_fulfilment")
YEAR_DAYS = 365.0


@dataclass(frozen=True)
class TierFigures:
    tier: str
    customers: int = 0
    closed: int = 0
    first_response_met: int = 0
    resolution_met: int = 0
    fcr: int = 0
    fcr_known: int = 0  # closed tickets carrying an agent-response count
    median_resolution_hours: float | None = None
    arr: float = 0.0  # the tier's ARR, yearly
    support_usd: float = 0.0
    account_usd: float = 0.0
    special_usd: float = 0.0
    days: float = 7.0
    surveys: SurveyFigures = SurveyFigures()  # the NPS and CSAT answers given in the window

    @property
    def nps(self) -> float | None:
        return self.surveys.nps

    @property
    def csat(self) -> float | None:
        return self.surveys.csat

    @property
    def first_response_sla(self) -> float | None:
        return self.first_response_met / self.closed if self.closed else None

    @property
    def resolution_sla(self) -> float | None:
        return self.resolution_met / self.closed if self.closed else None

    @property
    def fcr_rate(self) -> float | None:
        return self.fcr / self.fcr_known if self.fcr_known else None

    @property
    def cost_usd(self) -> float:
        return self.support_usd + self.account_usd + self.special_usd

    @property
    def cost_to_serve(self) -> float | None:
        """Cost over the window / ARR over the window (a share: 0.08 = 8% of ARR)."""
        earned = self.arr * self.days / YEAR_DAYS
        return self.cost_usd / earned if earned > 0 else None


@dataclass(frozen=True)
class RuleAlerts:
    rule: str
    alerts: int
    acked: int

    @property
    def ack_rate(self) -> float | None:
        return self.acked / self.alerts if self.alerts else None


# (attribute of TierFigures, label, target field in tiers.yaml, higher is better)
MEASURES: tuple[tuple[str, str, str, bool], ...] = (
    ("first_response_sla", "First-response SLA met", "first_response_sla_met", True),
    ("resolution_sla", "Resolution SLA met", "resolution_sla_met", True),
    ("fcr_rate", "First-contact resolution", "first_contact_resolution", True),
    ("csat", "CSAT (1-5)", "csat", True),
    ("nps", "NPS", "nps", True),
    ("cost_to_serve", "Cost to serve (% of ARR)", "cost_to_serve_max", False),
)


@dataclass(frozen=True)
class Figure:
    tier: str
    label: str
    value: float | None
    target: float | None
    previous: float | None
    higher_is_better: bool

    @property
    def missed(self) -> bool:
        if self.value is None or self.target is None:
            return False
        return self.value < self.target if self.higher_is_better else self.value > self.target

    @property
    def trend(self) -> str:
        """↑ / ↓ for the direction of change since last period, → for none, blank when either is unknown."""
        if self.value is None or self.previous is None:
            return ""
        delta = self.value - self.previous
        return "→" if abs(delta) < 0.005 else ("↑" if delta > 0 else "↓")


@dataclass(frozen=True)
class Pack:
    since: dt.datetime
    until: dt.datetime
    tiers: tuple[TierFigures, ...]
    previous: tuple[TierFigures, ...]
    rules: tuple[RuleAlerts, ...] = ()
    fcr_unknown: int = 0  # closed tickets without an agent-response count
    figures: tuple[Figure, ...] = field(default=())
    broken: tuple[str, ...] = ()  # promises the figures show broken

    def of(self, tier: str) -> list[Figure]:
        return [f for f in self.figures if f.tier == tier]


def _book(engine: Engine) -> dict[str, tuple[int, float]]:
    c = Customer.__table__.c
    q = select(c.tier, func.count(), func.sum(c.arr)).where(c.merged_into_id.is_(None)).group_by(c.tier)
    with engine.connect() as conn:
        return {str(t): (int(n), float(arr or 0)) for t, n, arr in conn.execute(q)}


def _special(engine: Engine, since: dt.datetime, until: dt.datetime) -> dict[str, float]:
    r = ApprovalRequest.__table__.c
    q = (
        select(r.tier, func.sum(r.amount))
        .where(
            r.request_type.in_(SPECIAL_HANDLING_TYPES),
            r.state.in_((APPROVED, AUTO_APPROVED)),
            r.decided_at >= since,
            r.decided_at < until,
        )
        .group_by(r.tier)
    )
    with engine.connect() as conn:
        return {str(t): float(a or 0) for t, a in conn.execute(q) if t is not None}


def tier_figures(
    engine: Engine, policies: Policies, since: dt.datetime, until: dt.datetime
) -> tuple[list[TierFigures], int]:
    days = (until - since).total_seconds() / 86400
    tickets, unknown = ticket_figures(policies, closed_tickets(engine, since, until))
    book = _book(engine)
    special = _special(engine, since, until)
    surveys = survey_figures(engine, since, until)
    owner_year = policies.tiers.cost_to_serve.owner_year_usd
    out = []
    names = policies.tier_names + sorted({*tickets, *book} - set(policies.tier_names))
    for name in names:
        if name not in tickets and name not in book:
            continue
        t = tickets.get(name, {})
        customers, arr = book.get(name, (0, 0.0))
        cap = next((x.promises.max_accounts_per_owner for x in policies.tiers.tiers if x.name == name), None)
        account = customers * owner_year / cap * days / YEAR_DAYS if cap else 0.0
        out.append(
            TierFigures(
                tier=name,
                customers=customers,
                closed=int(t.get("closed", 0)),
                first_response_met=int(t.get("fr_met", 0)),
                resolution_met=int(t.get("res_met", 0)),
                fcr=int(t.get("fcr", 0)),
                fcr_known=int(t.get("fcr_known", 0)),
                median_resolution_hours=t.get("resolution_hours"),
                arr=arr,
                support_usd=t.get("support_usd", 0.0),
                account_usd=account,
                special_usd=special.get(name, 0.0),
                days=days,
                surveys=surveys.get(name, SurveyFigures()),
            )
        )
    return out, unknown


def alerts_by_rule(engine: Engine, since: dt.datetime, until: dt.datetime) -> list[RuleAlerts]:
    a = Alert.__table__.c
    acked = case((and_(a.acked_at.is_not(None), a.acked_at < until), 1), else_=0)
    q = (
        select(a.rule, func.count(), func.sum(acked))
        .where(a.created_at >= since, a.created_at < until)
        .group_by(a.rule)
        .order_by(func.count().desc(), a.rule)
    )
    with engine.connect() as conn:
        return [RuleAlerts(str(r), int(n), int(k or 0)) for r, n, k in conn.execute(q)]


def broken_promises(policies: Policies, tiers: list[TierFigures]) -> list[str]:
    """kpis-per-tier.md: 'if platinum is not meaningfully better than gold, the extra cost is not buying
    anything'. The top tier against each lower tier: resolution no faster, FCR no better."""
    ranked_names = [n for n in policies.tier_names if any(t.tier == n for t in tiers)]
    if len(ranked_names) < 2:
        return []
    by = {t.tier: t for t in tiers}
    top = by[ranked_names[0]]
    out = []
    for lower in (by[n] for n in ranked_names[1:]):
        a, b = top.median_resolution_hours, lower.median_resolution_hours
        if a is not None and b is not None and a >= b:
            out.append(f"{top.tier} resolution is no faster than {lower.tier} (median {a:.1f} h vs {b:.1f} h)")
        x, y = top.fcr_rate, lower.fcr_rate
        if x is not None and y is not None and x <= y:
            out.append(f"{top.tier} first-contact resolution is no better than {lower.tier} ({x:.0%} vs {y:.0%})")
    return out


def pack(engine: Engine, policies: Policies, since: dt.datetime, until: dt.datetime) -> Pack:
    """This window's figures and the one before it (same length), against the targets of ``tiers.yaml``."""
    if since >= until:
        raise ValueError("the window is empty: since must be before until")
    now, unknown = tier_figures(engine, policies, since, until)
    before, _ = tier_figures(engine, policies, since - (until - since), since)
    prev = {t.tier: t for t in before}
    targets = {t.name: t.targets for t in policies.tiers.tiers}
    figures = []
    for t in now:
        goal = targets.get(t.tier)
        for attr, label, key, higher in MEASURES:
            last = prev.get(t.tier)
            figures.append(
                Figure(
                    t.tier,
                    label,
                    getattr(t, attr),
                    getattr(goal, key) if goal is not None else None,
                    getattr(last, attr) if last is not None else None,
                    higher,
                )
            )
    return Pack(
        since,
        until,
        tuple(now),
        tuple(before),
        tuple(alerts_by_rule(engine, since, until)),
        unknown,
        tuple(figures),
        tuple(broken_promises(policies, now)),
    )
