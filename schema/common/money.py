"""The GraphQL ``Money`` type: minor units in the database, a ``Decimal`` string on the wire."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from billing import money as billing_money


@strawberry.type(description="An amount of money in one currency.")
class Money:
    amount: Decimal = strawberry.field(
        description='The amount in major units, as a decimal string such as "125.40".'
    )
    currency: str = strawberry.field(description='The ISO 4217 currency code, such as "USD".')

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """Build from a ``*_minor`` column and the currency it is in."""
        return cls(amount=billing_money.to_decimal(minor, currency), currency=currency)

    @classmethod
    def from_money(cls, money: billing_money.Money) -> Money:
        return cls(amount=money.amount, currency=money.currency)
