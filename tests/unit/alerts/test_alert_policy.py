"""alerts.yaml's priority, digest, snooze, channel and data-driven rule sections: a mistake is one error naming
the file and line; a new rule of an existing shape is YAML only (it loads and compiles with no code)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from bot.alerts.catalog import ENTITIES
from bot.alerts.rules import EvalContext, compile_holds, compile_rule
from bot.policies import PolicyError, load_policies
from bot.policies.alerts import EVENT_FIELDS, EVENT_TIME

REPO = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 3, 4, 15, tzinfo=dt.UTC)


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(REPO / "playbooks" / "policies", target)
    return target


def _edit(policy_dir: Path, old: str, new: str) -> int:
    path = policy_dir / "alerts.yaml"
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


CASES = [
    (
        "      where: {change: left, role: [champion, sponsor, executive_sponsor]}",
        "      where: {chnage: left}",
        0,
        "no field 'chnage'",
    ),
    ("      where: {survey: nps, score: {max: 6}}", "      where: {survey: {max: 6}}", 0, "'survey' is a text field"),
    (
        "  tier: {platinum: 4, gold: 3, silver: 2, bronze: 1}",
        "  tier: {platinum: 4, gold: 3, silver: 2, brnze: 1}",
        0,
        "unknown tier 'brnze'",
    ),
    (
        "    - {name: notify, min_score: 5, interrupt_cap: 5}",
        "    - {name: notify, min_score: 50, interrupt_cap: 5}",
        -2,  # the bands: line
        "highest min_score down",
    ),
    (
        "  managers: {account_manager: U0CSLEAD, support_agent: U0SUPLEAD, support_lead: U0SVCMGR,",
        "  managers: {account_manager: U0NOBODY, support_agent: U0SUPLEAD, support_lead: U0SVCMGR,",
        0,
        "'U0NOBODY' is not in the staff roster",
    ),
    ("  C0RENEWALS: account_manager", "  C0NOWHERE: account_manager", 0, "'C0NOWHERE' is not in channels.yaml"),
    ("  C0FINALRT: finance", "  C0FINALRT: financier", 0, "unknown role 'financier'"),
    ("      within: 14d\n", "      within: 14d\n      sum: score\n", -4, "sum and min_sum go together"),
    ("  max_entries: 15", "  max_entries: 40", 0, "max_entries"),
]


@pytest.mark.parametrize(("old", "new", "shift", "reason"), CASES)
def test_a_bad_section_is_one_error_with_file_and_line(
    policy_dir: Path, old: str, new: str, shift: int, reason: str
) -> None:
    line = _edit(policy_dir, old, new)
    with pytest.raises(PolicyError) as info:
        load_policies(policy_dir)
    err = info.value
    assert err.file.endswith("alerts.yaml") and reason in str(err), str(err)
    assert err.line is not None and abs(err.line - (line + shift)) <= 1, (err.line, line, str(err))


def test_a_new_rule_of_an_existing_shape_is_yaml_only(policy_dir: Path) -> None:
    path = policy_dir / "alerts.yaml"
    path.write_text(
        path.read_text()
        + """
  - name: gold-billing-disputes
    kind: events
    params:
      entity: tickets
      label: billing disputes
      where: {category: [billing_dispute, billing], priority: [P1, P2], sentiment: {max: 0}}
      within: 7d
      min_count: 2
      open_while: {status: [open, pending]}
    segment: {tiers: [gold]}
    severity: high
    recipients: {owner: true, channel: C0FINALRT}
    cooldown: 7d
"""
    )
    policies = load_policies(policy_dir)
    rule = policies.alert_rule("gold-billing-disputes")
    ctx = EvalContext(NOW, policies, ("UTC",))
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        sql = str(compile_rule(rule, ctx).compile(dialect=dialect))
        assert "tickets" in sql and "count(*) >=" in sql.lower()
        held = compile_holds(rule, ctx, compile_rule(rule, ctx).scalar_subquery())
        assert held is not None and "status" in str(held.compile(dialect=dialect))


def test_the_events_catalog_and_its_sql_agree() -> None:
    assert set(ENTITIES) == set(EVENT_FIELDS) == set(EVENT_TIME)
    for entity, fields in EVENT_FIELDS.items():
        spec = ENTITIES[entity]
        for name in fields:
            spec.column(name, NOW)  # every field a rule may name has a column or a derived expression
        assert EVENT_TIME[entity] in fields and fields[EVENT_TIME[entity]] == "time"
