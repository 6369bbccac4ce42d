"""Queries about locations."""

from __future__ import annotations

import strawberry

from auth.scopes import Scope
from models.locations import Location as LocationRow
from schema.common import fields
from schema.common.permissions import requires
from schema.locations.types import Location


@strawberry.type
class LocationQuery:
    @fields.field(
        description="Every location, by name.",
        permission_classes=[requires(Scope.LOCATIONS_READ)],
    )
    async def locations(self) -> list[Location]:
        return [Location.from_model(row) for row in await LocationRow.all().order_by("name")]
