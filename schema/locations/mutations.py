"""Mutations on locations, with their inputs and payloads."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.errors import DomainError, ErrorCode
from billing.locations import use_cases
from billing.locations.letterhead import MAX_LOGO_BYTES, LetterheadChange, LogoFormat
from billing.locations.use_cases import (
    CREATE_LOCATION,
    REMOVE_LOGO,
    SET_LOGO,
    UPDATE_LETTERHEAD,
)
from schema.common import fields
from schema.common.errors import Payload
from schema.common.ids import row_id
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.locations.types import Location, LocationLogo

LocationIdArgument = Annotated[
    relay.GlobalID, strawberry.argument(description="The location (a Location ID).")
]


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


@strawberry.input(
    description="What a location's statements print at their top; a field left null stays."
)
class UpdateLocationLetterheadInput:
    location_id: relay.GlobalID = strawberry.field(description="The location (a Location ID).")
    name: str | None = strawberry.field(
        default=None, description="The name, unique among locations."
    )
    address: str | None = strawberry.field(
        default=None, description="The postal address, one line per line of print."
    )
    phone: str | None = strawberry.field(
        default=None, description="The phone number patients call; empty to print none."
    )
    accent_color: str | None = strawberry.field(
        default=None, description='The colour of headings and rules, as "#RRGGBB".'
    )


@strawberry.type(description="The result of updateLocationLetterhead.")
class UpdateLocationLetterheadPayload(Payload):
    location: Location | None = strawberry.field(
        default=None, description="The location afterwards; null when errors is not empty."
    )


@strawberry.input(description="A logo for a location's statements.")
class SetLocationLogoInput:
    location_id: relay.GlobalID = strawberry.field(description="The location (a Location ID).")
    format: LogoFormat = strawberry.field(description="PNG or SVG.")
    content_base64: str = strawberry.field(
        description=(
            f"The image file, base64-encoded; at most {MAX_LOGO_BYTES // 1024} KiB before "
            "encoding. An SVG may not use a DTD, scripts or links to other files."
        )
    )


@strawberry.type(description="The result of setLocationLogo.")
class SetLocationLogoPayload(Payload):
    logo: LocationLogo | None = strawberry.field(
        default=None, description="The logo kept; null when errors is not empty."
    )


@strawberry.type(description="The result of removeLocationLogo.")
class RemoveLocationLogoPayload(Payload):
    location: Location | None = strawberry.field(
        default=None, description="The location afterwards; null when errors is not empty."
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

    @fields.mutation(
        description=(
            "Change what a location's statements print at their top: name, address, phone "
            "and accent colour. Admins only."
        ),
        permission_classes=[requires(Scope.LOCATIONS_WRITE)],
        audit=UPDATE_LETTERHEAD,
    )
    async def update_location_letterhead(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            UpdateLocationLetterheadInput,
            strawberry.argument(description="The location and the values to change."),
        ],
    ) -> UpdateLocationLetterheadPayload:
        change = LetterheadChange(
            name=input.name,
            address=input.address,
            phone=input.phone,
            accent_color=input.accent_color,
        )
        location_id = row_id(input.location_id, "Location", "location_id")
        row = await use_cases.update_letterhead(info.context.audit, location_id, change)
        return UpdateLocationLetterheadPayload(location=Location.from_model(row))

    @fields.mutation(
        description=(
            "Upload the logo a location's statements print, in place of any earlier one: a "
            "PNG or a self-contained SVG, checked before it is kept. Admins only."
        ),
        permission_classes=[requires(Scope.LOCATIONS_WRITE)],
        audit=SET_LOGO,
    )
    async def set_location_logo(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            SetLocationLogoInput, strawberry.argument(description="The location and its logo.")
        ],
    ) -> SetLocationLogoPayload:
        context = info.context
        location_id = row_id(input.location_id, "Location", "location_id")
        content = _decoded(input.content_base64)
        try:
            logo = await use_cases.set_logo(
                context.audit, location_id, content, input.format, context.viewer.user_id
            )
        except DomainError as error:
            if error.field != "content":
                raise
            # The domain checks the bytes; the client sent them as contentBase64.
            raise DomainError(error.code, error.message, "content_base64") from None
        return SetLocationLogoPayload(logo=LocationLogo.from_model(logo))

    @fields.mutation(
        description="Print a location's statements without a logo again. Admins only.",
        permission_classes=[requires(Scope.LOCATIONS_WRITE)],
        audit=REMOVE_LOGO,
    )
    async def remove_location_logo(
        self, info: Info[GraphQLContext, Any], location_id: LocationIdArgument
    ) -> RemoveLocationLogoPayload:
        row = await use_cases.remove_logo(
            info.context.audit, row_id(location_id, "Location", "location_id")
        )
        return RemoveLocationLogoPayload(location=Location.from_model(row))


def _decoded(content_base64: str) -> bytes:
    """The uploaded bytes; ``INVALID_INPUT`` on ``content_base64`` for what is not base64 or
    is too large (checked before decoding, so a huge upload costs nothing)."""
    text = "".join(content_base64.split())
    if len(text) > (MAX_LOGO_BYTES // 3 + 1) * 4:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"A logo may be at most {MAX_LOGO_BYTES // 1024} KiB.",
            "content_base64",
        )
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise DomainError(
            ErrorCode.INVALID_INPUT, "The logo is not valid base64.", "content_base64"
        ) from None
