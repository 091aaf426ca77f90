"""Pure parts of the KPI feature: schedule arithmetic, formatting, Block Kit limits, charts from plain figures."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.approvals.figures import Pathway
from bot.kpi import format as f
from bot.kpi.charts import PNG_MAGIC, render_charts
from bot.kpi.digest import KpiDigest, due, week_key, week_start
from bot.kpi.metrics import Kpis, TierAlerts, TierService, window
from bot.slack.views import render

UNTIL = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)


def sample() -> Kpis:
    return Kpis(
        UNTIL - dt.timedelta(days=7),
        UNTIL,
        [
            TierService("platinum", 10, 40, 120.0, 7.5, 9.25, 36),
            TierService("bronze", 900, 300, 225.0, 20.0, 30.0, 290),
            TierService("silver", 50, 0, 0.0, None, None, 0),
        ],
        [TierAlerts("platinum", 8, 6, 2, 2, 0, 12.0), TierAlerts("bronze", 30, 3, 0, 0, 0, None)],
        [Pathway("standard", 20, 20, 20, 0.0, 0.0), Pathway("exception", 5, 4, 3, 30.0, 41.5)],
    )


def test_totals_and_rates() -> None:
    k = sample()
    assert k.tickets_resolved == 340
    assert k.fcr_rate == pytest.approx(326 / 340)
    assert k.cost_usd == pytest.approx(345.0 * 60)
    assert k.service[0].cost_per_customer == pytest.approx(720.0)
    assert k.service[2].cost_per_customer == 0.0 and k.service[2].fcr_rate is None
    assert k.ack_rate == pytest.approx(9 / 38)
    assert k.urgent_ack_rate == 1.0
    assert k.exception_rate == pytest.approx(5 / 25)
    empty = Kpis(UNTIL - dt.timedelta(days=1), UNTIL)
    assert (empty.fcr_rate, empty.ack_rate, empty.exception_rate, empty.cost_usd) == (None, None, None, 0)


def test_window() -> None:
    assert window(UNTIL, 7) == (dt.datetime(2026, 11, 16, 9, tzinfo=dt.UTC), UNTIL)
    with pytest.raises(ValueError):
        window(UNTIL, 0)


def test_weekly_schedule() -> None:
    monday = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    assert week_start(dt.datetime(2026, 11, 29, 23, 59, tzinfo=dt.UTC)) == monday
    assert week_start(monday) == monday
    assert due(monday + dt.timedelta(hours=7, minutes=59)) is None
    assert due(monday + dt.timedelta(hours=8)) == "2026-W48"
    assert due(dt.datetime(2026, 11, 29, 23, tzinfo=dt.UTC)) == "2026-W48"
    assert week_key(dt.datetime(2026, 12, 28, tzinfo=dt.UTC)) == "2026-W53"
    assert week_key(dt.datetime(2027, 1, 4, tzinfo=dt.UTC)) == "2027-W01"
    # a time zone other than UTC is converted, not misread
    assert due(dt.datetime(2026, 11, 23, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))) is None


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)))
def test_week_start_is_the_monday_before(now: dt.datetime) -> None:
    start = week_start(now)
    assert start.weekday() == 0 and start.time() == dt.time(0)
    assert dt.timedelta(0) <= now - start < dt.timedelta(days=7)


def test_formatting_and_tables() -> None:
    assert (f.pct(0.8333), f.hours(74.666), f.minutes(49.6), f.usd(1234.5)) == ("83%", "74.7 h", "50 min", "$1,234.50")
    assert (f.pct(None), f.hours(None), f.usd(None)) == ("-", "-", "-")
    table = f.text_table(f.SERVICE_HEADER, f.service_rows(sample())).splitlines()
    assert len(table) == 4 and len({len(line) for line in table}) == 1  # aligned columns
    assert table[1].startswith("platinum") and table[1].endswith("90%")


def test_block_kit_respects_limits() -> None:
    blocks = render(KpiDigest("Weekly KPI digest", sample(), ("a", "b", "c")))
    assert len(blocks) <= 50
    assert blocks[0]["type"] == "header"
    fields = next(b for b in blocks if "fields" in b)["fields"]
    assert len(fields) == 10 and {"type": "mrkdwn", "text": "*Exception rate*\n20%"} in fields
    for b in blocks:
        if b["type"] == "section" and "text" in b:
            assert len(b["text"]["text"]) <= 3000
        for e in b.get("elements", []):
            assert len(e["text"]) <= 3000


def test_charts_are_pngs_even_for_an_empty_window() -> None:
    for k in (sample(), Kpis(UNTIL - dt.timedelta(days=7), UNTIL)):
        charts = render_charts(k)
        assert [c.filename for c in charts] == ["kpi-cost-resolution.png", "kpi-fcr-ack.png", "kpi-approvals.png"]
        assert all(c.png.startswith(PNG_MAGIC) for c in charts)


def test_a_pack_figure_that_rounds_to_its_target_but_misses_it_shows_a_decimal() -> None:
    from bot.kpi.pack import Figure

    # was: "95% (target 95%) !" for 94.7%
    near = Figure("silver", "1st response SLA", 18 / 19, 0.95, None, True)
    assert f._vs(near) == "94.7% (target 95%) !"
    assert f._vs(Figure("gold", "NPS", 29.75, 30.0, None, True), "nps") == "+29.8 (target +30) !"
    assert f._vs(Figure("gold", "CSAT", 4.46, 4.5, None, True), "csat") == "4.46 (target 4.5) !"
    assert f._vs(Figure("gold", "1st response SLA", 0.93, 0.98, None, True)) == "93% (target 98%) !"
    assert f._vs(Figure("gold", "1st response SLA", 0.95, 0.95, None, True)) == "95% (target 95%)"  # met
