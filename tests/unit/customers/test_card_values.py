"""Card values written from the record: the latest NPS answer with its class."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.customers.card import nps_text


@pytest.mark.parametrize(
    ("score", "kind"),
    [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter"), (10, "promoter")],
)
def test_an_nps_answer_is_classed_as_the_survey_defines(score: int, kind: str) -> None:
    assert nps_text(score, dt.datetime(2026, 11, 2, 9, 30)) == f"{score} ({kind}, 2026-11-02)"
