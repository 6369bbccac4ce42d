"""Shipments: sending an invoice's items in one or more parcels, and the carrier's tracking.

An invoice line is never shipped more often than it was invoiced, counted across every
shipment of the invoice. The check and the insert run in one transaction that first locks
the invoice row (PostgreSQL queues concurrent shipments of one invoice on that lock; SQLite
runs one transaction at a time on its connection), so two concurrent shipments cannot both
take the last units.

A shipment's status is the status of its latest tracking event by the carrier's
``occurred_at``: a redelivered event is stored once and an older event arriving late
leaves the newer status in place. Since the latest event wins, a signed event dated far
ahead would pin the status forever: events more than a day ahead of our clock are refused,
and so are events from a carrier other than the shipment's. Neither stores anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import orjson
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from billing.audit.chain import AuditRecord, append_audit_records
from billing.errors import DomainError, ErrorCode
from billing.shipments.reads import ShipmentRecord
from models.enums import AuditOutcome, InvoiceStatus, ShipmentStatus
from models.invoices import Invoice, InvoiceLine
from models.shipments import Shipment, ShipmentEvent, ShipmentItem

TRACKING_ACTION = "shipment.tracking"
CARRIER_ROLE = "carrier"
RESOURCE_TYPE = "Shipment"

_CARRIER_MAX = 40
_TRACKING_NUMBER_MAX = 64
_DESCRIPTION_MAX = 500
_LOCATION_MAX = 200
# Carriers' clocks and time zones are sloppy, but not by more than this.
MAX_CLOCK_AHEAD = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class NewShipmentItem:
    """``quantity`` units of the invoice line ``line_id``."""

    line_id: int
    quantity: int


async def add_shipment(
    invoice_id: int, carrier: str, tracking_number: str, items: Sequence[NewShipmentItem]
) -> ShipmentRecord:
    """Record a shipment of ``items`` of the invoice, with status ``LABEL_CREATED``.

    Runs in one transaction (a savepoint when the caller has one open, so the caller can
    write its audit record in the same commit). Raises ``DomainError`` with the offending
    field path and nothing written: ``INVALID_INPUT`` (blank carrier or tracking number, no
    items, a line listed twice, a void invoice), ``INVALID_QUANTITY`` (not positive),
    ``NOT_FOUND`` (no such invoice, or a line not on it), ``QUANTITY_EXCEEDS_INVOICED``
    (more than is left to ship of a line) and ``CONFLICT`` (tracking number taken).
    """
    carrier_name = _required_text(carrier, "carrier", _CARRIER_MAX)
    tracking = _required_text(tracking_number, "tracking_number", _TRACKING_NUMBER_MAX)
    _validate_items(items)
    async with in_transaction():
        invoice = await Invoice.select_for_update().get_or_none(id=invoice_id)
        if invoice is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such invoice.", "invoice_id")
        if invoice.status == InvoiceStatus.VOID:
            raise DomainError(
                ErrorCode.INVALID_INPUT, "A void invoice cannot be shipped.", "invoice_id"
            )
        await _check_quantities(invoice.id, items)
        if await Shipment.exists(tracking_number=tracking):
            raise _tracking_number_taken()
        try:
            # A savepoint: on PostgreSQL a failed insert would otherwise abort the whole
            # transaction, and a concurrent shipment may take the number after our check.
            async with in_transaction():
                shipment = await Shipment.create(
                    invoice_id=invoice.id,
                    carrier=carrier_name,
                    tracking_number=tracking,
                    status=ShipmentStatus.LABEL_CREATED,
                )
        except IntegrityError:
            raise _tracking_number_taken() from None
        await ShipmentItem.bulk_create(
            [
                ShipmentItem(shipment_id=shipment.id, line_id=item.line_id, quantity=item.quantity)
                for item in items
            ]
        )
    return ShipmentRecord(
        id=shipment.id,
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        status=ShipmentStatus.LABEL_CREATED,
        estimated_delivery=None,
    )


def _validate_items(items: Sequence[NewShipmentItem]) -> None:
    if not items:
        raise DomainError(ErrorCode.INVALID_INPUT, "A shipment holds at least one item.", "items")
    seen: set[int] = set()
    for index, item in enumerate(items):
        if item.line_id in seen:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                "Each line may be listed once per shipment.",
                f"items.{index}.line_id",
            )
        seen.add(item.line_id)
        if item.quantity <= 0:
            raise DomainError(
                ErrorCode.INVALID_QUANTITY,
                "The quantity must be at least 1.",
                f"items.{index}.quantity",
            )


async def _check_quantities(invoice_id: int, items: Sequence[NewShipmentItem]) -> None:
    """Every line is on the invoice, and shipping it again stays within what was invoiced.
    Call it with the invoice locked."""
    line_ids = [item.line_id for item in items]
    invoiced = dict(
        await InvoiceLine.filter(invoice_id=invoice_id, id__in=line_ids).values_list(
            "id", "quantity"
        )
    )
    rows = (
        await ShipmentItem.filter(line_id__in=line_ids)
        .group_by("line_id")
        .annotate(shipped=Sum("quantity"))
        .values("line_id", "shipped")
    )
    shipped = {row["line_id"]: int(row["shipped"] or 0) for row in rows}
    for index, item in enumerate(items):
        if item.line_id not in invoiced:
            raise DomainError(
                ErrorCode.NOT_FOUND, "No such line on this invoice.", f"items.{index}.line_id"
            )
        left = invoiced[item.line_id] - shipped.get(item.line_id, 0)
        if item.quantity > left:
            raise DomainError(
                ErrorCode.QUANTITY_EXCEEDS_INVOICED,
                f"Only {max(left, 0)} of this line are left to ship.",
                f"items.{index}.quantity",
            )


def _tracking_number_taken() -> DomainError:
    return DomainError(
        ErrorCode.CONFLICT, "This tracking number is already recorded.", "tracking_number"
    )


def _required_text(value: str, field: str, max_length: int) -> str:
    text = value.strip()
    if not text:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field} is required.", field)
    if len(text) > max_length:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"{field} is longer than {max_length} characters.", field
        )
    return text


# ------------------------------------------------------------------ tracking --


@dataclass(frozen=True, slots=True)
class TrackingUpdate:
    """One tracking event as the carrier reported it."""

    tracking_number: str
    carrier: str
    status: ShipmentStatus
    occurred_at: datetime
    description: str = ""
    location: str = ""

    def dedupe_key(self) -> str:
        """The SHA-256 of the event's canonical fields: the same event delivered twice
        has the same key, whatever the JSON's key order, spacing or time zone offset."""
        canonical = orjson.dumps(
            [
                self.tracking_number,
                self.carrier,
                self.status.value,
                self.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
                self.description,
                self.location,
            ]
        )
        return hashlib.sha256(canonical).hexdigest()


