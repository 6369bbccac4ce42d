"""Mutations on invoices, with their inputs and payloads."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.errors import DomainError, ErrorCode
from billing.invoices import use_cases
from billing.invoices.rules import NewInsurance, NewInvoiceLine
from billing.invoices.use_cases import (
    ADJUST_INVOICE,
    CREATE_INVOICE,
    RECORD_INSURANCE_DECISION,
    REORDER_ITEMS,
    RESOURCE_TYPE,
    InvoiceDraft,
)
from billing.money import normalize_currency, to_minor
from schema.common import fields
from schema.common.errors import Payload
from schema.common.ids import row_id
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.invoices.types import Invoice


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
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=(
            "Chosen by the client per attempt (1 to 255 characters); a retry with the same key "
            "returns the first result and changes nothing, the same key with other input is "
            "IDEMPOTENCY_KEY_REUSED. Null: no protection against a repeated request."
        ),
    )


@strawberry.input(description="A change to an invoice's balance. Staff only.")
class AdjustInvoiceInput:
    invoice_id: relay.GlobalID = strawberry.field(description="The invoice adjusted.")
    amount: Decimal = strawberry.field(
        description="Added to the balance; negative for a discount or write-off."
    )
    reason: str = strawberry.field(description="Why, for the audit trail.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=(
            "Chosen by the client per attempt (1 to 255 characters); a retry with the same key "
            "returns the first result and changes nothing, the same key with other input is "
            "IDEMPOTENCY_KEY_REUSED. Null: no protection against a repeated request."
        ),
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
        description=(
            "Order an invoice's reorderable lines again (all of them when lineIds is null), "
            "as a new open invoice at today's catalog prices."
        ),
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
        audit=REORDER_ITEMS,
    )
    async def reorder_items(
        self,
        info: Info[GraphQLContext, Any],
        invoice_id: Annotated[
            relay.GlobalID,
            strawberry.argument(
                description="The invoice (an Invoice ID) whose items to order again."
            ),
        ],
        line_ids: Annotated[
            list[relay.GlobalID] | None,
            strawberry.argument(
                description="InvoiceLine IDs to order again; null for all reorderable ones."
            ),
        ] = None,
    ) -> ReorderItemsPayload:
        context = info.context
        original_id = row_id(invoice_id, RESOURCE_TYPE, "invoice_id")
        patient_id = context.viewer.patient_id
        if patient_id is None:  # Only a patient holds BILLING_OWN_PAY; no invoice is theirs.
            raise DomainError(ErrorCode.NOT_FOUND, "No such invoice.", "invoice_id")
        chosen = None
        if line_ids is not None:
            chosen = [
                row_id(line_id, "InvoiceLine", f"line_ids.{index}")
                for index, line_id in enumerate(line_ids)
            ]
        row = await use_cases.reorder_items(context.audit, patient_id, original_id, chosen)
        return ReorderItemsPayload(invoice=Invoice.from_model(row))

    @fields.mutation(
        description="Issue an invoice, with its lines and any expected insurance. Staff only.",
        permission_classes=[requires(Scope.INVOICES_WRITE)],
        audit=CREATE_INVOICE,
    )
    async def create_invoice(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            CreateInvoiceInput, strawberry.argument(description="The invoice to issue.")
        ],
    ) -> CreateInvoicePayload:
        currency = normalize_currency(input.currency)
        draft = InvoiceDraft(
            patient_id=row_id(input.patient_id, "Patient", "patient_id"),
            location_id=row_id(input.location_id, "Location", "location_id"),
            provider_name=input.provider_name,
            service_date=input.service_date,
            due_at=input.due_at,
            currency=currency,
            lines=_new_lines(input.lines, currency),
            insurance=_new_insurance(input.insurance, currency),
        )
        row = await use_cases.create_invoice(info.context.audit, draft)
        return CreateInvoicePayload(invoice=Invoice.from_model(row))

    @fields.mutation(
        description=(
            "Record what an insurer paid and denied of an invoice's pending cover; the denied "
            "part becomes the patient's to pay. Staff only."
        ),
        permission_classes=[requires(Scope.INVOICES_WRITE)],
        audit=RECORD_INSURANCE_DECISION,
    )
    async def record_insurance_decision(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            InsuranceDecisionInput, strawberry.argument(description="What the insurer decided.")
        ],
    ) -> RecordInsuranceDecisionPayload:
        row = await use_cases.record_insurance_decision(
            info.context.audit,
            row_id(input.invoice_id, RESOURCE_TYPE, "invoice_id"),
            input.paid_amount,
            input.denied_amount,
            idempotency_key=input.idempotency_key,
        )
        return RecordInsuranceDecisionPayload(invoice=Invoice.from_model(row))

    @fields.mutation(
        description=(
            "Discount, write off or add to an invoice, as a new ledger row with its reason; "
            "nothing already booked changes. Staff only."
        ),
        permission_classes=[requires(Scope.ADJUSTMENTS_WRITE)],
        audit=ADJUST_INVOICE,
    )
    async def adjust_invoice(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            AdjustInvoiceInput, strawberry.argument(description="The adjustment and its reason.")
        ],
    ) -> AdjustInvoicePayload:
        row = await use_cases.adjust_invoice(
            info.context.audit,
            row_id(input.invoice_id, RESOURCE_TYPE, "invoice_id"),
            input.amount,
            input.reason,
            idempotency_key=input.idempotency_key,
        )
        return AdjustInvoicePayload(invoice=Invoice.from_model(row))


def _new_lines(lines: list[InvoiceLineInput], currency: str) -> list[NewInvoiceLine]:
    return [
        NewInvoiceLine(
            code=line.code,
            description=line.description,
            quantity=line.quantity,
            unit_price_minor=to_minor(line.unit_price, currency, f"lines.{index}.unit_price_minor"),
            reorderable=line.reorderable,
            sku=line.sku,
        )
        for index, line in enumerate(lines)
    ]


def _new_insurance(insurance: InsuranceInput | None, currency: str) -> NewInsurance | None:
    if insurance is None:
        return None
    covered = to_minor(insurance.covered_amount, currency, "insurance.covered_minor")
    return NewInsurance(payer_name=insurance.payer_name, covered_minor=covered)
