"""Mutations on locations, with their inputs and payloads."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import Info
from tortoise.transactions import in_transaction

from auth.scopes import Scope
from billing.errors import DomainError
from billing.locations.rules import create_location
from models.enums import AuditOutcome
from schema.common import fields
from schema.common.errors import Payload, UserError
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.locations.types import Location

CREATE_ACTION = "location.create"


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
    )
    async def create_location(
        self, info: Info[GraphQLContext, Any], input: CreateLocationInput
    ) -> CreateLocationPayload:
        audit = info.context.audit
        try:
            async with in_transaction():
                row = await create_location(input.name, input.timezone, input.address)
                await audit.write_now(
                    CREATE_ACTION,
                    AuditOutcome.SUCCESS,
                    resource_type="Location",
                    resource_id=str(row.id),
                )
        except DomainError as error:
            audit.record_failure(CREATE_ACTION, error)
            return CreateLocationPayload(errors=[UserError.from_domain_error(error)])
        return CreateLocationPayload(location=Location.from_model(row))
