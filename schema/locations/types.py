"""GraphQL types of clinics and sites."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.locations.letterhead import LogoFormat
from models.locations import DEFAULT_ACCENT_COLOR
from models.locations import Location as LocationRow
from models.locations import LocationLogo as LocationLogoRow
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.node import nobody, visible_nodes_by_id
from schema.context import GraphQLContext
from schema.invoices.loaders import loaders_for

described_enum(
    LogoFormat,
    "The kind of image a logo is.",
    {"PNG": "A PNG image (image/png).", "SVG": "An SVG drawing (image/svg+xml)."},
)


@strawberry.type(description="The logo printed at the top of a location's statements.")
class LocationLogo:
    format: LogoFormat = strawberry.field(description="PNG or SVG.")
    byte_size: int = strawberry.field(description="Its size in bytes.")
    uploaded_at: datetime.datetime = strawberry.field(description="When an admin uploaded it.")

    @classmethod
    def from_model(cls, row: LocationLogoRow) -> LocationLogo:
        return cls(
            format=LogoFormat(row.content_type),
            byte_size=row.byte_size,
            uploaded_at=row.uploaded_at,
        )


@strawberry.type(
    description=(
        "A clinic or site that issues invoices. Its name, address, phone, accent colour "
        "and logo are the letterhead of its statements."
    )
)
class Location(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="The name patients know the site by.")
    timezone: str = strawberry.field(
        description='The IANA time zone of the site, such as "America/Chicago".'
    )
    address: str = strawberry.field(description="The postal address, free text.")
    phone: str = strawberry.field(
        default="", description="The phone number statements print; empty when none is set."
    )
    accent_color: str = strawberry.field(
        default=DEFAULT_ACCENT_COLOR,
        description='The colour of its statements\' headings and rules, as "#RRGGBB".',
    )

    @fields.field(description="The logo its statements print; null when it has none.")
    async def logo(self) -> LocationLogo | None:
        row = (
            await LocationLogoRow.filter(location_id=self.id)
            .only("id", "location_id", "content_type", "byte_size", "uploaded_at")
            .first()
        )
        return None if row is None else LocationLogo.from_model(row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Location | None]:
        """Any location, for callers who may list locations; null for anyone else."""
        viewer = info.context.viewer
        load = (
            loaders_for(info).location_by_id.load_many
            if viewer.can(Scope.LOCATIONS_READ)
            else nobody
        )
        return await visible_nodes_by_id(
            info,
            node_ids,
            required=required,
            load=load,
            build=cls.from_model,
            record=_no_patient_data,
        )

    @classmethod
    def from_model(cls, row: LocationRow) -> Location:
        return cls(
            id=row.id,
            name=row.name,
            timezone=row.timezone,
            address=row.address,
            phone=row.phone,
            accent_color=row.accent_color,
        )


def _no_patient_data(_context: GraphQLContext, _row: LocationRow) -> None:
    # A location is no patient's data: reading one is not an access-log event, as with
    # the locations query.
    return None
