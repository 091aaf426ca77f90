"""What customers said in surveys across the book: "what's our NPS this quarter?", "how is CSAT for gold this
month?". The KPI pack's own figures (:mod:`bot.customers.surveys`, as ``playbooks/governance/kpis-per-tier.md``
defines them): NPS and CSAT per tier against the targets of ``tiers.yaml``, over the window the question names (the
last 90 days when it names none: a week holds few answers).

A customer's NPS answer is a field only some roles see (``roles.yaml``), and a tier's score from one answer is that
customer's: the figures go only to the roles that see it, as a card withholds it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from bot import mrkdwn
from bot.ask.dates import latest_window
from bot.ask.facts import sees, who_sees
from bot.ask.people import person
from bot.ask.policy import PolicyFinding
from bot.customers.outcomes import beside_target
from bot.customers.surveys import SurveyFigures, nps_text, survey_figures
from bot.services import Services

DEFAULT_DAYS = 90
_MINE = re.compile(r"\bmy (?:book|accounts|customers|clients|portfolio)\b", re.I)  # the asker's accounts only
_CSAT = re.compile(r"\b(?:csat|satisfaction)\b", re.I)
FIELD = "nps"  # the record field whose access the survey figures follow
CITED = "CSAT NPS targets per tier"  # cited: the KPI playbook's targets


def surveys_finding(
    services: Services,
    asker: str,
    questions: Sequence[str],
    now: dt.datetime,
    tiers: Sequence[str] = (),
    region: str | None = None,
) -> PolicyFinding:
    """``questions``: the thread's chain, the question last (the window is the latest one said); ``tiers``: those the
    question names, none for every tier; ``region``: the one it names, if any ("our promoters in emea")."""
    policies = services.policies
    if not sees(policies, asker, FIELD):
        return _finding(
            f":lock: Survey answers (NPS) are restricted for your role{who_sees(policies, [FIELD])}, so I can't give "
            "the book's NPS or CSAT."
        )
    since, until, window = latest_window(questions, now, DEFAULT_DAYS)
    question = questions[-1]
    owner = asker if _MINE.search(question) else None
    answers = survey_figures(services.engine, since, until or now, owner, region)
    per = {t: f for t, f in answers.items() if not tiers or t in tiers}
    book = sum(per.values(), SurveyFigures())
    which = f"{', '.join(mrkdwn.escape(t) for t in tiers)} " if tiers else ""  # "gold "
    where = f" in {mrkdwn.escape(region)}" if region else ""
    whose = f"{which}customers{where}" + (f" of {person(policies, asker)}" if owner else "")
    if not book.nps_answers and not book.csat_answers:
        return _finding(f"No {whose} answered a survey {window}.")
    lines = [f"Survey answers from {whose} {window}: {_said(book)}."]
    if _CSAT.search(question) and not book.csat_answers:
        lines.insert(0, f"No CSAT survey was answered by {whose} {window}; the NPS answers:")
    targets = {t.name: t.targets for t in policies.tiers.tiers}
    order = [*(n for n in policies.tier_names if n in per), *sorted(set(per) - set(policies.tier_names))]
    for tier in order:
        goal = targets.get(tier)
        lines.append(
            f"• *{mrkdwn.escape(tier)}*: {_said(per[tier], goal.nps if goal else None, goal.csat if goal else None)}"
        )
    return _finding("\n".join(lines))


def _said(f: SurveyFigures, nps_target: float | None = None, csat_target: float | None = None) -> str:
    """ "NPS +18 from 557 answers (234 promoters, 134 detractors; target +30, *missed*), CSAT 4.4 from 20 answers"."""
    parts = []
    if f.nps is not None:
        missed = ", *missed*" if nps_target is not None and f.nps < nps_target else ""
        goal = f"; target {nps_text(nps_target)}{missed}" if nps_target is not None else ""
        said = (
            beside_target(f.nps, nps_target, bool(missed), nps_text, "{:+.1f}".format)
            if nps_target is not None
            else nps_text(f.nps)
        )
        parts.append(
            f"NPS {said} from {_n(f.nps_answers, 'answer')} "
            f"({_n(f.promoters, 'promoter')}, {_n(f.detractors, 'detractor')}{goal})"
        )
    if f.csat is not None:
        low = csat_target is not None and f.csat < csat_target
        goal = f" (target {csat_target:.1f}{', *missed*' if low else ''})" if csat_target else ""
        one = "{:.1f}".format
        csat = beside_target(f.csat, csat_target, low, one, "{:.2f}".format) if csat_target else one(f.csat)
        parts.append(f"CSAT {csat} from {_n(f.csat_answers, 'answer')}{goal}")
    return ", ".join(parts) or "no answers"


def _n(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def _finding(text: str) -> PolicyFinding:
    """Cited to the KPI playbook's targets; the figures are the answer (no prose after them)."""
    return PolicyFinding(text, "", citation_query=CITED, citation_title="kpi", supported=False)
