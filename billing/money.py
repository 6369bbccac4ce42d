"""Money: integer minor units inside, ``Decimal`` at the edge, never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing.errors import DomainError, ErrorCode

# Ten billion dollars in cents: far above any real bill, far below a 64-bit overflow.
MAX_AMOUNT_MINOR = 10**12
# More digits of minor units than this is beyond any amount we accept anywhere.
_MAX_MINOR_DIGITS = 18

# ISO 4217 exponent of each currency we bill in. A currency not listed is refused.
CURRENCY_EXPONENTS: dict[str, int] = {"USD": 2, "CAD": 2, "EUR": 2, "GBP": 2, "JPY": 0}


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    @property
    def amount(self) -> Decimal:
        return to_decimal(self.minor, self.currency)

    def __add__(self, other: Money) -> Money:
        _require_same_currency(self, other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        _require_same_currency(self, other)
        return Money(self.minor - other.minor, self.currency)


def normalize_currency(code: str, field: str | None = "currency") -> str:
    """The upper-case ISO code, or ``UNKNOWN_CURRENCY``."""
    normalized = code.strip().upper()
    if normalized not in CURRENCY_EXPONENTS:
        raise DomainError(ErrorCode.UNKNOWN_CURRENCY, f"Unknown currency {code!r}.", field)
    return normalized


def require_positive_amount(amount_minor: int, field: str) -> None:
    """``INVALID_AMOUNT`` on ``field`` unless the amount is whole, above zero and at most
    ``MAX_AMOUNT_MINOR``: what every payment and refund must be."""
    if (
        not isinstance(amount_minor, int)
        or isinstance(amount_minor, bool)
        or not 0 < amount_minor <= MAX_AMOUNT_MINOR
    ):
        raise DomainError(ErrorCode.INVALID_AMOUNT, "The amount must be more than zero.", field)


def to_decimal(minor: int, currency: str) -> Decimal:
    exponent = CURRENCY_EXPONENTS[currency]
    return Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def to_minor(amount: Decimal, currency: str, field: str | None = "amount") -> int:
    """Convert an amount given at the API edge. More decimals than the currency has (however
    many), a value too large for any bill, or one that is not a finite number, is an
    ``INVALID_AMOUNT`` error, never rounded.

    Computed from the decimal's digits and exponent with integers alone: ``Decimal``
    arithmetic rounds to the context's 28 digits (``1.000…0001`` would become ``1``) and
    overflows on an exponent such as ``1e1000000``."""
    exponent = CURRENCY_EXPONENTS[currency]
    if not amount.is_finite():
        raise DomainError(ErrorCode.INVALID_AMOUNT, "Not a valid amount.", field)
    sign, digits, power = amount.as_tuple()
    assert isinstance(power, int)  # finite
    significant = list(digits)
    while len(significant) > 1 and significant[-1] == 0:
        significant.pop()
        power += 1
    if not any(significant):
        return 0
    if power + exponent < 0:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT,
            f"{currency} amounts have at most {exponent} decimal places.",
            field,
        )
    # len(digits) + power is the number of digits before the decimal point.
    if len(significant) + power + exponent > _MAX_MINOR_DIGITS:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "The amount is too large.", field)
    scale: int = 10 ** (power + exponent)
    minor = int("".join(map(str, significant))) * scale
    return -minor if sign else minor


def _require_same_currency(left: Money, right: Money) -> None:
    if left.currency != right.currency:
        raise DomainError(ErrorCode.CURRENCY_MISMATCH, "Amounts are in different currencies.")
