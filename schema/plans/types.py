"""GraphQL types of payment plans and their installments."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import Info, relay

from billing.errors import DomainError
from billing.gateways.stripe import stripe_gateway
from billing.plans.reads import authentication_secret
from billing.plans.rules import UNPAID
from models.enums import InstallmentStatus as InstallmentStatus
from models.enums import PaymentPlanStatus as PaymentPlanStatus
from models.plans import Installment as InstallmentRow
from models.plans import PaymentPlan as PaymentPlanRow
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.errors import Payload
from schema.common.money import Money
from schema.common.node import visible_nodes_by_id
from schema.context import GraphQLContext
from schema.plans.loaders import plan_loaders

RESOURCE_TYPE = "PaymentPlan"

described_enum(
    PaymentPlanStatus,
    "Where a payment plan stands.",
    {
        "ACTIVE": "Installments are being charged as they fall due.",
        "COMPLETED": "Everything the plan covers was paid.",
        "DEFAULTED": "An installment stayed declined after its last retry; staff follow up.",
        "CANCELED": "The patient stopped it; what was unpaid stays owed on the invoices.",
    },
)
described_enum(
    InstallmentStatus,
    "Where an installment stands.",
    {
        "SCHEDULED": "Not charged yet; charged on dueOn.",
        "PAID": "Charged and settled.",
        "FAILED": "The charge was declined; retried on nextAttemptOn when that is set.",
        "CANCELED": "Not charged: the plan ended, or what it covered was paid otherwise.",
        "NEEDS_AUTHENTICATION": (
            "Charged off-session, the card's bank asked for the patient (3-D Secure): it waits, "
            "without retries, until the patient confirms it in the app with clientSecret."
        ),
    },
)


@strawberry.type(description="One monthly charge of a payment plan.")
class Installment(relay.Node):
    id: relay.NodeID[int]
    sequence: int = strawberry.field(description="1 for the first installment, and so on.")
    due_on: datetime.date = strawberry.field(description="When it is charged.")
    status: InstallmentStatus = strawberry.field(description="Where it stands.")
    amount: Money = strawberry.field(description="How much is charged.")
    next_attempt_on: datetime.date | None = strawberry.field(
        default=None,
        description="When a FAILED installment is charged again; null when it is not retried.",
    )
    patient_id: strawberry.Private[int]

    @fields.field(
        description=(
            "For a NEEDS_AUTHENTICATION installment, the Stripe PaymentIntent secret the "
            "patient's app confirms it with (with the plan's saved card, which then asks for "
            "3-D Secure); null otherwise, for anyone but the patient, and while Stripe cannot "
            "be reached (ask again)."
        )
    )
    async def client_secret(self, info: Info[GraphQLContext, Any]) -> str | None:
        context = info.context
        if self.status is not InstallmentStatus.NEEDS_AUTHENTICATION:
            return None
        if context.viewer.patient_id != self.patient_id:
            return None
        try:
            return await authentication_secret(
                self.id, self.patient_id, stripe_gateway(context.settings)
            )
        except DomainError:
            return None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Installment | None]:
        """Installments of the caller's own plans (any, for staff who read all bills);
        null otherwise."""

        def record(context: GraphQLContext, row: InstallmentRow) -> None:
            context.record_read("Installment", row.id, row.plan.patient_id)

        return await visible_nodes_by_id(
            info,
            node_ids,
            required=required,
            load=plan_loaders(info).installment_by_id.load_many,
            build=lambda row: cls.from_model(row, row.plan.currency, row.plan.patient_id),
            record=record,
        )

    @classmethod
    def from_model(cls, row: InstallmentRow, currency: str, patient_id: int) -> Installment:
        """``currency`` and ``patient_id`` are the plan's."""
        return cls(
            id=row.id,
            sequence=row.sequence,
            due_on=row.due_on,
            status=InstallmentStatus(row.status),
            amount=Money.from_minor(row.amount_minor, currency),
            next_attempt_on=row.next_attempt_on,
            patient_id=patient_id,
        )


