"""Each kind of broken policy file yields one PolicyError naming the right file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policies import PolicyError, load_policies

from .conftest import Edit, LineOf

# (file, text to replace, replacement, words the reason must contain)
# (file, text to replace, replacement, words the reason must contain)
LINE_CASES = [
    pytest.param(
        "alerts.yaml",
        "    params: {days: 45, signals: [orders, usage, contact]}",
        "    params: {days: 45, signals: [orders, usage, contact}",
        "syntax",
        id="yaml-syntax-error",
    ),
    pytest.param(
        "sla.yaml",
        "    P2: {first_response: 1h, resolution: 1d}",
        "    P2: {first_response: 1h, resolution: often}",
        "invalid duration 'often'",
        id="bad-duration",
    ),
    pytest.param(
        "alerts.yaml",
        "    params: {percent: 40, window_days: 7, baseline_days: 28}",
        "    params: {percent: forty, window_days: 7, baseline_days: 28}",
        "rules[6].params.percent",
        id="wrong-type-number",
    ),
    pytest.param(
        "alerts.yaml",
        "    cooldown: 4h",
        "    cooldown: [4h]",
        "rules[5].cooldown",
        id="wrong-type-list",
    ),
    pytest.param(
        "alerts.yaml",
        "    segment: {tiers: [silver]}",
        "    segment: {tiers: [silvr]}",
        "unknown tier 'silvr'",
        id="alert-unknown-tier",
    ),
    pytest.param(
        "alerts.yaml",
        "    kind: usage_drop",
        "    kind: usage_dorp",
        "unknown kind 'usage_dorp'",
        id="alert-unknown-kind",
    ),
    pytest.param(
        "alerts.yaml",
        "    recipients: {owner: true, channel: C0FINALRT}",
        "    recipients: {owner: true, channel: C0NOWHERE}",
        "C0NOWHERE",
        id="alert-unknown-channel",
    ),
    pytest.param(
        "alerts.yaml",
        "    cooldown: 14d",
        "    cooldwn: 14d",
        "unknown key",
        id="unknown-key",
    ),
    pytest.param(
        "approvals.yaml",
        "      when: {max_amount: 500, tiers: [platinum, gold], risk: [low]}",
        "      when: {max_amount: 500, tiers: [platinum, golden], risk: [low]}",
        "unknown tier 'golden'",
        id="approval-unknown-tier",
    ),
    pytest.param(
        "approvals.yaml",
        "        - {name: Logistics, approvers: S0LOGISTICS, channel: C0LOGISTIC, quorum: any, timeout: 4h,"
        " reminder_after: 1h, escalate_to: U0LOGLEAD}\n    - name: costly-expedite",
        "        - {name: Logistics, approvers: S0LOGISTICS, channel: C0NOPE, quorum: any, timeout: 4h,"
        " reminder_after: 1h, escalate_to: U0LOGLEAD}\n    - name: costly-expedite",
        "'C0NOPE' is not in channels.yaml",
        id="approval-unknown-channel",
    ),
    pytest.param(
        "approvals.yaml",
        "        - {name: Finance,       approvers: S0FINANCE,  channel: C0FINAPPR,  quorum: 2,",
        "        - {name: Finance,       approvers: S0FINANCE,  channel: C0FINAPPR,  quorum: 3,",
        "quorum 3 exceeds",
        id="approval-quorum-too-big",
    ),
    pytest.param(
        "approvals.yaml",
        "    - name: large-credit\n",
        "    - name: large-credit\n      when: {max_amount: 50000}\n",
        "must have no `when`",
        id="approval-no-catch-all",
    ),
    pytest.param(
        "escalation.yaml",
        '      - {escalate_to: S0SVCMGMT,  channel: C0PLATESC,  within: 30m, next_step: "Service manager',
        '      - {escalate_to: S0NOBODY,  channel: C0PLATESC,  within: 30m, next_step: "Service manager',
        "'S0NOBODY' is not a staff member or group",
        id="escalation-unknown-group",
    ),
    pytest.param(
        "escalation.yaml",
        "  bronze:\n",
        "  tin:\n",
        "unknown tier 'tin'",
        id="escalation-unknown-tier",
    ),
    pytest.param(
        "sla.yaml",
        "  silver:\n    coverage: business_hours",
        "  silver:\n    coverage: 24x7",
        "disagrees with tiers.yaml",
        id="sla-coverage-disagrees-with-tiers",
    ),
    pytest.param(
        "roles.yaml",
        "    sees: [contact_name, contact_phone]",
        "    sees: [contact_name, contact_phone, home_address]",
        "'home_address' is not a sensitive field",
        id="role-unknown-field",
    ),
    pytest.param(
        "roles.yaml",
        "  - {id: U0LOGDSP,   name: Fatima Zahra,     title: Fulfilment Dispatcher,         roles: [logistics],",
        "  - {id: U0LOGDSP,   name: Fatima Zahra,     title: Fulfilment Dispatcher,         roles: [logstics],",
        "unknown role 'logstics'",
        id="staff-unknown-role",
    ),
    pytest.param(
        "roles.yaml",
        "tz: Asia/Tokyo}",
        "tz: Asia/Tokio}",
        "unknown time zone",
        id="staff-bad-timezone",
    ),
    pytest.param(
        "tiers.yaml",
        "    min_arr: 75000",
        "    min_arr: 750000",
        "needs a lower min_arr than platinum",
        id="tier-thresholds-out-of-order",
    ),
    pytest.param(
        "channels.yaml",
        "  - id: C0PLAYBOOK",
        "  - id: C0SUPPORT",
        "duplicate channel id 'C0SUPPORT'",
        id="duplicate-id",
    ),
]

# Edits whose error belongs to a line other than the first edited one: new text -> (needle, lines below it).
POINT_AT = {
    "    - name: large-credit\n      when: {max_amount: 50000}\n": ("    - name: large-credit", 0),
    "  silver:\n    coverage: 24x7": ("  silver:\n    coverage: 24x7", 1),
    "  - id: C0SUPPORT": ("  - id: C0SUPPORT\n    name: playbook-maintainers", 0),
}


@pytest.mark.parametrize(("name", "old", "new", "expected"), LINE_CASES)
def test_broken_file_names_file_and_line(
    policy_copy: Path, edit: Edit, line_of: LineOf, name: str, old: str, new: str, expected: str
) -> None:
    edit(name, old, new)
    # the error must point at the line the edit put the bad value on (marked by the first edited line,
    # or by POINT_AT when the error belongs to an enclosing line)
    needle, below = POINT_AT.get(new, (new.splitlines()[0], 0))
    expected_line = line_of(name, needle) + below
    with pytest.raises(PolicyError) as info:
        load_policies(policy_copy)
    err = info.value
    assert err.file == str(policy_copy / name)
    assert expected in str(err)
    assert err.line == expected_line, str(err)
    assert err.column is not None
    assert "\n" not in str(err)
    assert str(err).startswith(f"{policy_copy / name}:{err.line}:{err.column}: ")


def test_missing_required_field_points_at_the_rule(policy_copy: Path, edit: Edit, line_of: LineOf) -> None:
    rule_line = line_of("alerts.yaml", "  - name: growth-account-gone-quiet")
    edit(
        "alerts.yaml",
        "    segment: {tiers: [silver]}\n    severity: medium\n",
        "    segment: {tiers: [silver]}\n",
    )
    with pytest.raises(PolicyError) as info:
        load_policies(policy_copy)
    assert info.value.line == rule_line
    assert info.value.column == 5
    assert "rules[1].severity: missing required key 'severity'" in str(info.value)


def test_missing_top_level_section(policy_copy: Path) -> None:
    text = (policy_copy / "sla.yaml").read_text()
    (policy_copy / "sla.yaml").write_text(text.replace("business_hours:\n", "business_hourz:\n", 1))
    with pytest.raises(PolicyError) as info:
        load_policies(policy_copy)
    assert info.value.file.endswith("sla.yaml")
    assert "business_hour" in str(info.value)


def test_duplicate_key_is_refused(policy_copy: Path, edit: Edit) -> None:
    line = edit(
        "sla.yaml",
        "    P4: {first_response: 3d, resolution: 20d}",
        "    P4: {first_response: 3d, resolution: 20d}\n    P4: {first_response: 1d, resolution: 2d}",
    )
    with pytest.raises(PolicyError) as info:
        load_policies(policy_copy)
    assert info.value.line == line + 1
    assert "duplicate key 'P4'" in str(info.value)


def test_missing_file(policy_copy: Path) -> None:
    (policy_copy / "roles.yaml").unlink()
    with pytest.raises(PolicyError) as info:
        load_policies(policy_copy)
    assert info.value.file.endswith("roles.yaml")
    assert info.value.line is None
    assert "not found" in str(info.value)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="directory not found"):
        load_policies(tmp_path / "nope")


@pytest.mark.parametrize(("content", "expected"), [("", "file is empty"), ("- a\n- b\n", "expected a mapping")])
def test_empty_or_non_mapping_file(policy_copy: Path, content: str, expected: str) -> None:
    (policy_copy / "channels.yaml").write_text(content)
    with pytest.raises(PolicyError, match=expected) as info:
        load_policies(policy_copy)
    assert info.value.file.endswith("channels.yaml")


def test_non_utf8_file(policy_copy: Path) -> None:
    (policy_copy / "tiers.yaml").write_bytes(b"currency: \xff\xfe\n")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policies(policy_copy)


def test_error_counts_further_problems(policy_copy: Path, edit: Edit) -> None:
    edit("sla.yaml", "    P1: {first_response: 4h, resolution: 2d}", "    P1: {first_response: x, resolution: y}")
    with pytest.raises(PolicyError) as info:
        load_policies(policy_copy)
    assert info.value.more == 1
    assert str(info.value).endswith("(and 1 more error)")
