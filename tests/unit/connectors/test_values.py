"""Value maps and derived fields (connectors.values): what an export's vocabulary becomes before validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.values import Derived, Shaper, fold, overlaps, template_columns


def test_maps_match_whatever_the_case_and_spacing() -> None:
    shaper = Shaper.build({"tier": {"Enterprise": "platinum", "Pro": "gold"}}, None)
    assert shaper is not None
    assert shaper.apply({"tier": "  ENTERPRISE "})["tier"] == "platinum"
    assert shaper.apply({"tier": "pro"})["tier"] == "gold"


def test_an_unmapped_value_passes_through_unchanged() -> None:
    """Never a silent default: the sync reports the value as one no policy file knows."""
    shaper = Shaper.build({"tier": {"Pro": "gold"}}, None)
    assert shaper is not None
    assert shaper.apply({"tier": "Startup", "name": "Acme"}) == {"tier": "Startup", "name": "Acme"}
    assert shaper.apply({"name": "Acme"}) == {"name": "Acme"}


def test_numbers_match_their_text() -> None:
    shaper = Shaper.build({"priority": {"1": "P1", "2": "P2"}}, None)
    assert shaper is not None
    assert shaper.apply({"priority": 1})["priority"] == "P1"


def test_a_template_joins_columns_and_a_list_takes_the_first_value() -> None:
    shaper = Shaper.build(
        {"tier": {"Enterprise Plus": "platinum"}},
        {"name": "{First Name} {Last Name}", "domain": ["Website", "Email Domain"], "tier": "{Plan} {Level}"},
    )
    assert shaper is not None
    raw = {
        "First Name": "Ada",
        "Last Name": " Lovelace ",
        "Website": "",
        "Email Domain": "ada.org",
        "Plan": "Enterprise",
        "Level": "plus",
    }
    out = shaper.apply({}, raw)
    assert out == {"name": "Ada Lovelace", "domain": "ada.org", "tier": "platinum"}


def test_a_template_of_blank_columns_is_no_value() -> None:
    d = Derived.parse("name", "{A} {B}")
    assert d.value({"A": " ", "B": None}) is None
    assert d.value({"A": "x"}) == "x"


def test_dotted_columns_reach_into_json_objects_and_braces_escape() -> None:
    d = Derived.parse("subject", "{{#{ticket.id}}} {ticket.title}")
    assert d.value({"ticket": {"id": 7, "title": "Down"}}) == "{#7} Down"
    assert template_columns("{{literal}} {A}") == ["A"]


def test_bad_derivations_are_refused() -> None:
    with pytest.raises(ValueError, match="names no column"):
        Derived.parse("name", "Acme")
    with pytest.raises(ValueError, match="first non-empty"):
        Derived.parse("name", [])


def test_overlapping_keys_are_found() -> None:
    assert overlaps(["Pro", "Basic", " pro ", "BASIC"]) == [("Pro", " pro "), ("Basic", "BASIC")]
    assert overlaps(["Pro", "Plus"]) == []


@given(st.text(max_size=20))
def test_fold_ignores_case_and_spacing(text: str) -> None:
    assert fold(f"  {text.upper()} ") == fold(text.lower()) or text.upper().lower() != text.lower()
