"""Mutations on shipments, with their inputs and payloads."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import Info, relay
from tortoise.transactions import in_transaction

from auth.scopes import Scope
from billing.errors import DomainError, ErrorCode
from billing.shipments.rules import RESOURCE_TYPE, NewShipmentItem, add_shipment
from models.enums import AuditOutcome
from schema.common import fields
from schema.common.errors import Payload, UserError
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.shipments.types import Shipment

CREATE_ACTION = "shipment.create"


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
    async def add_shipment(
        self, info: Info[GraphQLContext, Any], input: AddShipmentInput
    ) -> AddShipmentPayload:
        context = info.context
        try:
            invoice_id = _pk(input.invoice_id, "Invoice", "invoice_id")
            items = [
                NewShipmentItem(
                    line_id=_pk(item.line_id, "InvoiceLine", f"items.{index}.line_id"),
                    quantity=item.quantity,
                )
                for index, item in enumerate(input.items)
            ]
            # The shipment and its audit record commit together or not at all.
            async with in_transaction():
                record = await add_shipment(invoice_id, input.carrier, input.tracking_number, items)
                await context.audit.write_now(
                    CREATE_ACTION,
                    AuditOutcome.SUCCESS,
                    resource_type=RESOURCE_TYPE,
                    resource_id=str(record.id),
                    patient_id=record.patient_id,
                )
        except DomainError as error:
            context.audit.record_failure(CREATE_ACTION, error)
            return AddShipmentPayload(errors=[UserError.from_domain_error(error)])
        return AddShipmentPayload(shipment=Shipment.from_model(record))


def _pk(global_id: relay.GlobalID, type_name: str, field: str) -> int:
    """The database id a global ID of ``type_name`` names; ``INVALID_INPUT`` otherwise."""
    node_id = global_id.node_id
    if global_id.type_name != type_name or not (node_id.isascii() and node_id.isdigit()):
        raise DomainError(ErrorCode.INVALID_INPUT, f"Not the ID of a {type_name}.", field)
    return int(node_id)
