"""Amount and percentage parsing: the formats people type, and clear errors for the rest."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.approvals.amounts import AmountError, format_money, parse_measure, parse_money, parse_percent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$12,500", "12500.00"),
        ("12500", "12500.00"),
        ("12.5k", "12500.00"),
        ("USD 1.2M", "1200000.00"),
        ("$ 99.999", "100.00"),
        ("1,234,567.89", "1234567.89"),
        ("250K usd", "250000.00"),
        ("5 million", "5000000.00"),  # was: not an amount (a bound read "5 million" as $5)
        ("$2.5 billion", "2500000000.00"),
        ("30 thousand", "30000.00"),
    ],
)
def test_money_formats(text: str, expected: str) -> None:
    assert parse_money(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["12,50", "$", "twelve", "1,2345", "-5", "12 500", "5%", "1e5", "$1b1"])
def test_money_rejects_with_an_example(text: str) -> None:
    with pytest.raises(AmountError, match=r"\$12,500"):
        parse_money(text)


def test_percent() -> None:
    assert parse_percent("15%") == 15.0 and parse_percent(" 7.5 % ") == 7.5
    with pytest.raises(AmountError, match="over 100"):
        parse_percent("150%")
    with pytest.raises(AmountError, match="15%"):
        parse_percent("15")


def test_measure_takes_either_or_both() -> None:
    assert parse_measure("15% / $12,500") == (Decimal("12500.00"), 15.0)
    assert parse_measure("$12,500 and 15%") == (Decimal("12500.00"), 15.0)
    assert parse_measure("15%") == (None, 15.0)
    with pytest.raises(AmountError, match="one percentage"):
        parse_measure("10% / 15%")


@given(st.decimals(min_value=0, max_value=Decimal("999999999.99"), places=2))
def test_formatted_money_parses_back(value: Decimal) -> None:
    assert parse_money(format_money(value)) == value.quantize(Decimal("0.01"))


@given(st.text(max_size=30))
def test_money_parser_never_crashes_unexpectedly(text: str) -> None:
    try:
        value = parse_money(text)
    except AmountError:
        return
    assert value >= 0
