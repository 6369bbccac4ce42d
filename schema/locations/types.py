"""GraphQL types of clinics and sites."""

from __future__ import annotations

import strawberry
from strawberry import relay

from billing.errors import DomainError, ErrorCode
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


def location_pk(global_id: relay.GlobalID, field: str = "location_id") -> int:
    """The database id a ``Location`` global ID names; ``INVALID_INPUT`` for an ID of
    another type or a malformed one."""
    if global_id.type_name != Location.__name__ or not global_id.node_id.isdigit():
        raise DomainError(ErrorCode.INVALID_INPUT, "Not the ID of a location.", field)
    return int(global_id.node_id)
