"""Mutations on invoices, with their inputs and payloads."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import Info, relay
from tortoise.transactions import in_transaction

from auth.scopes import Scope
from billing.errors import DomainError, ErrorCode
from billing.invoices.reorders import reorder_items
from billing.invoices.rules import (
    NewInsurance,
    NewInvoiceLine,
    adjust_invoice,
    create_invoice,
    invoice_currency,
    record_insurance_decision,
)
from billing.money import normalize_currency, to_minor
from models.enums import AuditOutcome
from models.invoices import Invoice as InvoiceRow
from schema.common import fields
from schema.common.errors import Payload, UserError
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.invoices.inputs import row_id
from schema.invoices.types import Invoice

RESOURCE_TYPE = "Invoice"
CREATE_ACTION = "invoice.create"
INSURANCE_DECISION_ACTION = "invoice.insurance_decision"
ADJUST_ACTION = "invoice.adjust"
REORDER_ACTION = "invoice.reorder"


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
    )
    async def reorder_items(
        self,
        info: Info[GraphQLContext, Any],
        invoice_id: relay.GlobalID,
        line_ids: list[relay.GlobalID] | None = None,
    ) -> ReorderItemsPayload:
        context = info.context
        try:
            patient_id = context.viewer.patient_id
            original_id = row_id(invoice_id, RESOURCE_TYPE, "invoice_id")
            if patient_id is None:  # Only a patient holds BILLING_OWN_PAY; no invoice is theirs.
                raise DomainError(ErrorCode.NOT_FOUND, "No such invoice.", "invoice_id")
            chosen = None
            if line_ids is not None:
                chosen = [
                    row_id(line_id, "InvoiceLine", f"line_ids.{index}")
                    for index, line_id in enumerate(line_ids)
                ]
            async with in_transaction():
                row = await reorder_items(patient_id, original_id, chosen)
                await _audit_success(context, REORDER_ACTION, row, reference=str(original_id))
        except DomainError as error:
            _audit_failure(context, REORDER_ACTION, error)
            return ReorderItemsPayload(errors=[UserError.from_domain_error(error)])
        return ReorderItemsPayload(invoice=Invoice.from_model(row))

    @fields.mutation(
        description="Issue an invoice, with its lines and any expected insurance. Staff only.",
        permission_classes=[requires(Scope.INVOICES_WRITE)],
    )
    async def create_invoice(
        self, info: Info[GraphQLContext, Any], input: CreateInvoiceInput
    ) -> CreateInvoicePayload:
        context = info.context
        try:
            currency = normalize_currency(input.currency)
            async with in_transaction():
                row = await create_invoice(
                    row_id(input.patient_id, "Patient", "patient_id"),
                    row_id(input.location_id, "Location", "location_id"),
                    input.provider_name,
                    input.service_date,
                    input.due_at,
                    currency,
                    _new_lines(input.lines, currency),
                    _new_insurance(input.insurance, currency),
                )
                await _audit_success(context, CREATE_ACTION, row)
        except DomainError as error:
            _audit_failure(context, CREATE_ACTION, error)
            return CreateInvoicePayload(errors=[UserError.from_domain_error(error)])
        return CreateInvoicePayload(invoice=Invoice.from_model(row))

    @fields.mutation(
        description=(
            "Record what an insurer paid and denied of an invoice's pending cover; the denied "
            "part becomes the patient's to pay. Staff only."
        ),
        permission_classes=[requires(Scope.INVOICES_WRITE)],
    )
    async def record_insurance_decision(
        self, info: Info[GraphQLContext, Any], input: InsuranceDecisionInput
    ) -> RecordInsuranceDecisionPayload:
        context = info.context
        try:
            invoice_id = row_id(input.invoice_id, RESOURCE_TYPE, "invoice_id")
            currency = await invoice_currency(invoice_id)
            paid = to_minor(input.paid_amount, currency, "paid_minor")
            denied = to_minor(input.denied_amount, currency, "denied_minor")
            async with in_transaction():
                row = await record_insurance_decision(
                    invoice_id, paid, denied, actor_id=context.viewer.user_id
                )
                await _audit_success(context, INSURANCE_DECISION_ACTION, row)
        except DomainError as error:
            _audit_failure(context, INSURANCE_DECISION_ACTION, error)
            return RecordInsuranceDecisionPayload(errors=[UserError.from_domain_error(error)])
        return RecordInsuranceDecisionPayload(invoice=Invoice.from_model(row))

    @fields.mutation(
        description=(
            "Discount, write off or add to an invoice, as a new ledger row with its reason; "
            "nothing already booked changes. Staff only."
        ),
        permission_classes=[requires(Scope.ADJUSTMENTS_WRITE)],
    )
    async def adjust_invoice(
        self, info: Info[GraphQLContext, Any], input: AdjustInvoiceInput
    ) -> AdjustInvoicePayload:
        context = info.context
        try:
            invoice_id = row_id(input.invoice_id, RESOURCE_TYPE, "invoice_id")
            amount = to_minor(input.amount, await invoice_currency(invoice_id), "amount_minor")
            async with in_transaction():
                row = await adjust_invoice(
                    invoice_id, amount, input.reason, actor_id=context.viewer.user_id
                )
                await _audit_success(context, ADJUST_ACTION, row)
        except DomainError as error:
            _audit_failure(context, ADJUST_ACTION, error)
            return AdjustInvoicePayload(errors=[UserError.from_domain_error(error)])
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


async def _audit_success(
    context: GraphQLContext, action: str, row: InvoiceRow, *, reference: str = ""
) -> None:
    # Inside the change's transaction: the change and its record commit together.
    await context.audit.write_now(
        action,
        AuditOutcome.SUCCESS,
        resource_type=RESOURCE_TYPE,
        resource_id=str(row.id),
        patient_id=row.patient_id,
        reference=reference,
    )


def _audit_failure(context: GraphQLContext, action: str, error: DomainError) -> None:
    context.audit.record_failure(action, error, resource_type=RESOURCE_TYPE)
