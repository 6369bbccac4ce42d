"""Mutations on locations, with their inputs and payloads."""

from __future__ import annotations

import strawberry

from schema.common import fields
from schema.common.errors import Payload, not_implemented_payload
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
    @fields.mutation(description="Add a location. Admins only.")
    async def create_location(self, input: CreateLocationInput) -> CreateLocationPayload:
        return not_implemented_payload(CreateLocationPayload, "Creating locations")
