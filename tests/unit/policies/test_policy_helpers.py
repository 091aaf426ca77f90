from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.policies import Policies, PolicyError, UnknownPolicyKey, format_duration, parse_duration
from bot.policies.yamldoc import YamlDoc

# ---- SLA -------------------------------------------------------------------------------


def test_sla_target_values(policies: Policies) -> None:
    target = policies.sla_target("platinum", "P1")
    assert target.first_response == timedelta(minutes=15)
    assert target.resolution == timedelta(hours=4)
    assert target.coverage == "24x7"
    assert policies.sla_target("Silver", 2).coverage == "business_hours"
    assert policies.sla_target("bronze", "p4").resolution == timedelta(days=20)


@pytest.mark.parametrize(("tier", "priority"), [("diamond", "P1"), ("gold", "P5"), ("gold", "urgent")])
def test_sla_target_unknown(policies: Policies, tier: str, priority: str) -> None:
    with pytest.raises(UnknownPolicyKey):
        policies.sla_target(tier, priority)


def test_higher_tiers_never_wait_longer(policies: Policies) -> None:
    names = policies.tier_names
    for priority in ("P1", "P2", "P3", "P4"):
        for higher, lower in zip(names, names[1:], strict=False):
            a, b = policies.sla_target(higher, priority), policies.sla_target(lower, priority)
            assert a.first_response <= b.first_response, (higher, lower, priority)
            assert a.resolution <= b.resolution, (higher, lower, priority)


# ---- escalation --------------------------------------------------------------------------


def test_escalation_for(policies: Policies) -> None:
    step = policies.escalation_for("platinum", "sev1")
    assert step.escalate_to == "S0CSLEADS"
    assert step.channel == "C0PLATESC"
    assert step.within == timedelta(minutes=15)
    assert policies.escalation_for("platinum", 1) == step
    assert policies.escalation_for("platinum", "P1") == step
    assert len(policies.escalation_path("platinum", "S1")) == 2


def test_every_tier_and_severity_has_an_escalation(policies: Policies) -> None:
    for tier in policies.tier_names:
        for severity in range(1, 5):
            step = policies.escalation_for(tier, severity)
            assert policies.channel(step.channel) is not None
            if step.escalate_to not in ("owner", "on_duty"):
                assert policies.members(step.escalate_to)


# ---- tiers -------------------------------------------------------------------------------


def test_tier_for_value_thresholds(policies: Policies) -> None:
    assert policies.tier_for_value(1_000_000, 0) == "platinum"
    assert policies.tier_for_value(999_999, 0) == "gold"
    assert policies.tier_for_value(0, 250_000) == "platinum"
    assert policies.tier_for_value(60_000, None) == "silver"
    assert policies.tier_for_value(None, None) == "bronze"


money = st.floats(min_value=0, max_value=1e9, allow_nan=False)


@given(ltv=money, arr=money, extra=money)
def test_tier_for_value_is_monotonic(policies: Policies, ltv: float, arr: float, extra: float) -> None:
    rank = {name: i for i, name in enumerate(policies.tier_names)}
    base = policies.tier_for_value(ltv, arr)
    assert rank[policies.tier_for_value(ltv + extra, arr)] <= rank[base]
    assert rank[policies.tier_for_value(ltv, arr + extra)] <= rank[base]


# ---- people and access -------------------------------------------------------------------


def test_who_reads_the_access_log(policies: Policies) -> None:
    assert policies.access_log_roles == ["cs_lead", "legal", "privacy_officer"]
    assert policies.reads_access_log("U0PRIVACY") and policies.reads_access_log("U0CSLEAD")
    assert not policies.reads_access_log("U0SUPAGT1")  # a support agent
    assert not policies.reads_access_log("U0NOBODY")  # not on the roster


def test_visible_fields(policies: Policies) -> None:
    public = set(policies.roles.fields.public)
    assert policies.visible_fields([]) == public
    assert policies.visible_fields(["no_such_role"]) == public
    agent = policies.visible_fields(["support_agent"])
    assert "contact_email" in agent and "lifetime_value" not in agent
    both = policies.visible_fields(["support_agent", "deal_desk"])
    assert {"contact_email", "lifetime_value"} <= both
    assert "notes" not in policies.visible_fields(["knowledge_manager"])


def test_staff_and_groups(policies: Policies) -> None:
    dana = policies.staff("U0CSLEAD")
    assert dana is not None and dana.name == "Dana Whitfield" and dana.tz == "America/New_York"
    assert policies.staff("U0NOBODY") is None
    assert policies.is_member("U0DEALDSK", "S0DEALDESK")
    assert not policies.is_member("U0SUPAGT1", "S0DEALDESK")
    assert policies.is_member("U0CFO", "U0CFO")
    assert "S0FINANCE" in policies.groups_of("U0CFO")
    assert policies.on_duty("platinum") == "U0AMPLAT"


def test_every_approver_group_allows_separation_of_duties(policies: Policies) -> None:
    """A requester who is in the approver group still leaves someone else to approve."""
    for rules in policies.approvals.request_types.values():
        for rule in rules:
            for step in rule.steps:
                members = policies.members(step.approvers)
                if len(members) > 1:
                    assert step.required_approvals <= len(members)


# ---- approvals ---------------------------------------------------------------------------


