"""Parsing what people type for an amount or a percentage: ``$12,500``, ``12.5k``, ``USD 1.2M``, ``15%``."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)

_MONEY = re.compile(
    r"""^\s*(?:usd\s*|\$\s*)?          # optional currency prefix
        (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)
        \s*(?P<suffix>thousand|million|billion|mn|bn|[kmb])?\s*(?:usd)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_PERCENT = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?|\.\d+)\s*%\s*$")
_SCALE = {"k": Decimal(1_000), "m": Decimal(1_000_000), "b": Decimal(1_000_000_000)} | {
    "thousand": Decimal(1_000),
    "million": Decimal(1_000_000),
    "mn": Decimal(1_000_000),
    "billion": Decimal(1_000_000_000),
    "bn": Decimal(1_000_000_000),
}


class AmountError(ValueError):
    """The text is not an amount/percentage we understand; the message says what would be."""


def parse_money(text: str) -> Decimal:
    """``"$12,500"`` -> ``Decimal("12500.00")``. Commas must group thousands; k/m/b suffixes (and "thousand",
    "million", "billion") scale."""
    m = _MONEY.match(text)
    if not m:
        raise AmountError(f"{text.strip()!r} is not an amount; write it like $12,500 or 12.5k")
    try:
        value = Decimal(m["num"].replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
        raise AmountError(f"{text.strip()!r} is not an amount") from None
    if m["suffix"]:
        value *= _SCALE[m["suffix"].lower()]
    if value > MAX_AMOUNT:  # checked before quantize, which fails past the context's precision
        raise AmountError(f"{text.strip()!r} is too large")
    return value.quantize(Decimal("0.01"))


def parse_percent(text: str) -> float:
    """``"15%"`` -> ``15.0``; must be between 0 and 100."""
    m = _PERCENT.match(text)
    if not m:
        raise AmountError(f"{text.strip()!r} is not a percentage; write it like 15%")
    value = float(m["num"])
    if value > 100:
        raise AmountError(f"{text.strip()!r} is over 100%")
    return value


def is_percent(text: str) -> bool:
    return text.strip().endswith("%")


def parse_measure(text: str) -> tuple[Decimal | None, float | None]:
    """One field that holds an amount, a percentage, or both (``"15% / $12,500"``)."""
    amount: Decimal | None = None
    percent: float | None = None
    for part in re.split(r"\s*(?:/|;|\band\b|\+)\s*", text.strip()):
        if not part:
            continue
        if is_percent(part):
            if percent is not None:
                raise AmountError("give one percentage")
            percent = parse_percent(part)
        else:
            if amount is not None:
                raise AmountError("give one amount")
            amount = parse_money(part)
    return amount, percent


def format_money(value: Decimal | float | None) -> str:
    if value is None:
        return "-"
    d = Decimal(str(value))
    return f"${d:,.0f}" if d == d.to_integral_value() else f"${d:,.2f}"


def format_percent(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}%"
