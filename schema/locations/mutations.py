"""Mutations on locations, with their inputs and payloads."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import Info

from auth.scopes import Scope
from billing.locations import use_cases
from billing.locations.use_cases import CREATE_LOCATION
from schema.common import fields
from schema.common.errors import Payload
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.locations.types import Location


@strawberry.input(description="A new location.")
class CreateLocationInput:
    name: str = strawberry.field(description="The name, unique among locations.")
    timezone: str = strawberry.field(description='An IANA time zone, such as "America/Chicago".')
    address: str = strawberry.field(default="", description="The postal address, free text.")


@strawberry.type(description="The result of createLocation.")
class CreateLocationPayload(Payload):
    location: Location | None = strawberry.field(
        default=None, description="The new location; null when errors is not empty."
    )


@strawberry.type
class LocationMutation:
    @fields.mutation(
        description="Add a location. Admins only.",
        permission_classes=[requires(Scope.LOCATIONS_WRITE)],
        audit=CREATE_LOCATION,
    )
    async def create_location(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[CreateLocationInput, strawberry.argument(description="The new location.")],
    ) -> CreateLocationPayload:
        row = await use_cases.create_location(
            info.context.audit, input.name, input.timezone, input.address
        )
        return CreateLocationPayload(location=Location.from_model(row))
