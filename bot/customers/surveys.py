"""What customers said in surveys over a window, per tier: the KPI playbook's NPS and CSAT
(``playbooks/governance/kpis-per-tier.md``, targets in ``tiers.yaml``).

Computed here, at the record layer, so that the KPI pack (:mod:`bot.kpi.pack`) and Ask ("what's our NPS this
quarter?", :mod:`bot.ask.surveys`) state the same figures. Tier = the golden record's, as for tickets. One grouped
read over the window's answers.

* **NPS**: answers of the ``nps`` survey (0-10) in the window; promoters (9-10) less detractors (0-6), as a share
  of the answers, times 100 (-100..100).
* **CSAT**: the mean of the ``csat`` survey's answers (1-5) in the window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, and_, case, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from bot.store.models import Customer, SurveyResponse

PROMOTER = 9  # an NPS answer of 9 or 10
DETRACTOR = 6  # ... of 0 to 6


@dataclass(frozen=True)
class SurveyFigures:
    promoters: int = 0
    detractors: int = 0
    nps_answers: int = 0
    csat_total: float = 0.0
    csat_answers: int = 0

    @property
    def nps(self) -> float | None:
        return 100.0 * (self.promoters - self.detractors) / self.nps_answers if self.nps_answers else None

    @property
    def csat(self) -> float | None:
        return self.csat_total / self.csat_answers if self.csat_answers else None

    def __add__(self, other: SurveyFigures) -> SurveyFigures:
        return SurveyFigures(
            self.promoters + other.promoters,
            self.detractors + other.detractors,
            self.nps_answers + other.nps_answers,
            self.csat_total + other.csat_total,
            self.csat_answers + other.csat_answers,
        )


def survey_figures(
    engine: Engine, since: dt.datetime, until: dt.datetime, owner: str | None = None, region: str | None = None
) -> dict[str, SurveyFigures]:
    """The NPS and CSAT answers given in ``[since, until)``, per golden record's tier; ``owner``: of their accounts
    only; ``region``: of that region's customers only."""
    s = SurveyResponse.__table__.c
    member, golden = aliased(Customer), aliased(Customer)
    nps, csat = func.lower(s.survey) == "nps", func.lower(s.survey) == "csat"

    def counted(when: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((when, 1), else_=0))

    q = (
        select(
            golden.tier,
            counted(and_(nps, s.score >= PROMOTER)),
            counted(and_(nps, s.score <= DETRACTOR)),
            counted(nps),
            func.sum(case((csat, s.score), else_=0)),
            counted(csat),
        )
        .select_from(SurveyResponse.__table__)
        .join(member, member.id == s.customer_id)
        .join(golden, golden.id == func.coalesce(member.merged_into_id, member.id))
        .where(s.responded_at >= since, s.responded_at < until)
        .group_by(golden.tier)
    )
    if owner is not None:
        q = q.where(golden.owner_slack_id == owner)
    if region is not None:
        q = q.where(golden.region == region)
    with engine.connect() as conn:
        return {
            str(tier): SurveyFigures(int(p or 0), int(d or 0), int(n or 0), float(total or 0), int(c or 0))
            for tier, p, d, n, total, c in conn.execute(q)
        }


def nps_text(value: float) -> str:
    """An NPS as the pack and Ask say it: signed, whole (-100..+100): "+42", "-7", "+0"."""
    return f"{value:+.0f}"
