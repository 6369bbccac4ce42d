"""What staff ask of shipments, one function per request, each in its transaction with
its access-log record."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.shipments.reads import ShipmentRecord
from billing.shipments.rules import RESOURCE_TYPE, NewShipmentItem
from billing.shipments.rules import add_shipment as send_items

ADD_SHIPMENT = AuditedAction("shipment.create", RESOURCE_TYPE)


async def add_shipment(
    audit: AuditBuffer,
    invoice_id: int,
    carrier: str,
    tracking_number: str,
    items: Sequence[NewShipmentItem],
) -> ShipmentRecord:
    """Record a parcel of an invoice's items; no line ships more often than invoiced."""
    async with in_transaction():
        shipment = await send_items(invoice_id, carrier, tracking_number, items)
        await audit.record_success(
            ADD_SHIPMENT, resource_id=shipment.id, patient_id=shipment.patient_id
        )
    return shipment
