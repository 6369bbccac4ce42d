"""GraphQL types of invoices and their lines."""

from __future__ import annotations

import datetime
from enum import Enum

import strawberry
from strawberry import relay

from models.enums import InvoiceStatus as InvoiceStatus
from models.invoices import Invoice as InvoiceRow
from models.invoices import InvoiceLine as InvoiceLineRow
from schema.common import fields
from schema.common.errors import raise_not_implemented
from schema.common.money import Money
from schema.common.node import NodeLookupNotImplemented
from schema.locations.types import Location
from schema.payments.types import Payment
from schema.shipments.types import Shipment

strawberry.enum(InvoiceStatus, description="Where an invoice stands.")


@strawberry.type(description="One billed item of an invoice.")
class InvoiceLine(NodeLookupNotImplemented, relay.Node):
    id: relay.NodeID[int]
    description: str = strawberry.field(description="What was provided.")
    code: str = strawberry.field(description="The billing code, such as a CPT or HCPCS code.")
    quantity: int = strawberry.field(description="How many were provided.")
    unit_price: Money = strawberry.field(description="The price of one.")
    amount: Money = strawberry.field(description="quantity times unitPrice.")
    reorderable: bool = strawberry.field(description="Whether reorderItems can order it again.")
    sku: str | None = strawberry.field(description="The product's catalog sku, when it has one.")

    @classmethod
    def from_model(cls, row: InvoiceLineRow, currency: str) -> InvoiceLine:
        """``currency`` is the invoice's: lines have no currency of their own."""
        return cls(
            id=row.id,
            description=row.description,
            code=row.code,
            quantity=row.quantity,
            unit_price=Money.from_minor(row.unit_price_minor, currency),
            amount=Money.from_minor(row.amount_minor, currency),
            reorderable=row.reorderable,
            sku=row.sku,
        )


@strawberry.type(description="A bill for care or supplies.")
class Invoice(NodeLookupNotImplemented, relay.Node):
    id: relay.NodeID[int]
    number: str = strawberry.field(description="The invoice number, unique per location.")
    status: InvoiceStatus = strawberry.field(description="Where the invoice stands.")
    provider_name: str = strawberry.field(description="Who provided the care.")
    service_date: datetime.date = strawberry.field(description="When the care was provided.")
    issued_at: datetime.date = strawberry.field(description="When the invoice was issued.")
    due_at: datetime.date = strawberry.field(description="When payment is due.")
    currency: str = strawberry.field(description="The ISO 4217 currency of every amount.")
    total: Money = strawberry.field(description="The sum of the lines.")
    balance: Money = strawberry.field(description="What is still owed, by anyone.")
    insurance_pending: Money = strawberry.field(
        description="What insurance is expected to pay and has not decided yet."
    )
    patient_id: strawberry.Private[int]
    location_id: strawberry.Private[int]

    @fields.field(description="The location that issued the invoice.")
    def location(self) -> Location:
        raise_not_implemented("An invoice's location")

    @fields.field(description="What the patient owes now, insurance aside.")
    def patient_responsibility(self) -> Money:
        raise_not_implemented("Patient responsibility")

    @fields.field(description="The billed items, in order.")
    def lines(self) -> list[InvoiceLine]:
        raise_not_implemented("Invoice lines")

    @fields.field(description="Payments towards this invoice, newest first.")
    def payments(self) -> list[Payment]:
        raise_not_implemented("An invoice's payments")

    @fields.field(description="Shipments of this invoice's items.")
    def shipments(self) -> list[Shipment]:
        raise_not_implemented("An invoice's shipments")

    @classmethod
    def from_model(cls, row: InvoiceRow) -> Invoice:
        currency = row.currency
        return cls(
            id=row.id,
            number=row.number,
            status=InvoiceStatus(row.status),
            provider_name=row.provider_name,
            service_date=row.service_date,
            issued_at=row.issued_at,
            due_at=row.due_at,
            currency=currency,
            total=Money.from_minor(row.total_minor, currency),
            balance=Money.from_minor(row.balance_minor, currency),
            insurance_pending=Money.from_minor(row.insurance_pending_minor, currency),
            patient_id=row.patient_id,
            location_id=row.location_id,
        )


@strawberry.type(name="InvoiceConnection", description="A page of invoices.")
class InvoiceConnection(relay.Connection[Invoice]):
    total_count: int = strawberry.field(
        description="How many invoices match the filter, on every page."
    )


@strawberry.enum(description="Where a request for a paper statement stands.")
class PaperStatementStatus(Enum):
    REQUESTED = "REQUESTED"
    MAILED = "MAILED"


@strawberry.type(description="A patient's request to get a statement by post.")
class PaperStatementRequest(NodeLookupNotImplemented, relay.Node):
    id: relay.NodeID[int]
    status: PaperStatementStatus = strawberry.field(description="Where the request stands.")
    created_at: datetime.datetime = strawberry.field(description="When it was requested.")
