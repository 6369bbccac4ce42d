"""Mutations on payments, refunds and saved cards, with their inputs and payloads."""

from __future__ import annotations

import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.gateways.stripe import stripe_gateway
from billing.payments import use_cases
from billing.payments.use_cases import (
    PAY_INVOICES,
    RECORD_OFFLINE_PAYMENT,
    REFUND_PAYMENT,
    REMOVE_PAYMENT_METHOD,
    RESOLVE_PAYMENT_REVIEW,
    START_SAVING_CARD,
    AllocationOrder,
)
from models.enums import PaymentChannel, ReviewResolution
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.errors import Payload
from schema.common.ids import row_id
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.payments.types import Payment, Refund


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


class OfflinePaymentMethod(Enum):
    CHECK = "CHECK"
    CASH = "CASH"
    BANK_TRANSFER = "BANK_TRANSFER"


described_enum(
    OfflinePaymentMethod,
    "How an offline payment was made.",
    {
        "CHECK": "A paper check; give its number as the reference.",
        "CASH": "Cash at the desk.",
        "BANK_TRANSFER": "A bank transfer; give the bank's reference.",
    },
)


@strawberry.input(description="A payment received outside the app. Staff only.")
class OfflinePaymentInput:
    invoice_id: relay.GlobalID = strawberry.field(description="The invoice paid.")
    amount: Decimal = strawberry.field(description="How much was received.")
    method: OfflinePaymentMethod = strawberry.field(description="How it was paid.")
    reference: str | None = strawberry.field(
        default=None, description="A check number or bank reference."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=(
            "Chosen by the client per attempt (1 to 255 characters); a retry with the same key "
            "returns the first result and changes nothing, the same key with other input is "
            "IDEMPOTENCY_KEY_REUSED. Null: no protection against a repeated request."
        ),
    )


@strawberry.input(description="Money to return from a payment. Staff only.")
class RefundPaymentInput:
    payment_id: relay.GlobalID = strawberry.field(description="The payment refunded.")
    amount: Decimal = strawberry.field(description="How much; at most what is left of it.")
    reason: str = strawberry.field(
        description="Why, for our audit trail only; never sent to the payment processor."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=(
            "Chosen by the client per attempt (1 to 255 characters); a retry with the same key "
            "returns the first result and changes nothing, the same key with other input is "
            "IDEMPOTENCY_KEY_REUSED. Null: no protection against a repeated request."
        ),
    )


described_enum(
    ReviewResolution,
    "What happens to a payment Stripe reported with another amount or currency.",
    {
        "APPLY": (
            "Pay the invoices as asked with what Stripe received, as far as it goes; an "
            "excess becomes credit. Refused when Stripe received another currency."
        ),
        "APPLY_AS_CREDIT": (
            "Release the invoices' holds and keep all that arrived as the patient's credit, "
            "in the currency received."
        ),
        "REFUND": "Keep it as credit, then give it back to the card through Stripe.",
    },
    name="PaymentReviewResolution",
)


