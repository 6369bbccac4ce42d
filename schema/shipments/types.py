"""GraphQL types of shipments of invoiced items."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info, relay

from billing.shipments.reads import ShipmentEventRecord, ShipmentItemRecord, ShipmentRecord
from models.enums import ShipmentStatus as ShipmentStatus
from models.shipments import Shipment as ShipmentRow
from models.shipments import ShipmentEvent as ShipmentEventRow
from models.shipments import ShipmentItem as ShipmentItemRow
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.context import GraphQLContext
from schema.invoices.access import visible_nodes
from schema.invoices.loaders import loaders_for

if TYPE_CHECKING:
    # Invoices show their shipments, so the invoice types are imported lazily here.
    from schema.invoices.types import Invoice, InvoiceLine

described_enum(
    ShipmentStatus,
    "Where a shipment is.",
    {
        "LABEL_CREATED": "Packed and labelled; the carrier has not picked it up yet.",
        "IN_TRANSIT": "With the carrier, on its way.",
        "OUT_FOR_DELIVERY": "On the delivery vehicle today.",
        "DELIVERED": "Delivered.",
        "EXCEPTION": "The carrier reports a problem (address, damage, delay).",
        "RETURNED": "Sent back to us.",
    },
)


@strawberry.type(description="How many of one invoice line a shipment holds.")
class ShipmentItem:
    quantity: int = strawberry.field(description="How many are in the shipment.")
    line_id: strawberry.Private[int]

    @fields.field(description="The invoice line shipped.")
    async def line(
        self, info: Info[GraphQLContext, None]
    ) -> Annotated[InvoiceLine, strawberry.lazy("schema.invoices.types")]:
        from schema.invoices.types import InvoiceLine  # at call time: the modules import each other

        row = await loaders_for(info).line_by_id.load(self.line_id)
        if row is None:
            raise ExpectedError(RequestErrorCode.NOT_FOUND, "No such invoice line.")
        return InvoiceLine.from_model(row, row.currency)

    @classmethod
    def from_model(cls, row: ShipmentItemRow | ShipmentItemRecord) -> ShipmentItem:
        return cls(quantity=row.quantity, line_id=row.line_id)


@strawberry.type(description="A tracking update from the carrier.")
class ShipmentEvent:
    occurred_at: datetime.datetime = strawberry.field(description="When it happened.")
    status: ShipmentStatus = strawberry.field(description="The shipment's status from then on.")
    description: str = strawberry.field(description="The carrier's words.")
    location: str = strawberry.field(description="Where it happened, when the carrier says.")

    @classmethod
    def from_model(cls, row: ShipmentEventRow | ShipmentEventRecord) -> ShipmentEvent:
        return cls(
            occurred_at=row.occurred_at,
            status=ShipmentStatus(row.status),
            description=row.description,
            location=row.location,
        )


@strawberry.type(description="A parcel of invoiced items on its way to the patient.")
class Shipment(relay.Node):
    id: relay.NodeID[int]
    carrier: str = strawberry.field(description='The carrier, such as "UPS".')
    tracking_number: str = strawberry.field(description="The carrier's tracking number.")
    status: ShipmentStatus = strawberry.field(description="Where the shipment is.")
    estimated_delivery: datetime.date | None = strawberry.field(
        description="When the carrier expects to deliver; null when unknown."
    )
    invoice_id: strawberry.Private[int]

    @fields.field(description="The invoice whose items are shipped.")
    async def invoice(
        self, info: Info[GraphQLContext, None]
    ) -> Annotated[Invoice, strawberry.lazy("schema.invoices.types")]:
        from schema.invoices.types import Invoice  # at call time: the modules import each other

        row = await loaders_for(info).invoice_by_id.load(self.invoice_id)
        if row is None:
            raise ExpectedError(RequestErrorCode.NOT_FOUND, "No such invoice.")
        info.context.record_read("Invoice", row.id, row.patient_id)
        return Invoice.from_model(row)

    @fields.field(description="What the shipment holds.")
    async def items(self, info: Info[GraphQLContext, None]) -> list[ShipmentItem]:
        rows = await loaders_for(info).items_by_shipment.load(self.id)
        return [ShipmentItem.from_model(row) for row in rows]

    @fields.field(description="Tracking updates, oldest first.")
    async def events(self, info: Info[GraphQLContext, None]) -> list[ShipmentEvent]:
        rows = await loaders_for(info).events_by_shipment.load(self.id)
        return [ShipmentEvent.from_model(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Shipment | None]:
        """Shipments of the caller's own invoices (any, for staff who read all bills);
        null otherwise."""
        return await visible_nodes(
            info,
            node_ids,
            required=required,
            resource_type="Shipment",
            loader=lambda loaders: loaders.shipment_by_id,
            build=cls.from_model,
        )

    @classmethod
    def from_model(cls, row: ShipmentRow | ShipmentRecord) -> Shipment:
        return cls(
            id=row.id,
            carrier=row.carrier,
            tracking_number=row.tracking_number,
            status=ShipmentStatus(row.status),
            estimated_delivery=row.estimated_delivery,
            invoice_id=row.invoice_id,
        )


@strawberry.type(name="ShipmentConnection", description="A page of shipments.")
class ShipmentConnection(relay.Connection[Shipment]):
    pass
