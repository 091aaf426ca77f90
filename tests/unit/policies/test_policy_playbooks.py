"""The Markdown playbooks and the policy YAML must say the same thing.

The playbooks state SLA targets, the escalation matrix, approval thresholds, alert rules and tier
thresholds in tables; these tests parse those cells and compare them with the loaded policy, so
editing one without the other fails CI.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.policies import Policies

STALE_CUTOFF = date(2026, 11, 24)
REQUIRED_KEYS = {"title", "owner", "review_by", "version", "tags"}


def _split(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text()
    assert text.startswith("---\n"), f"{path} has no front matter"
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    assert isinstance(meta, dict), path
    return meta, body


def _playbooks(playbooks_dir: Path) -> list[Path]:
    return sorted(p for p in playbooks_dir.rglob("*.md") if "policies" not in p.parts)


def table(body: str, first_header: str) -> list[dict[str, str]]:
    """Rows of the first Markdown table whose header row starts with ``| first_header |``."""
    lines = body.splitlines()
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_header:
            rows = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                values = [c.strip() for c in row.strip().strip("|").split("|")]
                assert len(values) == len(cells), row
                rows.append(dict(zip(cells, values, strict=True)))
            return rows
    raise AssertionError(f"no table starting with {first_header!r}")


_UNITS = {"min": 60, "h": 3600, "day": 86400, "days": 86400}


def duration(cell: str) -> timedelta:
    match = re.fullmatch(r"(\d+) (min|h|days?)", cell)
    assert match, f"cannot read duration {cell!r}"
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def ident(cell: str) -> str:
    """``@cs-leads (S0CSLEADS)`` -> ``S0CSLEADS``; ``owner`` -> ``owner``."""
    match = re.search(r"\(([UCS][A-Z0-9]+)[,)]", cell)
    return match.group(1) if match else cell


def number(cell: str) -> float | None:
    if cell in ("—", "-", ""):
        return None
    return float(cell.replace(",", "").rstrip("%"))


def listed(cell: str) -> list[str] | None:
    return None if cell == "any" else [part.strip() for part in cell.split(",")]


def _body(playbooks_dir: Path, rel: str) -> str:
    return _split(playbooks_dir / rel)[1]


# ---- front matter and shape ----------------------------------------------------------------


def test_enough_playbooks(playbooks_dir: Path) -> None:
    assert len(_playbooks(playbooks_dir)) >= 16


def test_front_matter(playbooks_dir: Path, policies: Policies) -> None:
    owners = {s.id for s in policies.roles.staff} | {g.id for g in policies.roles.groups}
    titles = set()
    for path in _playbooks(playbooks_dir):
        meta, body = _split(path)
        assert set(meta) >= REQUIRED_KEYS, f"{path}: missing {REQUIRED_KEYS - set(meta)}"
        assert meta["owner"] in owners, f"{path}: owner {meta['owner']} is not in roles.yaml"
        assert isinstance(meta["review_by"], date), f"{path}: review_by must be an ISO date"
        assert isinstance(meta["tags"], list) and meta["tags"], path
        assert set(meta.get("tiers") or []) <= set(policies.tier_names), path
        assert set(meta.get("regions") or []) <= set(policies.tiers.regions), path
        assert meta["title"] not in titles, f"duplicate title {meta['title']}"
        titles.add(meta["title"])
        assert body.count("\n## ") >= 2, f"{path}: use ## headings, retrieval chunks on them"
        words = len(re.findall(r"[A-Za-z0-9][\w'.-]*", body))
        assert 300 <= words <= 1200, f"{path}: {words} words"


def test_some_playbooks_are_stale_for_the_report(playbooks_dir: Path) -> None:
    stale = [p for p in _playbooks(playbooks_dir) if _split(p)[0]["review_by"] < STALE_CUTOFF]
    assert len(stale) >= 2


def test_cited_policy_files_exist(playbooks_dir: Path) -> None:
    for path in _playbooks(playbooks_dir):
        for cited in re.findall(r"playbooks/policies/([\w-]+\.yaml)", path.read_text()):
            assert (playbooks_dir / "policies" / cited).is_file(), f"{path} cites missing {cited}"


# ---- the numbers agree ----------------------------------------------------------------------


def test_sla_table_matches_yaml(playbooks_dir: Path, policies: Policies) -> None:
    rows = table(_body(playbooks_dir, "service/sla-response-times.md"), "Tier")
    seen = set()
    for row in rows:
        tier, priority = row["Tier"].lower(), row["Priority"]
        target = policies.sla_target(tier, priority)
        assert duration(row["First response"]) == target.first_response, row
        assert duration(row["Resolution"]) == target.resolution, row
        assert row["Clock"] == ("24x7" if target.coverage == "24x7" else "business hours"), row
        seen.add((tier, priority))
    assert seen == {(t, p) for t in policies.tier_names for p in ("P1", "P2", "P3", "P4")}


def test_customer_quiet_hours_match_contact_hours(playbooks_dir: Path, policies: Policies) -> None:
    """The communication policy's quiet hours for customers are sla.yaml's ``contact_hours``, which Ask states."""
    body = _body(playbooks_dir, "operations/communication-policy.md")
    line = next(x for x in body.splitlines() if x.startswith("- Customers: no proactive"))
    match = re.search(r"before (\d\d:\d\d) or after (\d\d:\d\d)", line)
    window = policies.sla.contact_hours
    assert match and window is not None
    assert (match.group(1), match.group(2)) == (f"{window.start:%H:%M}", f"{window.end:%H:%M}")
    weekends = "nor at weekends" in line
    assert weekends == (not {"sat", "sun"} & set(window.days)), line


def test_escalation_table_matches_yaml(playbooks_dir: Path, policies: Policies) -> None:
    rows = table(_body(playbooks_dir, "service/escalation-matrix.md"), "Tier")
    stated: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in rows:
        key = (row["Tier"].lower(), "sev" + row["Severity"].removeprefix("Sev ").strip())
        stated.setdefault(key, []).append(row)
    for tier in policies.tier_names:
        for severity in ("sev1", "sev2", "sev3", "sev4"):
            path = policies.escalation_path(tier, severity)
            table_rows = stated.pop((tier, severity), [])
            assert len(table_rows) == len(path), (tier, severity)
            for level, (row, step) in enumerate(zip(table_rows, path, strict=True), start=1):
                assert int(row["Level"]) == level
                assert ident(row["Escalate to"]) == step.escalate_to, row
                assert ident(row["Channel"]) == step.channel, row
                assert duration(row["Within"]) == step.within, row
                assert row["Next step"] == step.next_step, row
    assert not stated, f"table rows for unknown tier/severity: {sorted(stated)}"


def test_approval_matrix_matches_yaml(playbooks_dir: Path, policies: Policies) -> None:
    body = _body(playbooks_dir, "governance/approvals-handbook.md")
    rows = table(body[body.index("## The policy matrix") :], "Request type")
    by_type: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_type.setdefault(row["Request type"], []).append(row)
    assert set(by_type) == set(policies.approvals.request_types)
    for request_type, rules in policies.approvals.request_types.items():
        stated = by_type[request_type]
        assert [r["Rule"] for r in stated] == [rule.name for rule in rules]
        for row, rule in zip(stated, rules, strict=True):
            when = rule.when
            assert number(row["Max amount"]) == (when.max_amount if when else None), row
            assert number(row["Max %"]) == (when.max_percent if when else None), row
            assert listed(row["Tiers"]) == (when.tiers if when else None), row
            assert listed(row["Regions"]) == (when.regions if when else None), row
            assert listed(row["Risk"]) == (when.risk if when else None), row
            if rule.auto_approve:
                assert row["Route"] == "auto-approve", row
            else:
                stated_steps = [s.strip() for s in row["Route"].split("→")]
                assert [ident(s) for s in stated_steps] == [s.approvers for s in rule.steps], row
                for text, step in zip(stated_steps, rule.steps, strict=True):
                    assert (f"{step.quorum} of them" in text) == (step.quorum != "any"), row


def test_approval_steps_table_matches_yaml(playbooks_dir: Path, policies: Policies) -> None:
    body = _body(playbooks_dir, "governance/approvals-handbook.md")
    steps_rows = table(body[body.index("## Steps, channels and timeouts") :], "Request type")
    stated = {(r["Request type"], r["Step"], ident(r["Approvers"])): r for r in steps_rows}
    for request_type, rules in policies.approvals.request_types.items():
        for rule in rules:
            for step in rule.steps:
                row = stated.get((request_type, step.name, step.approvers))
                assert row is not None, (request_type, rule.name, step.name)
                assert ident(row["Channel"]) == step.channel, row
                assert row["Quorum"] == str(step.quorum), row
                assert duration(row["Reminder after"]) == step.reminder_after, row
                assert duration(row["Timeout"]) == step.timeout, row
                assert ident(row["Escalates to"]) == step.escalate_to, row


def test_discount_policy_thresholds_match_yaml(playbooks_dir: Path, policies: Policies) -> None:
    rows = table(_body(playbooks_dir, "commercial/discount-and-pricing-policy.md"), "Rule")
    rules = {rule.name: rule for rule in policies.approvals.request_types["discount"]}
    assert [r["Rule"] for r in rows] == list(rules)
    for row in rows:
        when = rules[row["Rule"]].when
        if when is None:
            continue
        assert number(row["Discount up to"]) == when.max_percent, row
        assert number(row["Discount value up to (USD)"]) == when.max_amount, row


def test_alert_table_matches_yaml(playbooks_dir: Path, policies: Policies) -> None:
    rows = table(_body(playbooks_dir, "governance/alerts-handbook.md"), "Rule")
    assert [r["Rule"] for r in rows] == [rule.name for rule in policies.alerts.rules]
    for row, rule in zip(rows, policies.alerts.rules, strict=True):
        assert row["Kind"] == rule.kind
        assert row["Severity"] == rule.severity, row
        assert row["Delivery"] == ("urgent" if rule.urgent else "digest"), row
        assert duration(row["Cooldown"]) == rule.cooldown, row
        assert (row["Segment"] == "all tiers") == (rule.segment.tiers is None and not rule.segment.min_lifetime_value)


def test_tier_thresholds_match_yaml(playbooks_dir: Path, policies: Policies) -> None:
    rows = table(_body(playbooks_dir, "service/tier-definitions.md"), "Tier")
    assert [r["Tier"].lower() for r in rows] == policies.tier_names
    for row in rows:
        tier = policies.tier(row["Tier"])
        assert number(row["Lifetime value at least"]) == tier.min_lifetime_value, row
        assert number(row["or ARR at least"]) == tier.min_arr, row


def test_staff_roster_matches_yaml(playbooks_dir: Path, policies: Policies) -> None:
    # cited by "who is the DPO?" answers (bot.ask.staff), which read roles.yaml
    rows = table(_body(playbooks_dir, "governance/field-access-and-roles.md"), "Slack id")
    assert [(r["Slack id"], r["Name"], r["Title"]) for r in rows] == [
        (m.id, m.name, m.title) for m in policies.roles.staff
    ]


@pytest.mark.parametrize("cell", ["15 min", "4 h", "1 day", "20 days"])
def test_duration_cells_parse(cell: str) -> None:
    assert duration(cell) > timedelta(0)
