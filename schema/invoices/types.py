"""GraphQL types of invoices and their lines."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.invoices.reads import (
    InvoiceLineRecord,
    InvoiceListing,
    InvoiceRecord,
    count_invoices,
    is_overdue,
)
from models.enums import InvoiceStatus as InvoiceStatus
from models.invoices import Invoice as InvoiceRow
from models.invoices import InvoiceLine as InvoiceLineRow
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.money import Money
from schema.common.permissions import hidden_without
from schema.context import GraphQLContext
from schema.invoices.access import visible_nodes
from schema.invoices.loaders import loaders_for
from schema.locations.types import Location
from schema.payments.types import Payment
from schema.shipments.types import Shipment

if TYPE_CHECKING:
    # Patients and organizations list their invoices, so their types are imported lazily.
    from schema.organizations.types import Organization
    from schema.patients.types import Patient

described_enum(
    InvoiceStatus,
    "Where an invoice stands.",
    {
        "OPEN": "Issued, nothing paid yet, no insurance decision pending.",
        "PENDING_INSURANCE": "The insurer has not decided on its expected cover yet.",
        "PARTIALLY_PAID": "Some of it is paid; a balance is left.",
        "PAID": "Nothing is left to pay.",
        "VOID": "Canceled by staff; nothing is owed on it.",
        "PROCESSING": (
            "A bank-account payment of its balance is on its way (days): PAID when the bank "
            "settles it, back to OPEN or PARTIALLY_PAID if the debit fails."
        ),
    },
)


class InvoiceCustomer(Enum):
    PATIENT = "PATIENT"
    ORGANIZATION = "ORGANIZATION"


described_enum(
    InvoiceCustomer,
    "Who an invoice bills.",
    {
        "PATIENT": "A patient, for care or supplies.",
        "ORGANIZATION": "An organization on net terms; the invoice names no patient.",
    },
)


@strawberry.type(description="One billed item of an invoice.")
class InvoiceLine(relay.Node):
    id: relay.NodeID[int]
    description: str | None = strawberry.field(
        description="What was provided; null for callers who may not see clinical details.",
        extensions=[hidden_without(Scope.CLINICAL_READ)],
    )
    code: str | None = strawberry.field(
        description=(
            "The billing code, such as a CPT or HCPCS code; null for callers who may not "
            "see clinical details."
        ),
        extensions=[hidden_without(Scope.CLINICAL_READ)],
    )
    quantity: int = strawberry.field(description="How many were provided.")
    unit_price: Money = strawberry.field(description="The price of one.")
    amount: Money = strawberry.field(description="The quantity times unitPrice.")
    reorderable: bool = strawberry.field(description="Whether reorderItems can order it again.")
    sku: str | None = strawberry.field(
        description=(
            "The product's catalog sku, when it has one; null for callers who may not see "
            "clinical details (a sku names the product as plainly as its description)."
        ),
        extensions=[hidden_without(Scope.CLINICAL_READ)],
    )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[InvoiceLine | None]:
        """Lines of the caller's own invoices (any, for staff who read all bills); null
        otherwise. Clinical details stay hidden from callers without CLINICAL_READ."""
        return await visible_nodes(
            info,
            node_ids,
            required=required,
            resource_type="InvoiceLine",
            loader=lambda loaders: loaders.line_by_id,
            build=lambda row: cls.from_model(row, row.currency),
        )

    @classmethod
    def from_model(cls, row: InvoiceLineRow | InvoiceLineRecord, currency: str) -> InvoiceLine:
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
class Invoice(relay.Node):
    id: relay.NodeID[int]
    number: str = strawberry.field(description="The invoice number, unique per location.")
    status: InvoiceStatus = strawberry.field(description="Where the invoice stands.")
    provider_name: str = strawberry.field(description="Who provided the care.")
    service_date: datetime.date = strawberry.field(description="When the care was provided.")
    issued_at: datetime.date = strawberry.field(description="When the invoice was issued.")
    due_at: datetime.date = strawberry.field(description="When payment is due.")
    currency: str = strawberry.field(description="The ISO 4217 currency of every amount.")
    total: Money = strawberry.field(description="The sum of the lines, with adjustments.")
    balance: Money = strawberry.field(description="What is still owed, by anyone.")
    insurance_pending: Money = strawberry.field(
        description="What insurance is expected to pay and has not decided yet."
    )
    disputed: bool = strawberry.field(
        description="A payment of it is under an open card dispute, for staff to follow up."
    )
    billed_to: InvoiceCustomer = strawberry.field(
        description="Whether a patient or an organization (a business account) is billed."
    )
    purchase_order_number: str | None = strawberry.field(
        description="The organization's purchase order; null on a patient's invoice."
    )
    patient_id: strawberry.Private[int | None]
    organization_id: strawberry.Private[int | None]
    location_id: strawberry.Private[int]
    balance_minor: strawberry.Private[int]

    @fields.field(
        description=(
            "Whether it is past its due date (today where the patient lives) with a balance "
            "left and not void; the same rule as the overdue filter of myInvoices."
        )
    )
    async def overdue(self, info: Info[GraphQLContext, None]) -> bool:
        # An organization's invoice: today in the default time zone (no patient is 0).
        today = await loaders_for(info).today_by_patient.load(self.patient_id or 0)
        return is_overdue(self.due_at, self.balance_minor, self.status, today)

    @fields.field(description="The patient billed; null on an organization's invoice.")
    async def patient(
        self, info: Info[GraphQLContext, None]
    ) -> Annotated[Patient, strawberry.lazy("schema.patients.types")] | None:
        from schema.patients.types import Patient  # at call time: the modules import each other

        if self.patient_id is None:
            return None
        return await Patient.load(info, self.patient_id)

    @fields.field(description="The organization billed; null on a patient's invoice.")
    async def organization(
        self, info: Info[GraphQLContext, None]
    ) -> Annotated[Organization, strawberry.lazy("schema.organizations.types")] | None:
        from schema.organizations.types import Organization

        if self.organization_id is None:
            return None
        return await Organization.load(info, self.organization_id)

    @fields.field(description="The location that issued the invoice.")
    async def location(self, info: Info[GraphQLContext, None]) -> Location:
        row = await loaders_for(info).location_by_id.load(self.location_id)
        if row is None:  # The foreign key forbids it.
            raise LookupError(f"location {self.location_id} of invoice {self.id} is missing")
        return Location.from_model(row)

    @fields.field(description="What the patient owes on it, insurance aside, before payments.")
    async def patient_responsibility(self, info: Info[GraphQLContext, None]) -> Money:
        minor = await loaders_for(info).responsibility_by_invoice.load(self.id)
        return Money.from_minor(minor, self.currency)

    @fields.field(description="The billed items, in order.")
    async def lines(self, info: Info[GraphQLContext, None]) -> list[InvoiceLine]:
        rows = await loaders_for(info).lines_by_invoice.load(self.id)
        return [InvoiceLine.from_model(row, self.currency) for row in rows]

    @fields.field(description="Payments towards this invoice, newest first.")
    async def payments(self, info: Info[GraphQLContext, None]) -> list[Payment]:
        rows = await loaders_for(info).payments_by_invoice.load(self.id)
        for row in rows:
            info.context.record_read("Payment", row.id, row.patient_id)
        return [Payment.from_model(row) for row in rows]

    @fields.field(description="Shipments of this invoice's items, oldest first.")
    async def shipments(self, info: Info[GraphQLContext, None]) -> list[Shipment]:
        rows = await loaders_for(info).shipments_by_invoice.load(self.id)
        for row in rows:
            info.context.record_read("Shipment", row.id, row.patient_id)
        return [Shipment.from_model(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Invoice | None]:
        """The caller's own invoices (any, for staff who read all bills); null otherwise."""
        return await visible_nodes(
            info,
            node_ids,
            required=required,
            resource_type="Invoice",
            loader=lambda loaders: loaders.invoice_by_id,
            build=cls.from_model,
        )

    @classmethod
    def from_model(cls, row: InvoiceRow | InvoiceRecord) -> Invoice:
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
            disputed=row.disputed,
            billed_to=(
                InvoiceCustomer.PATIENT
                if row.organization_id is None
                else InvoiceCustomer.ORGANIZATION
            ),
            purchase_order_number=row.purchase_order_number,
            patient_id=row.patient_id,
            organization_id=row.organization_id,
            location_id=row.location_id,
            balance_minor=row.balance_minor,
        )


@strawberry.type(name="InvoiceConnection", description="A page of invoices.")
class InvoiceConnection(relay.Connection[Invoice]):
    # Counted only when totalCount is asked for.
    listing: strawberry.Private[InvoiceListing]

    @fields.field(description="How many invoices match the filter, on every page.")
    async def total_count(self) -> int:
        return await count_invoices(self.listing)
