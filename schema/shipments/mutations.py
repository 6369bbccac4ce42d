"""Mutations on shipments, with their inputs and payloads."""

from __future__ import annotations

import strawberry
from strawberry import relay

from auth.scopes import Scope
from schema.common import fields
from schema.common.errors import Payload, not_implemented_payload
from schema.common.permissions import requires
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
    )
    async def add_shipment(self, input: AddShipmentInput) -> AddShipmentPayload:
        return not_implemented_payload(AddShipmentPayload, "Shipments")
