"""GraphQL types of payments, refunds and saved cards."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.payments.reads import (
    PaymentAllocationRecord,
    PaymentListing,
    PaymentMethodRecord,
    PaymentRecord,
    RefundRecord,
    count_payments,
)
from models.enums import PaymentChannel as PaymentChannel
from models.enums import PaymentStatus as PaymentStatus
from models.enums import RefundStatus as RefundStatus
from models.payments import Payment as PaymentRow
from models.payments import PaymentAllocation as PaymentAllocationRow
from models.payments import PaymentMethod as PaymentMethodRow
from models.payments import Refund as RefundRow
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.money import Money
from schema.common.permissions import hidden_without
from schema.context import GraphQLContext
from schema.invoices.access import visible_nodes
from schema.invoices.loaders import loaders_for

if TYPE_CHECKING:
    # Invoices and patients show their payments, so their types are imported lazily here.
    from schema.invoices.types import Invoice
    from schema.patients.types import Patient

described_enum(
    PaymentStatus,
    "Where a payment stands.",
    {
        "PENDING": "Started; the card is not confirmed yet. Its amounts are held on the invoices.",
        "REQUIRES_ACTION": (
            "The card holder must authenticate (3-D Secure) before the bank decides: the app "
            "completes it with clientSecret (nextInstallment.clientSecret for an installment). "
            "Its amounts stay held on the invoices."
        ),
        "PROCESSING": "Confirmed; the bank has not decided yet.",
        "SUCCEEDED": "Paid: the invoices' balances went down.",
        "FAILED": "Declined or not completed; failureMessage says why, and the holds went back.",
        "CANCELED": "Abandoned before it was paid; the holds went back.",
        "REFUNDED": "Paid, then all of it given back.",
        "PARTIALLY_REFUNDED": "Paid, then part of it given back (refunded says how much).",
    },
)
described_enum(
    RefundStatus,
    "Where a refund stands.",
    {
        "PENDING": "Asked of Stripe; the money has not gone back yet.",
        "SUCCEEDED": "The money went back to the card (or was handed back).",
        "FAILED": "Stripe could not return it; staff follow up.",
        "CANCELED": "Withdrawn before it went through.",
    },
)
described_enum(
    PaymentChannel,
    "How a payment was made.",
    {
        "CARD": "A card, through Stripe.",
        "CREDIT_BALANCE": "The patient's credit balance alone, without a card.",
        "CHECK": "A check, recorded by staff.",
        "CASH": "Cash, recorded by staff.",
        "BANK_TRANSFER": "A bank transfer, recorded by staff.",
        "BANK_DEBIT": "A debit of a US bank account through Stripe (ACH); it settles days later.",
    },
)


@strawberry.type(description="The part of a payment meant for one invoice.")
class PaymentAllocation:
    amount: Money = strawberry.field(description="How much goes to the invoice.")
    invoice_id: strawberry.Private[int]

    @fields.field(description="The invoice paid.")
    async def invoice(
        self, info: Info[GraphQLContext, None]
    ) -> Annotated[Invoice, strawberry.lazy("schema.invoices.types")]:
        from schema.invoices.types import Invoice  # at call time: the modules import each other

        row = await loaders_for(info).invoice_by_id.load(self.invoice_id)
        if row is None:
            raise ExpectedError(RequestErrorCode.NOT_FOUND, "No such invoice.")
        info.context.record_read("Invoice", row.id, row.patient_id)
        return Invoice.from_model(row)

    @classmethod
    def from_model(
        cls, row: PaymentAllocationRow | PaymentAllocationRecord, currency: str
    ) -> PaymentAllocation:
        """``currency`` is the payment's."""
        return cls(
            amount=Money.from_minor(row.amount_minor, currency),
            invoice_id=row.invoice_id,
        )


