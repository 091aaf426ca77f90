"""redact(): every role x every catalog field, aliases, nesting, unknown roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.governance.redaction import FIELD_ALIASES, catalog_field, hidden_fields, redact
from bot.policies import Policies, load_policies

REPO = Path(__file__).resolve().parents[3]
POLICIES = load_policies(REPO / "playbooks" / "policies")
ROLES = sorted(POLICIES.roles.roles)
FIELDS = sorted(set(POLICIES.roles.fields.public) | set(POLICIES.roles.fields.sensitive))


def _record() -> dict[str, object]:
    return {f: f"value-of-{f}" for f in FIELDS} | {"id": 7}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("field", FIELDS)
def test_every_role_and_field(role: str, field: str, policies: Policies = POLICIES) -> None:
    spec = policies.roles.roles[role]
    expected_visible = field in policies.roles.fields.public or field in spec.sees
    out = redact(_record(), [role], policies)
    assert (field in out) is expected_visible
    if expected_visible:
        assert out[field] == f"value-of-{field}"
    assert out["id"] == 7  # unclassified keys pass through


def test_no_roles_sees_only_public_and_unknown_role_grants_nothing() -> None:
    for roles in ([], ["no_such_role"]):
        out = redact(_record(), roles, POLICIES)
        assert set(out) - {"id"} == set(POLICIES.roles.fields.public)


def test_union_of_roles() -> None:
    out = redact(_record(), ["logistics", "analyst"], POLICIES)
    assert "contact_phone" in out and "arr" in out and "contact_email" not in out


def test_aliases_and_nested_records_are_redacted() -> None:
    record = {
        "name": "Acme",
        "contacts": [{"name": "Ann", "email": "ann@acme.com", "phone": "+1 555"}],
        "tickets": [{"subject": "Down", "sentiment": -0.8}],
        "ltv": 10,
    }
    out = redact(record, ["knowledge_manager"], POLICIES)
    assert out == {"name": "Acme", "contacts": [{"name": "Ann"}], "tickets": [{"subject": "Down"}]}
    assert record["ltv"] == 10 and "email" in record["contacts"][0]  # type: ignore[index]
    agent = redact(record, ["support_agent"], POLICIES)
    assert agent["contacts"] == [{"name": "Ann", "email": "ann@acme.com", "phone": "+1 555"}]
    assert agent["tickets"] == [{"subject": "Down", "sentiment": -0.8}] and "ltv" not in agent


def test_aliases_point_at_catalog_fields() -> None:
    for target in FIELD_ALIASES.values():
        assert target in FIELDS
    assert catalog_field("Email") == "contact_email"


def test_hidden_fields_lists_removed_keys() -> None:
    assert hidden_fields({"name": "x", "arr": 1, "notes": "n"}, ["legal"], POLICIES) == []
    assert hidden_fields({"name": "x", "arr": 1, "notes": "n"}, ["logistics"], POLICIES) == ["arr", "notes"]
