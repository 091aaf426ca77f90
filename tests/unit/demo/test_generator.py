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


def test_last_years_renewals_follow_the_service_history() -> None:
    """One decision per customer in the last year; a kept check-in cadence (a touch within the tier's cadence
    before the decision) churns less and expands more than a lapsed one; nothing else in the book moved."""
    rows = _rows(6000)
    renewals = rows["renewals"]
    assert len(renewals) == 6000  # one per generated customer (not per planted duplicate record)
    assert all(NOW - dt.timedelta(days=400) < r["decided_at"] < NOW for r in renewals)
    assert all((r["arr_after"] == 0) == (r["outcome"] == "churned") for r in renewals)
    tier = {c["id"]: c["tier"] for c in rows["customers"]}
    cadence = {"platinum": 14, "gold": 30, "silver": 90}
    touched = {(n["customer_id"], n["created_at"]) for n in rows["notes"] if n["kind"] in ("call", "meeting", "email")}

    def kept(r: dict) -> bool:
        days = cadence.get(tier[r["customer_id"]])
        return bool(days) and any(
            (r["customer_id"], r["decided_at"] - dt.timedelta(days=d)) in touched for d in range(1, days + 1)
        )

    groups = {True: [r for r in renewals if kept(r)], False: [r for r in renewals if not kept(r)]}
    churn = {k: sum(r["outcome"] == "churned" for r in v) / len(v) for k, v in groups.items()}
    assert len(groups[True]) > 500 and churn[True] < churn[False] / 2, churn
    grew = {k: sum(r["arr_after"] > r["arr_before"] for r in v) / len(v) for k, v in groups.items()}
    assert grew[True] > grew[False], grew
    assert {r["agent_replies"] is not None for r in rows["tickets"]} == {True}
    assert any(r["reopened_at"] for r in rows["tickets"])
