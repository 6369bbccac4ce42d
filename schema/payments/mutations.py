"""Mutations on payments, refunds and saved cards, with their inputs and payloads."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry import Info, relay
from tortoise.transactions import in_transaction

from auth.scopes import Scope
from billing.errors import DomainError, ErrorCode
from billing.gateways.stripe import StripeGateway, stripe_gateway
from billing.invoices.rules import invoice_currency, own_invoice_currencies
from billing.money import to_minor
from billing.payments.card import AllocationRequest, open_card_payment, request_payment_intent
from billing.payments.offline import record_offline_payment
from billing.payments.refunds import open_refund, payment_currency, payment_patient, send_refund
from billing.payments.saved_cards import mark_detached, remove_saved_card, start_saving_card
from billing.plans.installment_outcomes import retry_failed_installments
from models.enums import AuditOutcome, PaymentChannel
from schema.common import fields
from schema.common.errors import Payload, UserError
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.invoices.inputs import row_id
from schema.payments.types import Payment, Refund

RESOURCE_TYPE = "Payment"
PAY_INVOICES_ACTION = "payment.started"
REFUND_RESOURCE = "Refund"
REFUND_ACTION = "refund.requested"
OFFLINE_PAYMENT_ACTION = "payment.offline"
PAYMENT_METHOD_RESOURCE = "PaymentMethod"
START_SAVING_CARD_ACTION = "payment_method.setup_started"
REMOVE_PAYMENT_METHOD_ACTION = "payment_method.removed"


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
    customer_id: str | None = strawberry.field(
        default=None, description="The patient's Stripe Customer id, for the PaymentSheet."
    )
    ephemeral_key: str | None = strawberry.field(
        default=None,
        description="A short-lived Stripe key the PaymentSheet reads the saved cards with.",
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
    async def pay_invoices(
        self, info: Info[GraphQLContext, Any], input: PayInvoicesInput
    ) -> PayInvoicesPayload:
        context = info.context
        try:
            patient_id = _own_patient_id(context)
            requests = await _allocation_requests(patient_id, input.allocations)
            card_id = None
            if input.payment_method_id is not None:
                card_id = row_id(input.payment_method_id, "PaymentMethod", "payment_method_id")
            async with in_transaction():
                payment = await open_card_payment(
                    patient_id,
                    requests,
                    idempotency_key=input.idempotency_key,
                    payment_method_id=card_id,
                    use_credit_balance=bool(input.use_credit_balance),
                )
                await context.audit.write_now(
                    PAY_INVOICES_ACTION,
                    AuditOutcome.SUCCESS,
                    resource_type=RESOURCE_TYPE,
                    resource_id=str(payment.id),
                    patient_id=patient_id,
                )
            intent = await request_payment_intent(payment, _gateway(context))
        except DomainError as error:
            context.audit.record_failure(
                PAY_INVOICES_ACTION,
                error,
                resource_type=RESOURCE_TYPE,
                patient_id=context.viewer.patient_id,
            )
            return PayInvoicesPayload(errors=[UserError.from_domain_error(error)])
        secret = intent.client_secret if intent is not None else None
        return PayInvoicesPayload(payment=Payment.from_model(payment, client_secret=secret))

    @fields.mutation(
        description="Begin saving a card; the card goes straight to Stripe.",
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def start_saving_card(self, info: Info[GraphQLContext, Any]) -> StartSavingCardPayload:
        context = info.context
        try:
            patient_id = _own_patient_id(context)
            setup = await start_saving_card(patient_id, _gateway(context))
        except DomainError as error:
            context.audit.record_failure(
                START_SAVING_CARD_ACTION,
                error,
                resource_type=PAYMENT_METHOD_RESOURCE,
                patient_id=context.viewer.patient_id,
            )
            return StartSavingCardPayload(errors=[UserError.from_domain_error(error)])
        context.audit.record(
            START_SAVING_CARD_ACTION,
            AuditOutcome.SUCCESS,
            resource_type=PAYMENT_METHOD_RESOURCE,
            patient_id=patient_id,
        )
        return StartSavingCardPayload(
            client_secret=setup.client_secret,
            customer_id=setup.customer_id,
            ephemeral_key=setup.ephemeral_key,
        )

    @fields.mutation(
        description="Remove one of the signed-in patient's saved cards.",
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def remove_payment_method(
        self, info: Info[GraphQLContext, Any], id: relay.GlobalID
    ) -> RemovePaymentMethodPayload:
        context = info.context
        try:
            patient_id = _own_patient_id(context)
            card_id = row_id(id, "PaymentMethod", "id")
            card = await remove_saved_card(patient_id, card_id, _gateway(context))
            async with in_transaction():
                # Stripe's payment_method.detached event may have marked it first: still removed.
                if await mark_detached(card.id) and card.is_default:
                    # Another card became the default: failed installments try it.
                    await retry_failed_installments(card.patient_id)
                await context.audit.write_now(
                    REMOVE_PAYMENT_METHOD_ACTION,
                    AuditOutcome.SUCCESS,
                    resource_type=PAYMENT_METHOD_RESOURCE,
                    resource_id=str(card.id),
                    patient_id=card.patient_id,
                )
        except DomainError as error:
            context.audit.record_failure(
                REMOVE_PAYMENT_METHOD_ACTION,
                error,
                resource_type=PAYMENT_METHOD_RESOURCE,
                patient_id=context.viewer.patient_id,
            )
            return RemovePaymentMethodPayload(errors=[UserError.from_domain_error(error)])
        return RemovePaymentMethodPayload(ok=True)

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
            context.audit.record_failure(OFFLINE_PAYMENT_ACTION, error, resource_type=RESOURCE_TYPE)
            return RecordOfflinePaymentPayload(errors=[UserError.from_domain_error(error)])
        return RecordOfflinePaymentPayload(payment=Payment.from_model(row))

    @fields.mutation(
        description="Refund part or all of a payment. Staff only.",
        permission_classes=[requires(Scope.REFUNDS_WRITE)],
    )
    async def refund_payment(
        self, info: Info[GraphQLContext, Any], input: RefundPaymentInput
    ) -> RefundPaymentPayload:
        context = info.context
        try:
            payment_id = row_id(input.payment_id, "Payment", "payment_id")
            amount = to_minor(input.amount, await payment_currency(payment_id), "amount")
            async with in_transaction():
                refund = await open_refund(
                    payment_id, amount, input.reason, actor_id=context.viewer.user_id
                )
                await context.audit.write_now(
                    REFUND_ACTION,
                    AuditOutcome.SUCCESS,
                    resource_type=REFUND_RESOURCE,
                    resource_id=str(refund.id),
                    patient_id=await payment_patient(payment_id),
                    reference=str(payment_id),
                )
            refund = await send_refund(refund, _gateway(context))
        except DomainError as error:
            context.audit.record_failure(REFUND_ACTION, error, resource_type=REFUND_RESOURCE)
            return RefundPaymentPayload(errors=[UserError.from_domain_error(error)])
        return RefundPaymentPayload(refund=Refund.from_model(refund))


async def _allocation_requests(
    patient_id: int, allocations: list[PaymentAllocationInput]
) -> list[AllocationRequest]:
    """The allocations in minor units of each invoice's currency."""
    ids = [
        row_id(allocation.invoice_id, "Invoice", f"allocations.{i}.invoice_id")
        for i, allocation in enumerate(allocations)
    ]
    currencies = await own_invoice_currencies(patient_id, ids)
    requests: list[AllocationRequest] = []
    for i, (invoice_id, allocation) in enumerate(zip(ids, allocations, strict=True)):
        currency = currencies.get(invoice_id)
        if currency is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, "No such invoice.", f"allocations.{i}.invoice_id"
            )
        amount = to_minor(allocation.amount, currency, f"allocations.{i}.amount")
        requests.append(AllocationRequest(invoice_id, amount))
    return requests


def _own_patient_id(context: GraphQLContext) -> int:
    return context.own_patient_id("Only a patient can pay or save cards.")


def _gateway(context: GraphQLContext) -> StripeGateway:
    return stripe_gateway(context.settings)