@strawberry.input(
    description=(
        "Staff's decision on a payment that needs review (reviewReason set): APPLY pays the "
        "invoices as asked with what Stripe received, as far as it goes (an excess becomes "
        "credit; refused when Stripe received another currency); APPLY_AS_CREDIT keeps all "
        "of it as the patient's credit balance; REFUND sends all of it back to the card."
    )
)
class ResolvePaymentReviewInput:
    payment_id: relay.GlobalID = strawberry.field(description="The payment under review.")
    resolution: ReviewResolution = strawberry.field(description="What to do with the money.")
    note: str | None = strawberry.field(
        default=None,
        description="Why, up to 500 characters; kept with the decision, never sent to Stripe.",
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


@strawberry.type(description="The result of resolvePaymentReview.")
class ResolvePaymentReviewPayload(PaymentPayload):
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
        audit=PAY_INVOICES,
    )
    async def pay_invoices(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            PayInvoicesInput,
            strawberry.argument(
                description="What to pay, how, and the idempotency key of the app."
            ),
        ],
    ) -> PayInvoicesPayload:
        context = info.context
        orders = [
            AllocationOrder(
                row_id(allocation.invoice_id, "Invoice", f"allocations.{index}.invoice_id"),
                allocation.amount,
            )
            for index, allocation in enumerate(input.allocations)
        ]
        card_id = None
        if input.payment_method_id is not None:
            card_id = row_id(input.payment_method_id, "PaymentMethod", "payment_method_id")
        started = await use_cases.pay_invoices(
            context.audit,
            _own_patient_id(context),
            orders,
            idempotency_key=input.idempotency_key,
            payment_method_id=card_id,
            use_credit_balance=bool(input.use_credit_balance),
            gateway=stripe_gateway(context.settings),
        )
        return PayInvoicesPayload(
            payment=Payment.from_model(started.payment, client_secret=started.client_secret)
        )

    @fields.mutation(
        description="Begin saving a card; the card goes straight to Stripe.",
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
        audit=START_SAVING_CARD,
    )
    async def start_saving_card(self, info: Info[GraphQLContext, Any]) -> StartSavingCardPayload:
        context = info.context
        setup = await use_cases.start_saving_card(
            context.audit, _own_patient_id(context), stripe_gateway(context.settings)
        )
        return StartSavingCardPayload(
            client_secret=setup.client_secret,
            customer_id=setup.customer_id,
            ephemeral_key=setup.ephemeral_key,
        )

    @fields.mutation(
        description="Remove one of the signed-in patient's saved cards.",
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
        audit=REMOVE_PAYMENT_METHOD,
    )
    async def remove_payment_method(
        self,
        info: Info[GraphQLContext, Any],
        id: Annotated[
            relay.GlobalID, strawberry.argument(description="The saved card (a PaymentMethod ID).")
        ],
    ) -> RemovePaymentMethodPayload:
        context = info.context
        patient_id = _own_patient_id(context)
        await use_cases.remove_payment_method(
            context.audit,
            patient_id,
            row_id(id, "PaymentMethod", "id"),
            stripe_gateway(context.settings),
        )
        return RemovePaymentMethodPayload(ok=True)

    @fields.mutation(
        description="Record a check, cash or bank payment. Staff only.",
        permission_classes=[requires(Scope.PAYMENTS_RECORD)],
        audit=RECORD_OFFLINE_PAYMENT,
    )
    async def record_offline_payment(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            OfflinePaymentInput, strawberry.argument(description="The payment received.")
        ],
    ) -> RecordOfflinePaymentPayload:
        payment = await use_cases.record_offline_payment(
            info.context.audit,
            row_id(input.invoice_id, "Invoice", "invoice_id"),
            input.amount,
            PaymentChannel(input.method.value),
            input.reference,
            idempotency_key=input.idempotency_key,
        )
        return RecordOfflinePaymentPayload(payment=Payment.from_model(payment))

    @fields.mutation(
        description="Refund part or all of a payment. Staff only.",
        permission_classes=[requires(Scope.REFUNDS_WRITE)],
        audit=REFUND_PAYMENT,
    )
    async def refund_payment(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            RefundPaymentInput,
            strawberry.argument(description="The payment, the amount and the reason of staff."),
        ],
    ) -> RefundPaymentPayload:
        context = info.context
        refund = await use_cases.refund_payment(
            context.audit,
            row_id(input.payment_id, "Payment", "payment_id"),
            input.amount,
            input.reason,
            stripe_gateway(context.settings),
            idempotency_key=input.idempotency_key,
        )
        return RefundPaymentPayload(refund=Refund.from_model(refund))

    @fields.mutation(
        description=(
            "Decide what happens to a payment Stripe reported with another amount or "
            "currency than asked; it then leaves the review list (payments(filter: "
            "{needsReview: true})). The decision and who took it are recorded. Staff only."
        ),
        permission_classes=[requires(Scope.PAYMENTS_RECORD, Scope.REFUNDS_WRITE)],
        audit=RESOLVE_PAYMENT_REVIEW,
    )
    async def resolve_payment_review(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            ResolvePaymentReviewInput,
            strawberry.argument(description="The payment under review and the decision."),
        ],
    ) -> ResolvePaymentReviewPayload:
        context = info.context
        payment = await use_cases.resolve_payment_review(
            context.audit,
            row_id(input.payment_id, "Payment", "payment_id"),
            input.resolution,
            input.note,
            stripe_gateway(context.settings),
            now=datetime.datetime.now(datetime.UTC),
        )
        return ResolvePaymentReviewPayload(payment=Payment.from_model(payment))


def _own_patient_id(context: GraphQLContext) -> int:
    return context.own_patient_id("Only a patient can pay or save cards.")