@strawberry.type(description="Invoices paid off by monthly charges to a saved card.")
class PaymentPlan(relay.Node):
    id: relay.NodeID[int]
    status: PaymentPlanStatus = strawberry.field(description="Where the plan stands.")
    total: Money = strawberry.field(description="The amount the plan covers.")
    monthly_amount: Money = strawberry.field(
        description=(
            "Each installment but the last, which is the remainder (with a remainder "
            "below the smallest card charge added to it)."
        )
    )
    start_on: datetime.date = strawberry.field(description="When the first installment is due.")
    created_at: datetime.datetime = strawberry.field(description="When the plan was set up.")
    ended_at: datetime.datetime | None = strawberry.field(
        default=None, description="When it was completed, canceled or defaulted; null if active."
    )
    patient_id: strawberry.Private[int]
    currency: strawberry.Private[str]

    @fields.field(description="The patient whose plan it is.", name="patientId")
    def patient_global_id(self) -> relay.GlobalID:
        return relay.GlobalID("Patient", str(self.patient_id))

    @fields.field(
        description=(
            "What the plan is still to collect: its unpaid installments (those in default, "
            "for a DEFAULTED plan); zero once it is completed or canceled."
        )
    )
    async def remaining(self, info: Info[GraphQLContext, Any]) -> Money:
        rows = await self._installments(info)
        owed = sum(row.amount_minor for row in rows if row.status in UNPAID)
        return Money.from_minor(owed, self.currency)

    @fields.field(description="Every installment, in order.")
    async def installments(self, info: Info[GraphQLContext, Any]) -> list[Installment]:
        rows = await self._installments(info)
        return [Installment.from_model(row, self.currency, self.patient_id) for row in rows]

    @fields.field(
        description="The next installment to be charged; null when none is left to charge."
    )
    async def next_installment(self, info: Info[GraphQLContext, Any]) -> Installment | None:
        if self.status is not PaymentPlanStatus.ACTIVE:
            return None
        unpaid = [row for row in await self._installments(info) if row.status in UNPAID]
        return Installment.from_model(unpaid[0], self.currency, self.patient_id) if unpaid else None

    async def _installments(self, info: Info[GraphQLContext, Any]) -> list[InstallmentRow]:
        return await plan_loaders(info).installments_by_plan.load(self.id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[PaymentPlan | None]:
        """The caller's own plans (any, for staff who read all bills); null otherwise."""

        def record(context: GraphQLContext, row: PaymentPlanRow) -> None:
            context.record_read(RESOURCE_TYPE, row.id, row.patient_id)

        return await visible_nodes_by_id(
            info,
            node_ids,
            required=required,
            load=plan_loaders(info).plan_by_id.load_many,
            build=cls.from_model,
            record=record,
        )

    @classmethod
    def from_model(cls, row: PaymentPlanRow) -> PaymentPlan:
        return cls(
            id=row.id,
            status=PaymentPlanStatus(row.status),
            total=Money.from_minor(row.total_minor, row.currency),
            monthly_amount=Money.from_minor(row.monthly_minor, row.currency),
            start_on=row.start_on,
            created_at=row.created_at,
            ended_at=row.ended_at,
            patient_id=row.patient_id,
            currency=row.currency,
        )


@strawberry.type(description="A page of payment plans.")
class PaymentPlanConnection(relay.Connection[PaymentPlan]):
    pass


@strawberry.type(description="One installment of a quoted plan.")
class QuotedInstallment:
    due_on: datetime.date = strawberry.field(description="When it would be charged.")
    amount: Money = strawberry.field(description="How much would be charged.")


@strawberry.type(description="What a payment plan would look like; nothing is saved.")
class PaymentPlanQuote(Payload):
    total: Money | None = strawberry.field(
        default=None,
        description="The amount the plan would cover; null on errors but MONTHLY_AMOUNT_TOO_LOW.",
    )
    minimum_monthly: Money | None = strawberry.field(
        default=None,
        description=(
            "The smallest monthly amount allowed for these invoices; also given with "
            "MONTHLY_AMOUNT_TOO_LOW."
        ),
    )
    installments: list[QuotedInstallment] = strawberry.field(
        default_factory=list,
        description=(
            "Each monthlyAmount, then the remainder (more than 0, at most monthlyAmount); "
            "a remainder below the smallest card charge is added to the one before it "
            "instead. Empty on errors."
        ),
    )