class TrackingOutcome(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    UNKNOWN_SHIPMENT = "unknown_shipment"
    IN_THE_FUTURE = "in_the_future"
    OTHER_CARRIER = "other_carrier"


async def record_tracking_update(
    update: TrackingUpdate,
    *,
    audit_key: bytes,
    ip_address: str = "",
    request_id: str = "",
    now: datetime | None = None,
) -> TrackingOutcome:
    """Store a carrier's tracking event once and move the shipment's status when the event
    is its latest by ``occurred_at``; the event, the status and an audit row (actor: the
    carrier) commit together. An unknown tracking number, an event dated more than a day
    after ``now`` and one naming another carrier than the shipment's store nothing."""
    if update.occurred_at > (now or datetime.now(UTC)) + MAX_CLOCK_AHEAD:
        return TrackingOutcome.IN_THE_FUTURE
    key = update.dedupe_key()
    try:
        return await _store_tracking_update(update, key, audit_key, ip_address, request_id)
    except IntegrityError:
        # A concurrent delivery of the same event stored it first.
        if await ShipmentEvent.exists(dedupe_key=key):
            return TrackingOutcome.DUPLICATE
        raise


async def _store_tracking_update(
    update: TrackingUpdate, key: str, audit_key: bytes, ip_address: str, request_id: str
) -> TrackingOutcome:
    occurred_at = update.occurred_at.astimezone(UTC)
    async with in_transaction():
        # The lock queues concurrent events of one shipment on PostgreSQL.
        shipment = await Shipment.select_for_update().get_or_none(
            tracking_number=update.tracking_number
        )
        if shipment is None:
            return TrackingOutcome.UNKNOWN_SHIPMENT
        if shipment.carrier.strip().casefold() != update.carrier.strip().casefold():
            return TrackingOutcome.OTHER_CARRIER
        if await ShipmentEvent.exists(dedupe_key=key):
            return TrackingOutcome.DUPLICATE
        await ShipmentEvent.create(
            shipment_id=shipment.id,
            occurred_at=occurred_at,
            status=update.status,
            description=update.description[:_DESCRIPTION_MAX],
            location=update.location[:_LOCATION_MAX],
            dedupe_key=key,
        )
        # Only a newer event moves the status, so late and repeated deliveries cannot
        # take it back.
        await Shipment.filter(
            Q(id=shipment.id) & (Q(status_at__isnull=True) | Q(status_at__lt=occurred_at))
        ).update(status=update.status, status_at=occurred_at)
        invoice = await Invoice.get(id=shipment.invoice_id).only("id", "patient_id")
        record = AuditRecord(
            action=TRACKING_ACTION,
            outcome=AuditOutcome.SUCCESS,
            actor_id=None,
            actor_role=CARRIER_ROLE,
            resource_type=RESOURCE_TYPE,
            resource_id=str(shipment.id),
            patient_id=invoice.patient_id,
            ip_address=ip_address,
            request_id=request_id,
        )
        await append_audit_records([record], key=audit_key)
    return TrackingOutcome.STORED
