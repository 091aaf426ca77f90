from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.policies import POLICY_FILES, Policies, load_policies

from .conftest import Edit


def test_shipped_policies_load(policies: Policies) -> None:
    assert policies.tier_names == ["platinum", "gold", "silver", "bronze"]
    assert len(policies.version) == 64
    assert {rule.kind for rule in policies.alerts.rules} >= {
        "inactivity",
        "complaint",
        "sla_breach",
        "sla_imminent",
        "usage_drop",
        "renewal_at_risk",
        "payment_overdue",
    }
    assert set(policies.approvals.request_types) == {
        "discount",
        "custom_terms",
        "expedited_fulfilment",
        "sla_exception",
        "special_handling",
        "data_access",
        "tier_override",
    }


# Policy files validated by their own feature rather than by bot.policies.
FEATURE_OWNED = {"sources.yaml"}  # bot.sync.config


def test_every_policy_file_is_read(policy_copy: Path) -> None:
    """No YAML under policies/ is silently ignored: the loader or a named feature validates each."""
    assert sorted(p.name for p in policy_copy.glob("*.yaml")) == sorted({*POLICY_FILES, *FEATURE_OWNED})


def test_version_is_stable_and_tracks_bytes(policy_copy: Path, policies: Policies, edit: Edit) -> None:
    assert load_policies(policy_copy).version == policies.version
    edit("channels.yaml", "# Slack channels", "# The Slack channels")
    assert load_policies(policy_copy).version != policies.version


def test_policies_are_immutable(policies: Policies) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        policies.version = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        policies.alerts.defaults.per_recipient_daily_cap = 1  # type: ignore[misc]


def test_accepts_relative_string_like_path(policies: Policies) -> None:
    assert load_policies(policies.directory).version == policies.version
