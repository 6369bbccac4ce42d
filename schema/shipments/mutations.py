"""Mutations on shipments, with their inputs and payloads."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.shipments import use_cases
from billing.shipments.rules import NewShipmentItem
from billing.shipments.use_cases import ADD_SHIPMENT
from schema.common import fields
from schema.common.errors import Payload
from schema.common.ids import row_id
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.shipments.types import Shipment


@strawberry.input(description="How many of one invoice line go in a shipment.")
class ShipmentItemInput:
    line_id: relay.GlobalID = strawberry.field(description="The invoice line.")
    quantity: int = strawberry.field(description="How many; at most what was invoiced.")


@strawberry.input(description="A shipment of an invoice's items. Staff only.")
class AddShipmentInput:
    invoice_id: relay.GlobalID = strawberry.field(description="The invoice shipped.")
    carrier: str = strawberry.field(description='The carrier, such as "UPS".')
    tracking_number: str = strawberry.field(description="The carrier's tracking number.")
    items: list[ShipmentItemInput] = strawberry.field(description="What the shipment holds.")


@strawberry.type(description="The result of addShipment.")
class AddShipmentPayload(Payload):
    shipment: Shipment | None = strawberry.field(
        default=None, description="The new shipment; null when errors is not empty."
    )


@strawberry.type
class ShipmentMutation:
    @fields.mutation(
        description="Record a shipment of an invoice's items. Staff only.",
        permission_classes=[requires(Scope.INVOICES_WRITE)],
        audit=ADD_SHIPMENT,
    )
    async def add_shipment(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            AddShipmentInput, strawberry.argument(description="The parcel and what it holds.")
        ],
    ) -> AddShipmentPayload:
        items = [
            NewShipmentItem(
                line_id=row_id(item.line_id, "InvoiceLine", f"items.{index}.line_id"),
                quantity=item.quantity,
            )
            for index, item in enumerate(input.items)
        ]
        record = await use_cases.add_shipment(
            info.context.audit,
            row_id(input.invoice_id, "Invoice", "invoice_id"),
            input.carrier,
            input.tracking_number,
            items,
        )
        return AddShipmentPayload(shipment=Shipment.from_model(record))
