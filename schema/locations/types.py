"""GraphQL types of clinics and sites."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from models.locations import Location as LocationRow
from schema.common.node import nobody, visible_nodes_by_id
from schema.context import GraphQLContext
from schema.invoices.loaders import loaders_for


@strawberry.type(description="A clinic or site that issues invoices.")
class Location(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="The name patients know the site by.")
    timezone: str = strawberry.field(
        description='The IANA time zone of the site, such as "America/Chicago".'
    )
    address: str = strawberry.field(description="The postal address, free text.")

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
        return cls(id=row.id, name=row.name, timezone=row.timezone, address=row.address)


def _no_patient_data(_context: GraphQLContext, _row: LocationRow) -> None:
    # A location is no patient's data: reading one is not an access-log event, as with
    # the locations query.
    return None
