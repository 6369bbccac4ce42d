"""Data shared by the ``test_graphql_invoices*`` modules (no tests here): patients and
staff with real sessions, invoices made by ``billing.invoices.rules``, and payments and
shipments written as rows (their domain actions are not ours to call here)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from strawberry import relay

from auth.sessions import SessionScope, create_session
from billing.invoices.rules import NewInsurance, NewInvoiceLine, create_invoice
from billing.ledger.postings import Posting, post_entries
from billing.locations.rules import create_location
from models.enums import LedgerEntryKind, PaymentChannel, PaymentStatus, Role, ShipmentStatus
from models.invoices import Invoice as InvoiceRow
from models.invoices import InvoiceLine as InvoiceLineRow
from models.locations import Location as LocationRow
from models.payments import Payment as PaymentRow
from models.payments import PaymentAllocation as PaymentAllocationRow
from models.shipments import Shipment as ShipmentRow
from models.shipments import ShipmentEvent as ShipmentEventRow
from models.shipments import ShipmentItem as ShipmentItemRow
from tests.support.factories.auth import make_patient, make_user

_serial = itertools.count(1)


@dataclass(frozen=True)
class Caller:
    user_id: int
    token: str


@dataclass(frozen=True)
class PatientCaller(Caller):
    patient_id: int


async def _token(user_id: int) -> str:
    session = await create_session(user_id, scope=SessionScope.FULL, now=datetime.now(UTC))
    return session.access_token


async def patient_caller(email: str) -> PatientCaller:
    patient = await make_patient()
    user = await make_user(email, Role.PATIENT, patient=patient)
    return PatientCaller(user.id, await _token(user.id), patient.id)


async def staff_caller(role: Role) -> Caller:
    user = await make_user(f"{role.value}-{next(_serial)}@example.org", role)
    return Caller(user.id, await _token(user.id))


async def location(name: str = "North Clinic") -> LocationRow:
    return await create_location(name, "America/Chicago", "1 Main St")


def global_id(type_name: str, row_id: int) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


async def invoice(
    patient_id: int,
    location_id: int,
    *,
    provider: str = "Dr. Adams",
    issued: date = date(2025, 1, 10),
    due: date | None = None,
    prices_minor: tuple[int, ...] = (10000,),
    covered_minor: int = 0,
    paid_minor: int = 0,
) -> InvoiceRow:
    """An invoice with one line per price (quantity 1), optionally expected insurance and a
    patient payment already booked on the ledger."""
    lines = [
        NewInvoiceLine(
            code=f"A{4250 + index}",
            description=f"Item {index + 1}",
            quantity=1,
            unit_price_minor=price,
            reorderable=index == 0,
        )
        for index, price in enumerate(prices_minor)
    ]
    row = await create_invoice(
        patient_id,
        location_id,
        provider,
        issued - timedelta(days=1),
        due or issued + timedelta(days=30),
        "USD",
        lines,
        NewInsurance("Acme Health", covered_minor) if covered_minor else None,
        issued_at=issued,
    )
    if paid_minor:
        paid = await payment(patient_id, {row.id: paid_minor})
        await post_entries(row, [Posting(LedgerEntryKind.PAYMENT, paid_minor, paid.id)])
    return row


async def line_ids(invoice_row: InvoiceRow) -> list[int]:
    """The ids of an invoice's lines, in order."""
    rows = await InvoiceLineRow.filter(invoice_id=invoice_row.id).order_by("position")
    return [row.id for row in rows]


async def payment(
    patient_id: int,
    allocations: dict[int, int],
    *,
    status: PaymentStatus = PaymentStatus.SUCCEEDED,
    created_at: datetime | None = None,
) -> PaymentRow:
    """A card payment of the sum of ``allocations`` (invoice id -> minor units)."""
    row = await PaymentRow.create(
        patient_id=patient_id,
        channel=PaymentChannel.CARD,
        status=status,
        amount_minor=sum(allocations.values()),
        currency="USD",
    )
    if created_at is not None:
        await PaymentRow.filter(id=row.id).update(created_at=created_at)
        row.created_at = created_at
    await PaymentAllocationRow.bulk_create(
        [
            PaymentAllocationRow(payment_id=row.id, invoice_id=invoice_id, amount_minor=amount)
            for invoice_id, amount in allocations.items()
        ]
    )
    return row


async def shipment(invoice_row: InvoiceRow, line_ids: list[int], *, events: int = 2) -> ShipmentRow:
    """A shipment of one of each line, with ``events`` tracking updates written newest
    first (so an answer in time order proves the sorting)."""
    row = await ShipmentRow.create(
        invoice_id=invoice_row.id,
        carrier="UPS",
        tracking_number=f"1Z{next(_serial):010d}",
        status=ShipmentStatus.IN_TRANSIT,
        estimated_delivery=date(2025, 3, 1),
    )
    await ShipmentItemRow.bulk_create(
        [ShipmentItemRow(shipment_id=row.id, line_id=line_id, quantity=1) for line_id in line_ids]
    )
    start = datetime(2025, 2, 1, 9, 0, tzinfo=UTC)
    for index in reversed(range(events)):
        await ShipmentEventRow.create(
            shipment_id=row.id,
            occurred_at=start + timedelta(hours=index),
            status=ShipmentStatus.IN_TRANSIT,
            description=f"Scan {index + 1}",
            location="Memphis, TN",
            dedupe_key=f"event-{row.id}-{index}",
        )
    return row


def billed_patient(invoice: InvoiceRow) -> int:
    """The patient a patient invoice bills (an organization's invoice names none)."""
    assert invoice.patient_id is not None, "an organization's invoice"
    return invoice.patient_id
