from __future__ import annotations

import datetime as dt
import statistics

from bot.customers.normalize import name_key
from bot.demo.generator import DemoGenerator, company_name

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


def _rows(n: int, seed: int = 7) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for batch in DemoGenerator(n, seed=seed, now=NOW).customers():
        for table, rows in batch.rows.items():
            out.setdefault(table, []).extend(rows)
    return out


def test_same_seed_same_data_and_other_seed_differs() -> None:
    a, b, c = _rows(300), _rows(300), _rows(300, seed=8)
    assert a == b
    assert a["customers"] != c["customers"]


def test_output_does_not_depend_on_batching() -> None:
    # Per-customer RNGs: the first 100 customers are identical whether we generate 100 or 300.
    small = [r for r in _rows(100)["customers"] if r["id"] <= 100]
    big = [r for r in _rows(300)["customers"] if r["id"] <= 100]
    assert [r["name"] for r in small] == [r["name"] for r in big]
    assert [r["lifetime_value"] for r in small] == [r["lifetime_value"] for r in big]


def test_long_tailed_value_and_tier_mix() -> None:
    customers = [r for r in _rows(4000)["customers"] if r["external_ids"].get("crm")]
    values = sorted(float(r["lifetime_value"]) for r in customers)
    top_1pct = sum(values[-len(values) // 100 :])
    assert top_1pct / sum(values) > 0.15  # a few accounts hold a large share
    assert statistics.mean(values) > 1.5 * statistics.median(values)
    tiers = {
        t: sum(r["tier"] == t for r in customers) / len(customers) for t in ("platinum", "gold", "silver", "bronze")
    }
    assert tiers["bronze"] > tiers["silver"] > tiers["gold"] > tiers["platinum"] > 0
    assert len({r["timezone"] for r in customers}) >= 8
    assert len({r["region"] for r in customers}) == 4


def test_planted_situations_are_present() -> None:
    rows = _rows(3000)
    tickets = rows["tickets"]
    open_breaching = [t for t in tickets if t["status"] == "open" and t["first_response_at"] is None]
    assert open_breaching and all(NOW - t["opened_at"] >= dt.timedelta(hours=6) for t in open_breaching)
    assert any(t["category"] == "complaint" and t["sentiment"] < -0.5 for t in tickets)
    assert any(not r["consent_outreach"] for r in rows["customers"])
    assert any(o["status"] == "overdue" for o in rows["orders"])
    soon = [r for r in rows["customers"] if r["renewal_date"] and (r["renewal_date"] - NOW.date()).days < 30]
    assert len(soon) > 0.04 * len(rows["customers"])
    # Quiet customers: some primary customers have no usage in the last 45 days.
    recent_usage = {u["customer_id"] for u in rows["usage_events"] if (NOW.date() - u["day"]).days <= 45}
    primaries = {r["id"] for r in rows["customers"] if r["external_ids"].get("crm")}
    assert 0.02 < len(primaries - recent_usage) / len(primaries) < 0.1


def test_planted_duplicates_are_the_same_company_spelled_differently() -> None:
    rows = _rows(3000)
    by_id = {r["id"]: r for r in rows["customers"]}
    dups = rows["demo_planted_duplicates"]
    assert 20 <= len(dups) <= 120
    for d in dups:
        dup, orig = by_id[d["customer_id"]], by_id[d["duplicate_of"]]
        assert name_key(dup["name"]) == name_key(orig["name"])
        assert dup["external_ids"].keys().isdisjoint(orig["external_ids"].keys())


def test_company_names_unique() -> None:
    names = [company_name(i) for i in range(50_000)]
    assert len(set(names)) == len(names)
