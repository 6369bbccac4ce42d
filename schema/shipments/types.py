"""GraphQL types of shipments of invoiced items."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from models.enums import ShipmentStatus as ShipmentStatus
from models.shipments import Shipment as ShipmentRow
from models.shipments import ShipmentEvent as ShipmentEventRow
from models.shipments import ShipmentItem as ShipmentItemRow
from schema.common import fields
from schema.common.errors import raise_not_implemented
from schema.common.node import NodeLookupNotImplemented

if TYPE_CHECKING:
    # Invoices show their shipments, so the line type is imported lazily here.
    from schema.invoices.types import InvoiceLine

strawberry.enum(ShipmentStatus, description="Where a shipment is.")


@strawberry.type(description="How many of one invoice line a shipment holds.")
class ShipmentItem:
    quantity: int = strawberry.field(description="How many are in the shipment.")
    line_id: strawberry.Private[int]

    @fields.field(description="The invoice line shipped.")
    def line(self) -> Annotated[InvoiceLine, strawberry.lazy("schema.invoices.types")]:
        raise_not_implemented("A shipment's invoice lines")

    @classmethod
    def from_model(cls, row: ShipmentItemRow) -> ShipmentItem:
        return cls(quantity=row.quantity, line_id=row.line_id)


@strawberry.type(description="A tracking update from the carrier.")
class ShipmentEvent:
    occurred_at: datetime.datetime = strawberry.field(description="When it happened.")
    status: ShipmentStatus = strawberry.field(description="The shipment's status from then on.")
    description: str = strawberry.field(description="The carrier's words.")
    location: str = strawberry.field(description="Where it happened, when the carrier says.")

    @classmethod
    def from_model(cls, row: ShipmentEventRow) -> ShipmentEvent:
        return cls(
            occurred_at=row.occurred_at,
            status=ShipmentStatus(row.status),
            description=row.description,
            location=row.location,
        )


@strawberry.type(description="A parcel of invoiced items on its way to the patient.")
class Shipment(NodeLookupNotImplemented, relay.Node):
    id: relay.NodeID[int]
    carrier: str = strawberry.field(description='The carrier, such as "UPS".')
    tracking_number: str = strawberry.field(description="The carrier's tracking number.")
    status: ShipmentStatus = strawberry.field(description="Where the shipment is.")
    estimated_delivery: datetime.date | None = strawberry.field(
        description="When the carrier expects to deliver; null when unknown."
    )
    invoice_id: strawberry.Private[int]

    @fields.field(description="What the shipment holds.")
    def items(self) -> list[ShipmentItem]:
        raise_not_implemented("A shipment's items")

    @fields.field(description="Tracking updates, oldest first.")
    def events(self) -> list[ShipmentEvent]:
        raise_not_implemented("Tracking updates")

    @classmethod
    def from_model(cls, row: ShipmentRow) -> Shipment:
        return cls(
            id=row.id,
            carrier=row.carrier,
            tracking_number=row.tracking_number,
            status=ShipmentStatus(row.status),
            estimated_delivery=row.estimated_delivery,
            invoice_id=row.invoice_id,
        )
