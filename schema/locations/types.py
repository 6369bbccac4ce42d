"""GraphQL types of clinics and sites."""

from __future__ import annotations

import strawberry
from strawberry import relay

from models.locations import Location as LocationRow
from schema.common.node import NodeLookupNotImplemented


@strawberry.type(description="A clinic or site that issues invoices.")
class Location(NodeLookupNotImplemented, relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="The name patients know the site by.")
    timezone: str = strawberry.field(
        description='The IANA time zone of the site, such as "America/Chicago".'
    )
    address: str = strawberry.field(description="The postal address, free text.")

    @classmethod
    def from_model(cls, row: LocationRow) -> Location:
        return cls(id=row.id, name=row.name, timezone=row.timezone, address=row.address)
