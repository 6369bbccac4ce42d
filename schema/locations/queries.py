"""Queries about locations."""

from __future__ import annotations

import strawberry

from schema.common import fields
from schema.common.errors import raise_not_implemented
from schema.locations.types import Location


@strawberry.type
class LocationQuery:
    @fields.field(description="Every location, by name.")
    async def locations(self) -> list[Location]:
        raise_not_implemented("Listing locations")
