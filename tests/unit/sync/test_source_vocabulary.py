"""sources.yaml value maps and derived fields are checked against the other policy files: each mistake is one
error naming sources.yaml (or tiers.yaml) and its line, never a map that silently does nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.policies import PolicyError
from bot.sync.config import load_sources, load_vocabulary

REPO = Path(__file__).resolve().parents[3]
ACCOUNTS = """sources:
  - name: accounts
    kind: csv
    entity: customer
    path: accounts.csv
    mapping: {external_id: Account ID, name: Company, tier: Plan, region: Region, owner_slack_id: Owner}
    values:
      tier:
        Enterprise: platinum
        Pro: gold
        Basic: silver
      region: {EMEA: emea, NA: na}
"""


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(REPO / "playbooks" / "policies", target)
    (target / "sources.yaml").write_text(ACCOUNTS)
    return target


def _error(policies: Path, old: str, new: str, name: str = "sources.yaml") -> PolicyError:
    path = policies / name
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    with pytest.raises(PolicyError) as info:
        load_sources(policies) if name == "sources.yaml" else load_vocabulary(policies)
    return info.value


def _line(policies: Path, needle: str, name: str = "sources.yaml") -> int:
    text = (policies / name).read_text()
    return text[: text.index(needle)].count("\n") + 1


def test_shipped_and_example_maps_load(policies: Path) -> None:
    spec = load_sources(policies).source("accounts")
    assert spec.values["tier"] == {"Enterprise": "platinum", "Pro": "gold", "Basic": "silver"}
    assert load_sources(REPO / "playbooks" / "policies").sources  # the shipped file too


def test_a_map_onto_a_tier_that_does_not_exist(policies: Path) -> None:
    err = _error(policies, "Basic: silver", "Basic: diamond")
    assert err.file.endswith("sources.yaml")
    assert err.line == _line(policies, "Basic: diamond")
    assert "tier 'diamond' is not in tiers.yaml" in str(err)


def test_a_map_onto_an_unknown_region_or_currency_or_owner(policies: Path) -> None:
    err = _error(policies, "NA: na}", "NA: north-america}")
    assert "region 'north-america' is not in tiers.yaml" in str(err)
    assert err.line == _line(policies, "region: {EMEA")


def test_overlapping_keys_in_one_map(policies: Path) -> None:
    err = _error(policies, "        Basic: silver\n", "        Basic: silver\n        ' pro ': silver\n")
    assert "' pro ' and 'Pro' are the same value" in str(err)
    assert err.line == _line(policies, "' pro '")


def test_two_sources_giving_one_value_two_meanings(policies: Path) -> None:
    path = policies / "sources.yaml"
    path.write_text(
        path.read_text()
        + """  - name: billing_accounts
    kind: jsonl
    entity: customer
    path: billing.jsonl
    mapping: {external_id: id, name: name, tier: plan}
    values: {tier: {PRO: silver}}
"""
    )
    with pytest.raises(PolicyError) as info:
        load_sources(policies)
    assert "'PRO' maps to 'silver' here but to 'gold' in source 'accounts'" in str(info.value)
    assert info.value.line == _line(policies, "values: {tier: {PRO")


def test_a_field_both_mapped_and_derived(policies: Path) -> None:
    err = _error(policies, "    values:\n", "    derive: {name: '{Legal Name}'}\n    values:\n")
    assert "'name' is both mapped (mapping:) and derived (derive:)" in str(err)


def test_a_map_for_a_field_no_column_feeds(policies: Path) -> None:
    err = _error(policies, "      region: {EMEA: emea, NA: na}\n", "      segment: {SMB: smb}\n")
    assert "no column is mapped to 'segment'" in str(err)
    assert err.line == _line(policies, "segment: {SMB")


def test_a_map_for_a_field_the_entity_lacks(policies: Path) -> None:
    err = _error(policies, "      region: {EMEA: emea, NA: na}\n", "      priority: {High: P2}\n")
    assert "'priority' is not a customer field" in str(err)


def test_unquoted_yes_no_keys_are_refused(policies: Path) -> None:
    err = _error(policies, "      region: {EMEA: emea, NA: na}\n", "      consent_outreach: {Yes: true}\n")
    assert "quote the key 'true'" in str(err)


def test_a_ticket_priority_map_onto_a_priority_that_does_not_exist(policies: Path) -> None:
    path = policies / "sources.yaml"
    path.write_text(
        """sources:
  - name: tickets
    kind: csv
    entity: ticket
    path: t.csv
    mapping: {external_id: id, customer_external_id: org, subject: title, opened_at: created, priority: sev}
    values: {priority: {Sev1: P1, Sev5: P9}}
"""
    )
    with pytest.raises(PolicyError) as info:
        load_sources(policies)
    assert "'Sev5' maps to 'P9', but unknown priority 'P9'" in str(info.value)


def test_a_threshold_table_with_a_gap_in_its_ranks(policies: Path) -> None:
    err = _error(policies, "    rank: 3\n", "    rank: 5\n", name="tiers.yaml")
    assert err.file.endswith("tiers.yaml")
    assert "ranks have a gap: bronze is rank 4 but no tier is rank 3" in str(err)
    assert err.line == _line(policies, "    rank: 4\n", name="tiers.yaml")  # the first tier after the gap


def test_a_tier_that_no_customer_can_reach(policies: Path) -> None:
    text = (policies / "tiers.yaml").read_text()
    text = text.replace(
        "    min_lifetime_value: 50000\n    min_arr: 15000\n", "    min_lifetime_value: 250000\n    min_arr: 75000\n"
    )
    (policies / "tiers.yaml").write_text(text)
    with pytest.raises(PolicyError, match="silver has the same thresholds as gold"):
        load_vocabulary(policies)


def test_vocabulary_places_by_value_and_names_unknown_words(policies: Path) -> None:
    vocab = load_vocabulary(policies)
    assert vocab is not None
    assert vocab.place(1_200_000, None) == "platinum"
    assert vocab.place(10_000, 80_000) == "gold"
    assert vocab.place(100, 100) == "bronze"
    assert vocab.place(None, None) is None  # no value on record: placed by rapport segment, not guessed
    assert vocab.problem("tier", "gold") is None
    assert vocab.problem("tier", "Enterprise") == (
        "tier 'Enterprise' is not in tiers.yaml (known: platinum, gold, silver, bronze)"
    )
    assert vocab.problem("currency", "EUR") is None and vocab.problem("currency", "CHF") is not None
    assert vocab.problem("owner_slack_id", "U0AMPLAT") is None
    assert vocab.problem("owner_slack_id", "U0NOBODY") == "owner 'U0NOBODY' is not in roles.yaml"
