"""The API's scalars: Strawberry's own, described for the app developers who read them."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

from strawberry.schema.types.base_scalars import (
    DateDefinition,
    DateTimeDefinition,
    DecimalDefinition,
)
from strawberry.types.scalar import ScalarDefinition

DESCRIBED_SCALARS: dict[object, ScalarDefinition] = {
    Decimal: dataclasses.replace(
        DecimalDefinition,
        description=(
            "An exact decimal number as a string, never a float. A money amount has exactly "
            'as many decimals as its currency has minor digits: "125.40" in USD, "1250" '
            'in JPY; an input amount may have fewer ("125.4"), never more.'
        ),
    ),
    datetime.date: dataclasses.replace(
        DateDefinition,
        description='A calendar date, ISO 8601: "2025-01-31".',
    ),
    datetime.datetime: dataclasses.replace(
        DateTimeDefinition,
        description='An instant, ISO 8601 with its offset: "2025-01-31T14:05:00+00:00".',
    ),
}
