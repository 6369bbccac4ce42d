"""Amounts at the API edge: exact, never rounded; too many decimals or too large is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.errors import DomainError, ErrorCode
from billing.money import to_decimal, to_minor


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1.00", "USD", 100),
        ("1.1", "USD", 110),
        ("1.10000000000000000000000000000000000", "USD", 110),
        ("1E+2", "USD", 10000),
        ("-2.30", "USD", -230),
        ("0E-40", "USD", 0),
        ("500", "JPY", 500),
    ],
)
def test_an_amount_converts_exactly(text: str, currency: str, minor: int) -> None:
    assert to_minor(Decimal(text), currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("1.000000000000000000000000000000000001", "USD"),
        ("0.001", "USD"),
        ("1.5", "JPY"),
        ("1e1000000", "USD"),
        ("-1e1000000", "USD"),
        ("1e-1000000", "USD"),
        ("1" * 40, "USD"),
        ("NaN", "USD"),
        ("Infinity", "USD"),
    ],
)
def test_what_the_currency_cannot_hold_exactly_is_an_invalid_amount(
    text: str, currency: str
) -> None:
    with pytest.raises(DomainError) as refused:
        to_minor(Decimal(text), currency, "amount")

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_AMOUNT, "amount")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_minor_units_survive_the_round_trip(minor: int) -> None:
    assert to_minor(to_decimal(minor, "USD"), "USD") == minor