def test_approval_route_examples(policies: Policies) -> None:
    assert policies.approval_route("discount", amount=8_000, percent=8).auto_approved
    assert policies.approval_route("discount", amount=8_000, percent=8, risk="high").rule == "deal-desk-discount"
    manager = policies.approval_route("discount", amount=40_000, percent=15)
    assert [s.approvers for s in manager.steps] == ["S0SALESMGR"]
    big = policies.approval_route("discount", amount=300_000, percent=20)
    assert [s.approvers for s in big.steps] == ["S0SALESMGR", "S0DEALDESK", "S0FINANCE"]
    assert big.steps[-1].required_approvals == 2
    assert policies.approval_route("expedited_fulfilment", amount=400, tier="platinum").auto_approved
    assert not policies.approval_route("expedited_fulfilment", amount=400, tier="silver").auto_approved
    emea = policies.approval_route("custom_terms", amount=500_000, region="EMEA", risk="medium")
    assert emea.rule == "emea-data-terms"
    # EMEA terms always get privacy review (custom-terms-policy.md: "any value or risk"), small ones included
    small = policies.approval_route("custom_terms", amount=50_000, region="EMEA", risk="low")
    assert small.rule == "emea-data-terms" and [s.approvers for s in small.steps][-1] == "S0PRIVACY"
    assert policies.approval_route("custom_terms", amount=50_000, region="NA", risk="low").rule == "low-risk-terms"
    # no amount given: thresholds on amount do not match, the request falls to a stricter rule
    assert not policies.approval_route("discount", percent=5).auto_approved


def test_approval_route_unknown(policies: Policies) -> None:
    with pytest.raises(UnknownPolicyKey):
        policies.approval_route("free_lunch")
    with pytest.raises(UnknownPolicyKey):
        policies.approval_route("discount", risk="extreme")


request_types = st.sampled_from(
    ["discount", "custom_terms", "expedited_fulfilment", "sla_exception", "special_handling", "data_access"]
)
maybe_money = st.none() | st.floats(min_value=0, max_value=1e8, allow_nan=False)
percents = st.none() | st.floats(min_value=0, max_value=100, allow_nan=False)
tiers = st.none() | st.sampled_from(["platinum", "gold", "silver", "bronze"])
regions = st.none() | st.sampled_from(["na", "emea", "apac", "latam"])
risks = st.sampled_from(["low", "medium", "high"])


@given(rtype=request_types, amount=maybe_money, percent=percents, tier=tiers, region=regions, risk=risks)
def test_every_request_gets_a_route(
    policies: Policies,
    rtype: str,
    amount: float | None,
    percent: float | None,
    tier: str | None,
    region: str | None,
    risk: str,
) -> None:
    route = policies.approval_route(rtype, amount, percent, tier, region, risk)
    assert route.auto_approved != bool(route.steps)
    for step in route.steps:
        assert policies.channel(step.channel) is not None
        assert policies.members(step.approvers)


@given(
    amount=st.floats(min_value=0, max_value=1e7),
    more=st.floats(min_value=0, max_value=1e7),
    percent=st.floats(min_value=0, max_value=60),
    tier=tiers,
    risk=risks,
)
def test_bigger_discount_never_needs_fewer_approvals(
    policies: Policies, amount: float, more: float, percent: float, tier: str | None, risk: str
) -> None:
    small = policies.approval_route("discount", amount, percent, tier, "na", risk)
    large = policies.approval_route("discount", amount + more, min(percent * 1.5, 100), tier, "na", risk)
    assert len(large.steps) >= len(small.steps)


# ---- durations and YAML positions ---------------------------------------------------------


@given(n=st.integers(min_value=1, max_value=10_000), unit=st.sampled_from(["m", "h", "d"]))
def test_duration_round_trip(n: int, unit: str) -> None:
    value = parse_duration(f"{n}{unit}")
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize("bad", ["", "4", "4x", "-1h", "0m", "1.5h", 4, None, True])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


keys = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)
leaves = st.integers(-1000, 1000) | st.from_regex(r"[a-z]{1,8}", fullmatch=True)
trees = st.recursive(
    leaves,
    lambda inner: st.dictionaries(keys, inner, min_size=1, max_size=4) | st.lists(inner, min_size=1, max_size=4),
    max_leaves=20,
)


def _paths(data: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], object]]:
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _paths(v, (*prefix, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _paths(v, (*prefix, i))]
    return [(prefix, data)]


@given(tree=st.dictionaries(keys, trees, min_size=1, max_size=4), flow=st.booleans())
def test_every_leaf_maps_to_the_line_holding_it(tree: dict[str, object], flow: bool) -> None:
    text = yaml.safe_dump(tree, default_flow_style=flow, sort_keys=False, width=10_000)
    doc = YamlDoc.parse(text.encode(), "t.yaml")
    lines = text.splitlines()
    for loc, value in _paths(tree):
        line, column = doc.position(loc)
        assert line is not None and column is not None
        assert str(value) in lines[line - 1][column - 1 :], (loc, value, text)


def test_yaml_syntax_error_line() -> None:
    with pytest.raises(PolicyError) as info:
        YamlDoc.parse(b"a: 1\nb: [1, 2\nc: 3\n", "x.yaml")
    assert info.value.file == "x.yaml"
    assert info.value.line == 3
    assert "syntax" in str(info.value)


def test_the_next_segmentation_review_is_this_years_until_it_passes(policies: Policies) -> None:
    from datetime import date

    review = policies.tiers.segmentation  # 15 January
    assert review.next_review(date(2027, 1, 3)) == date(2027, 1, 15)
    assert review.next_review(date(2027, 1, 15)) == date(2027, 1, 15)
    assert review.next_review(date(2026, 11, 24)) == date(2027, 1, 15)
    assert review.next_review(date(2027, 1, 16)) == date(2028, 1, 15)
