"""Mutations on invoices, with their inputs and payloads."""

from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from auth.scopes import Scope
from schema.common import fields
from schema.common.errors import Payload, not_implemented_payload
from schema.common.permissions import requires
from schema.invoices.types import Invoice, PaperStatementRequest


@strawberry.input(description="One item of a new invoice.")
class InvoiceLineInput:
    description: str = strawberry.field(description="What was provided.")
    code: str = strawberry.field(description="The billing code.")
    quantity: int = strawberry.field(description="How many; at least 1.")
    unit_price: Decimal = strawberry.field(description="The price of one, in major units.")
    reorderable: bool = strawberry.field(
        default=False, description="Whether the patient may order it again."
    )
    sku: str | None = strawberry.field(
        default=None, description="The catalog sku, needed for reordering."
    )


@strawberry.input(description="The part of a new invoice that insurance is expected to pay.")
class InsuranceInput:
    payer_name: str = strawberry.field(description="The insurer.")
    covered_amount: Decimal = strawberry.field(
        description="What the insurer is expected to pay; at most the invoice total."
    )


@strawberry.input(description="A new invoice. Staff only.")
class CreateInvoiceInput:
    patient_id: relay.GlobalID = strawberry.field(description="The patient billed.")
    location_id: relay.GlobalID = strawberry.field(description="The location issuing it.")
    provider_name: str = strawberry.field(description="Who provided the care.")
    service_date: datetime.date = strawberry.field(description="When the care was provided.")
    due_at: datetime.date = strawberry.field(description="When payment is due.")
    currency: str = strawberry.field(default="USD", description="The ISO 4217 currency.")
    lines: list[InvoiceLineInput] = strawberry.field(description="The items; at least one.")
    insurance: InsuranceInput | None = strawberry.field(
        default=None, description="Expected insurance cover, if any."
    )


@strawberry.input(description="An insurer's decision on an invoice's pending cover. Staff only.")
class InsuranceDecisionInput:
    invoice_id: relay.GlobalID = strawberry.field(description="The invoice decided on.")
    paid_amount: Decimal = strawberry.field(description="What the insurer paid.")
    denied_amount: Decimal = strawberry.field(
        description="What the insurer refused; it becomes the patient's to pay."
    )


@strawberry.input(description="A change to an invoice's balance. Staff only.")
class AdjustInvoiceInput:
    invoice_id: relay.GlobalID = strawberry.field(description="The invoice adjusted.")
    amount: Decimal = strawberry.field(
        description="Added to the balance; negative for a discount or write-off."
    )
    reason: str = strawberry.field(description="Why, for the audit trail.")


@strawberry.type(description="The result of createInvoicePdfLink.")
class CreateInvoicePdfLinkPayload(Payload):
    url: str | None = strawberry.field(
        default=None, description="A short-lived link to the PDF; it carries no PHI."
    )
    expires_at: datetime.datetime | None = strawberry.field(
        default=None, description="When the link stops working."
    )


@strawberry.type(description="The result of requestPaperStatement.")
class RequestPaperStatementPayload(Payload):
    request: PaperStatementRequest | None = strawberry.field(
        default=None, description="The request; null when errors is not empty."
    )


@strawberry.type(description="The result of a mutation that changes one invoice.")
class InvoicePayload(Payload):
    invoice: Invoice | None = strawberry.field(
        default=None, description="The invoice afterwards; null when errors is not empty."
    )


@strawberry.type(description="The result of reorderItems.")
class ReorderItemsPayload(InvoicePayload):
    pass


@strawberry.type(description="The result of createInvoice.")
class CreateInvoicePayload(InvoicePayload):
    pass


@strawberry.type(description="The result of recordInsuranceDecision.")
class RecordInsuranceDecisionPayload(InvoicePayload):
    pass


@strawberry.type(description="The result of adjustInvoice.")
class AdjustInvoicePayload(InvoicePayload):
    pass


@strawberry.type
class InvoiceMutation:
    @fields.mutation(
        description="A short-lived link to a printable PDF of an invoice.",
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def create_invoice_pdf_link(
        self, invoice_id: relay.GlobalID
    ) -> CreateInvoicePdfLinkPayload:
        return not_implemented_payload(CreateInvoicePdfLinkPayload, "Invoice PDFs")

    @fields.mutation(
        description="Ask for a statement of these invoices by post.",
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def request_paper_statement(
        self, invoice_ids: list[relay.GlobalID]
    ) -> RequestPaperStatementPayload:
        return not_implemented_payload(RequestPaperStatementPayload, "Paper statements")

    @fields.mutation(
        description=(
            "Order an invoice's reorderable lines again (all of them when lineIds is null)."
        ),
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def reorder_items(
        self, invoice_id: relay.GlobalID, line_ids: list[relay.GlobalID] | None = None
    ) -> ReorderItemsPayload:
        return not_implemented_payload(ReorderItemsPayload, "Reordering items")

    @fields.mutation(
        description="Issue an invoice. Staff only.",
        permission_classes=[requires(Scope.INVOICES_WRITE)],
    )
    async def create_invoice(self, input: CreateInvoiceInput) -> CreateInvoicePayload:
        return not_implemented_payload(CreateInvoicePayload, "Creating invoices")

    @fields.mutation(
        description="Record what an insurer paid and denied. Staff only.",
        permission_classes=[requires(Scope.INVOICES_WRITE)],
    )
    async def record_insurance_decision(
        self, input: InsuranceDecisionInput
    ) -> RecordInsuranceDecisionPayload:
        return not_implemented_payload(RecordInsuranceDecisionPayload, "Insurance decisions")

    @fields.mutation(
        description="Discount, write off or add to an invoice. Staff only.",
        permission_classes=[requires(Scope.ADJUSTMENTS_WRITE)],
    )
    async def adjust_invoice(self, input: AdjustInvoiceInput) -> AdjustInvoicePayload:
        return not_implemented_payload(AdjustInvoicePayload, "Invoice adjustments")
