"""tiers.yaml's ``targets`` are the table of playbooks/governance/kpis-per-tier.md: the digest shows each figure
next to its target, so the two must say the same (a change to one without the other fails here)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.policies import load_policies

REPO = Path(__file__).resolve().parents[3]
ROWS = {
    "First-response SLA met": "first_response_sla_met",
    "Resolution SLA met": "resolution_sla_met",
    "First-contact resolution": "first_contact_resolution",
    "CSAT (1-5)": "csat",
    "NPS": "nps",
    "Gross revenue retention": "gross_revenue_retention",
    "Net revenue retention": "net_revenue_retention",
    "Issue recurrence (same issue within 30 days)": "issue_recurrence_max",
    "Proactive check-ins done on time": "checkins_on_time",
    "Cost to serve (% of ARR)": "cost_to_serve_max",
}


def _value(cell: str) -> float | None:
    cell = cell.strip().removeprefix("under ").strip()
    if cell == "n/a":
        return None
    if cell.endswith("%"):
        return round(float(cell[:-1]) / 100, 4)
    return float(cell)


def test_tiers_yaml_targets_match_the_kpi_playbook() -> None:
    text = (REPO / "playbooks" / "governance" / "kpis-per-tier.md").read_text(encoding="utf-8")
    table = text.split("## Targets", 1)[1].split("##", 1)[0]
    lines = [line for line in table.splitlines() if line.startswith("|")]
    tiers = [c.strip().lower() for c in lines[0].strip("|").split("|")[1:]]
    policies = load_policies(REPO / "playbooks" / "policies")
    targets = {t.name: t.targets for t in policies.tiers.tiers}
    seen = set()
    for line in lines[2:]:
        label, *cells = (c.strip() for c in line.strip("|").split("|"))
        key = ROWS[label]
        seen.add(key)
        for tier, cell in zip(tiers, cells, strict=True):
            got = getattr(targets[tier], key)
            want = _value(cell)
            assert (round(got, 4) if got is not None else None) == want, (label, tier, got, cell)
    assert seen == set(ROWS.values())
    assert re.search(r"\(8 platinum, 25 gold\)", text)
    caps = {t.name: t.promises.max_accounts_per_owner for t in policies.tiers.tiers}
    assert (caps["platinum"], caps["gold"]) == (8, 25)  # the workload caps the playbook states
