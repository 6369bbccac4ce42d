"""Mutations on payments, refunds and saved cards, with their inputs and payloads."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry import Info, relay
from tortoise.transactions import in_transaction

from auth.scopes import Scope
from billing.errors import DomainError
from billing.invoices import invoice_currency
from billing.money import to_minor
from billing.offline_payments import record_offline_payment
from models.enums import AuditOutcome, PaymentChannel
from schema.common import fields
from schema.common.errors import Payload, UserError, not_implemented_payload
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.invoices.inputs import row_id
from schema.payments.types import Payment, Refund

RESOURCE_TYPE = "Payment"
OFFLINE_PAYMENT_ACTION = "payment.offline"


@strawberry.input(description="How much of a payment goes to one invoice.")
class PaymentAllocationInput:
    invoice_id: relay.GlobalID = strawberry.field(description="The invoice to pay.")
    amount: Decimal = strawberry.field(description="How much; at most the invoice's balance.")


@strawberry.input(description="One card payment for one or more invoices.")
class PayInvoicesInput:
    allocations: list[PaymentAllocationInput] = strawberry.field(
        description="The invoices and the amount for each."
    )
    payment_method_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A saved card; null to pay with a new card."
    )
    use_credit_balance: bool | None = strawberry.field(
        default=False, description="Spend the patient's credit balance first (null: no)."
    )
    idempotency_key: str = strawberry.field(
        description="Chosen by the app per payment attempt; a retry with it pays once."
    )


@strawberry.enum(description="How an offline payment was made.")
class OfflinePaymentMethod(Enum):
    CHECK = "CHECK"
    CASH = "CASH"
    BANK_TRANSFER = "BANK_TRANSFER"


@strawberry.input(description="A payment received outside the app. Staff only.")
class OfflinePaymentInput:
    invoice_id: relay.GlobalID = strawberry.field(description="The invoice paid.")
    amount: Decimal = strawberry.field(description="How much was received.")
    method: OfflinePaymentMethod = strawberry.field(description="How it was paid.")
    reference: str | None = strawberry.field(
        default=None, description="A check number or bank reference."
    )


@strawberry.input(description="Money to return from a payment. Staff only.")
class RefundPaymentInput:
    payment_id: relay.GlobalID = strawberry.field(description="The payment refunded.")
    amount: Decimal = strawberry.field(description="How much; at most what is left of it.")
    reason: str = strawberry.field(
        description="Why, for our audit trail only; never sent to the payment processor."
    )


@strawberry.type(description="The result of a mutation that records a payment.")
class PaymentPayload(Payload):
    payment: Payment | None = strawberry.field(
        default=None, description="The payment; null when errors is not empty."
    )


@strawberry.type(description="The result of payInvoices.")
class PayInvoicesPayload(PaymentPayload):
    pass


@strawberry.type(description="The result of recordOfflinePayment.")
class RecordOfflinePaymentPayload(PaymentPayload):
    pass


@strawberry.type(description="The result of startSavingCard.")
class StartSavingCardPayload(Payload):
    client_secret: str | None = strawberry.field(
        default=None, description="The Stripe SetupIntent secret the app saves the card with."
    )


@strawberry.type(description="The result of removePaymentMethod.")
class RemovePaymentMethodPayload(Payload):
    ok: bool = strawberry.field(default=False, description="True when the card was removed.")


@strawberry.type(description="The result of refundPayment.")
class RefundPaymentPayload(Payload):
    refund: Refund | None = strawberry.field(
        default=None, description="The refund; null when errors is not empty."
    )


@strawberry.type
class PaymentMutation:
    @fields.mutation(
        description=(
            "Pay one or more invoices with one card charge. The app confirms the returned "
            "clientSecret with Stripe; invoices are paid when Stripe reports success."
        ),
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def pay_invoices(self, input: PayInvoicesInput) -> PayInvoicesPayload:
        return not_implemented_payload(PayInvoicesPayload, "Paying invoices")

    @fields.mutation(
        description="Begin saving a card; the card goes straight to Stripe.",
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def start_saving_card(self) -> StartSavingCardPayload:
        return not_implemented_payload(StartSavingCardPayload, "Saving cards")

    @fields.mutation(
        description="Remove one of the signed-in patient's saved cards.",
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def remove_payment_method(self, id: relay.GlobalID) -> RemovePaymentMethodPayload:
        return not_implemented_payload(RemovePaymentMethodPayload, "Removing saved cards")

    @fields.mutation(
        description="Record a check, cash or bank payment. Staff only.",
        permission_classes=[requires(Scope.PAYMENTS_RECORD)],
    )
    async def record_offline_payment(
        self, info: Info[GraphQLContext, Any], input: OfflinePaymentInput
    ) -> RecordOfflinePaymentPayload:
        context = info.context
        try:
            invoice_id = row_id(input.invoice_id, "Invoice", "invoice_id")
            amount = to_minor(input.amount, await invoice_currency(invoice_id), "amount_minor")
            async with in_transaction():
                row = await record_offline_payment(
                    invoice_id,
                    amount,
                    PaymentChannel(input.method.value),
                    input.reference,
                    actor_id=context.viewer.user_id,
                )
                # Inside the payment's transaction: the payment and its record commit together.
                await context.audit.write_now(
                    OFFLINE_PAYMENT_ACTION,
                    AuditOutcome.SUCCESS,
                    resource_type=RESOURCE_TYPE,
                    resource_id=str(row.id),
                    patient_id=row.patient_id,
                    reference=str(invoice_id),
                )
        except DomainError as error:
            context.audit.record(
                OFFLINE_PAYMENT_ACTION,
                AuditOutcome.FAILURE,
                resource_type=RESOURCE_TYPE,
                reference=error.code.value,
            )
            return RecordOfflinePaymentPayload(errors=[UserError.from_domain_error(error)])
        return RecordOfflinePaymentPayload(payment=Payment.from_model(row))

    @fields.mutation(
        description="Refund part or all of a payment. Staff only.",
        permission_classes=[requires(Scope.REFUNDS_WRITE)],
    )
    async def refund_payment(self, input: RefundPaymentInput) -> RefundPaymentPayload:
        return not_implemented_payload(RefundPaymentPayload, "Refunds")
