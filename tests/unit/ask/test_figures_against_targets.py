"""A figure said beside its target: a miss that rounds to the target is said with one more digit, so the line never
reads "95% (target 95%, *missed*)" (bot.ask.service_levels, bot.ask.surveys)."""

from __future__ import annotations

from bot.ask.service_levels import _against
from bot.ask.surveys import _said
from bot.customers.surveys import SurveyFigures


def test_an_sla_share_that_rounds_to_its_target_but_misses_it_shows_a_decimal() -> None:
    # was: "first response met 95% (target 95%, *missed*)" for 18 of 19 tickets (94.7%)
    assert _against("first response met", 18 / 19, 0.95) == "first response met 94.7% (target 95%, *missed*)"
    assert _against("first response met", 0.93, 0.98) == "first response met 93% (target 98%, *missed*)"
    assert _against("first response met", 0.95, 0.95) == "first response met 95% (target 95%)"  # met: as it is
    assert _against("first response met", 0.957, 0.95) == "first response met 96% (target 95%)"


def test_an_nps_or_csat_that_rounds_to_its_target_but_misses_it_shows_a_decimal() -> None:
    # NPS 100 * (84 - 48) / 121 = +29.75: "+30" beside "target +30, *missed*" was a contradiction
    near = SurveyFigures(promoters=84, detractors=48, nps_answers=121, csat_total=4.46 * 10, csat_answers=10)
    said = _said(near, nps_target=30, csat_target=4.5)
    assert said.startswith("NPS +29.8 from 121 answers (84 promoters, 48 detractors; target +30, *missed*)"), said
    assert said.endswith("CSAT 4.46 from 10 answers (target 4.5, *missed*)"), said
    far = SurveyFigures(promoters=50, detractors=40, nps_answers=100, csat_total=40.0, csat_answers=10)
    assert _said(far, nps_target=30, csat_target=4.5) == (
        "NPS +10 from 100 answers (50 promoters, 40 detractors; target +30, *missed*), CSAT 4.0 from 10 answers "
        "(target 4.5, *missed*)"
    )