@strawberry.type(description="One card charge or offline payment, spread over invoices.")
class Payment(relay.Node):
    id: relay.NodeID[int]
    status: PaymentStatus = strawberry.field(description="Where the payment stands.")
    amount: Money = strawberry.field(
        description="The whole amount paid: the card's share plus any credit balance used."
    )
    failure_message: str | None = strawberry.field(
        description="Why the payment failed, in words fit for the payer; null unless FAILED."
    )
    created_at: datetime.datetime = strawberry.field(description="When the payment began.")
    channel: PaymentChannel = strawberry.field(
        description="Card, credit balance, check, cash or bank transfer."
    )
    credit_applied: Money = strawberry.field(
        description="The part of the amount paid from the patient's credit balance."
    )
    refunded: Money = strawberry.field(description="What has gone back to the card so far.")
    disputed: bool = strawberry.field(
        description="The card holder's bank is disputing the charge; staff follow up."
    )
    review_reason: str | None = strawberry.field(
        description=(
            "Why Stripe's report on this payment was not applied (an amount or currency "
            "other than asked), for staff to resolve; null when nothing needs a look and "
            "for patients."
        ),
        extensions=[hidden_without(Scope.BILLING_ALL_READ)],
    )
    client_secret: str | None = strawberry.field(
        default=None,
        description=(
            "The Stripe PaymentIntent secret the app confirms the card payment with; "
            "only in payInvoices' answer, null elsewhere."
        ),
    )
    patient_id: strawberry.Private[int | None]

    @fields.field(description="The patient who paid; null for an organization's payment.")
    async def patient(
        self, info: Info[GraphQLContext, None]
    ) -> Annotated[Patient, strawberry.lazy("schema.patients.types")] | None:
        from schema.patients.types import Patient  # at call time: the modules import each other

        if self.patient_id is None:
            return None
        return await Patient.load(info, self.patient_id)

    @fields.field(description="How the payment is spread over invoices.")
    async def allocations(self, info: Info[GraphQLContext, None]) -> list[PaymentAllocation]:
        rows = await loaders_for(info).allocations_by_payment.load(self.id)
        return [PaymentAllocation.from_model(row, row.currency) for row in rows]

    @fields.field(
        description=(
            "Refunds of this payment, newest first, pending and failed ones too (each "
            "one's status says); refunded adds up the ones that succeeded."
        )
    )
    async def refunds(self, info: Info[GraphQLContext, None]) -> list[Refund]:
        rows = await loaders_for(info).refunds_by_payment.load(self.id)
        for row in rows:
            info.context.record_read("Refund", row.id, row.patient_id)
        return [Refund.from_model(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Payment | None]:
        """The caller's own payments (any, for staff who read all bills); null otherwise."""
        return await visible_nodes(
            info,
            node_ids,
            required=required,
            resource_type="Payment",
            loader=lambda loaders: loaders.payment_by_id,
            build=cls.from_model,
        )

    @classmethod
    def from_model(
        cls, row: PaymentRow | PaymentRecord, client_secret: str | None = None
    ) -> Payment:
        return cls(
            id=row.id,
            status=PaymentStatus(row.status),
            amount=Money.from_minor(row.amount_minor, row.currency),
            failure_message=row.failure_message,
            created_at=row.created_at,
            channel=PaymentChannel(row.channel),
            credit_applied=Money.from_minor(row.credit_applied_minor, row.currency),
            refunded=Money.from_minor(row.refunded_minor, row.currency),
            disputed=row.disputed,
            review_reason=row.review_reason,
            client_secret=client_secret,
            patient_id=row.patient_id,
        )


@strawberry.type(name="PaymentConnection", description="A page of payments.")
class PaymentConnection(relay.Connection[Payment]):
    # Counted only when totalCount is asked for.
    listing: strawberry.Private[PaymentListing]

    @fields.field(description="How many payments match the filter, on every page.")
    async def total_count(self) -> int:
        return await count_payments(self.listing)


@strawberry.type(description="Money returned to the payer from a payment.")
class Refund(relay.Node):
    id: relay.NodeID[int]
    status: RefundStatus = strawberry.field(description="Where the refund stands.")
    amount: Money = strawberry.field(description="The amount returned.")
    created_at: datetime.datetime = strawberry.field(description="When it was requested.")

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Refund | None]:
        """Refunds of the caller's own payments (any, for staff who read all bills); null
        otherwise."""
        return await visible_nodes(
            info,
            node_ids,
            required=required,
            resource_type="Refund",
            loader=lambda loaders: loaders.refund_by_id,
            build=cls.from_model,
        )

    @classmethod
    def from_model(cls, row: RefundRow | RefundRecord) -> Refund:
        return cls(
            id=row.id,
            status=RefundStatus(row.status),
            amount=Money.from_minor(row.amount_minor, row.currency),
            created_at=row.created_at,
        )


@strawberry.type(description="A card saved at Stripe. The card number never reaches us.")
class PaymentMethod(relay.Node):
    id: relay.NodeID[int]
    brand: str = strawberry.field(description='The card brand, such as "visa".')
    last4: str = strawberry.field(description="The last four digits of the card number.")
    exp_month: int = strawberry.field(description="Expiry month, 1 to 12.")
    exp_year: int = strawberry.field(description="Expiry year, four digits.")
    is_default: bool = strawberry.field(description="Whether payments use it unless told not to.")

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[PaymentMethod | None]:
        """The caller's own saved cards (any, for staff who read all bills), while still
        saved; null otherwise."""
        return await visible_nodes(
            info,
            node_ids,
            required=required,
            resource_type="PaymentMethod",
            loader=lambda loaders: loaders.payment_method_by_id,
            build=cls.from_model,
        )

    @classmethod
    def from_model(cls, row: PaymentMethodRow | PaymentMethodRecord) -> PaymentMethod:
        return cls(
            id=row.id,
            brand=row.brand,
            last4=row.last4,
            exp_month=row.exp_month,
            exp_year=row.exp_year,
            is_default=row.is_default,
        )
