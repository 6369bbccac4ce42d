"""Reading shipments and their tracking for the API, a batch of ids per query.

Like ``billing.invoices.reads``: light frozen records, and an ``Audience`` (through the
shipment's invoice) applied in SQL wherever shipments are looked up by their own ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.expressions import Q

from billing.invoices.reads import Audience
from models.enums import ShipmentStatus
from models.shipments import Shipment, ShipmentEvent, ShipmentItem


@dataclass(frozen=True, slots=True)
class ShipmentRecord:
    id: int
    invoice_id: int
    patient_id: int | None
    carrier: str
    tracking_number: str
    status: ShipmentStatus
    estimated_delivery: date | None


@dataclass(frozen=True, slots=True)
class ShipmentItemRecord:
    shipment_id: int
    line_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class ShipmentEventRecord:
    shipment_id: int
    occurred_at: datetime
    status: ShipmentStatus
    description: str
    location: str


_SHIPMENT_COLUMNS = tuple(name for name in ShipmentRecord.__slots__ if name != "patient_id")
_EVENT_COLUMNS = tuple(ShipmentEventRecord.__slots__)


async def shipments_by_id(audience: Audience, ids: Iterable[int]) -> dict[int, ShipmentRecord]:
    """The shipments among ``ids`` whose invoice the audience may see, by id."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    condition = audience.restrict(Q(id__in=wanted), "invoice__patient_id")
    rows = await Shipment.filter(condition).values(
        *_SHIPMENT_COLUMNS, patient_id="invoice__patient_id"
    )
    return {shipment.id: shipment for shipment in map(_shipment_record, rows)}


async def patient_shipments(patient_id: int, offset: int, limit: int) -> list[ShipmentRecord]:
    """The patient's shipments, of all their invoices, newest first."""
    rows = (
        await Shipment.filter(invoice__patient_id=patient_id)
        .order_by("-created_at", "-id")
        .offset(offset)
        .limit(limit)
        .values(*_SHIPMENT_COLUMNS, patient_id="invoice__patient_id")
    )
    return [_shipment_record(row) for row in rows]


async def shipments_by_invoice(invoice_ids: Sequence[int]) -> dict[int, list[ShipmentRecord]]:
    """Each invoice's shipments, oldest first."""
    rows = (
        await Shipment.filter(invoice_id__in=sorted(set(invoice_ids)))
        .order_by("invoice_id", "created_at", "id")
        .values(*_SHIPMENT_COLUMNS, patient_id="invoice__patient_id")
    )
    grouped: dict[int, list[ShipmentRecord]] = defaultdict(list)
    for shipment in map(_shipment_record, rows):
        grouped[shipment.invoice_id].append(shipment)
    return grouped


async def items_by_shipment(shipment_ids: Sequence[int]) -> dict[int, list[ShipmentItemRecord]]:
    """What each shipment holds, in the order it was added."""
    rows = (
        await ShipmentItem.filter(shipment_id__in=sorted(set(shipment_ids)))
        .order_by("shipment_id", "id")
        .values("shipment_id", "line_id", "quantity")
    )
    grouped: dict[int, list[ShipmentItemRecord]] = defaultdict(list)
    for row in rows:
        grouped[row["shipment_id"]].append(ShipmentItemRecord(**row))
    return grouped


async def events_by_shipment(shipment_ids: Sequence[int]) -> dict[int, list[ShipmentEventRecord]]:
    """Each shipment's tracking updates, oldest first."""
    rows = (
        await ShipmentEvent.filter(shipment_id__in=sorted(set(shipment_ids)))
        .order_by("shipment_id", "occurred_at", "id")
        .values(*_EVENT_COLUMNS)
    )
    grouped: dict[int, list[ShipmentEventRecord]] = defaultdict(list)
    for row in rows:
        event = ShipmentEventRecord(**{**row, "status": ShipmentStatus(row["status"])})
        grouped[event.shipment_id].append(event)
    return grouped


def _shipment_record(row: dict[str, Any]) -> ShipmentRecord:
    return ShipmentRecord(**{**row, "status": ShipmentStatus(row["status"])})
