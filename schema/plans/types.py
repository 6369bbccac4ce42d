"""GraphQL types of payment plans and their installments."""

from __future__ import annotations

import datetime

import strawberry
from strawberry import relay

from models.enums import InstallmentStatus as InstallmentStatus
from models.enums import PaymentPlanStatus as PaymentPlanStatus
from models.plans import Installment as InstallmentRow
from models.plans import PaymentPlan as PaymentPlanRow
from schema.common import fields
from schema.common.errors import Payload, raise_not_implemented
from schema.common.money import Money
from schema.common.node import NodeLookupNotImplemented

strawberry.enum(PaymentPlanStatus, description="Where a payment plan stands.")
strawberry.enum(InstallmentStatus, description="Where an installment stands.")


@strawberry.type(description="One monthly charge of a payment plan.")
class Installment(NodeLookupNotImplemented, relay.Node):
    id: relay.NodeID[int]
    sequence: int = strawberry.field(description="1 for the first installment, and so on.")
    due_on: datetime.date = strawberry.field(description="When it is charged.")
    status: InstallmentStatus = strawberry.field(description="Where it stands.")
    amount: Money = strawberry.field(description="How much is charged.")

    @classmethod
    def from_model(cls, row: InstallmentRow, currency: str) -> Installment:
        """``currency`` is the plan's."""
        return cls(
            id=row.id,
            sequence=row.sequence,
            due_on=row.due_on,
            status=InstallmentStatus(row.status),
            amount=Money.from_minor(row.amount_minor, currency),
        )


@strawberry.type(description="Invoices paid off by monthly charges to a saved card.")
class PaymentPlan(NodeLookupNotImplemented, relay.Node):
    id: relay.NodeID[int]
    status: PaymentPlanStatus = strawberry.field(description="Where the plan stands.")
    total: Money = strawberry.field(description="The amount the plan covers.")
    monthly_amount: Money = strawberry.field(
        description="Each installment but the last, which is the remainder."
    )
    start_on: datetime.date = strawberry.field(description="When the first installment is due.")
    created_at: datetime.datetime = strawberry.field(description="When the plan was set up.")
    patient_id: strawberry.Private[int]

    @fields.field(description="What is still to be paid.")
    def remaining(self) -> Money:
        raise_not_implemented("A plan's remaining amount")

    @fields.field(description="Every installment, in order.")
    def installments(self) -> list[Installment]:
        raise_not_implemented("A plan's installments")

    @fields.field(description="The next installment to be charged; null when none is left.")
    def next_installment(self) -> Installment | None:
        raise_not_implemented("A plan's next installment")

    @classmethod
    def from_model(cls, row: PaymentPlanRow) -> PaymentPlan:
        return cls(
            id=row.id,
            status=PaymentPlanStatus(row.status),
            total=Money.from_minor(row.total_minor, row.currency),
            monthly_amount=Money.from_minor(row.monthly_minor, row.currency),
            start_on=row.start_on,
            created_at=row.created_at,
            patient_id=row.patient_id,
        )


@strawberry.type(description="One installment of a quoted plan.")
class QuotedInstallment:
    due_on: datetime.date = strawberry.field(description="When it would be charged.")
    amount: Money = strawberry.field(description="How much would be charged.")


@strawberry.type(description="What a payment plan would look like; nothing is saved.")
class PaymentPlanQuote(Payload):
    total: Money | None = strawberry.field(
        default=None, description="The amount the plan would cover."
    )
    minimum_monthly: Money | None = strawberry.field(
        default=None, description="The smallest monthly amount allowed for these invoices."
    )
    installments: list[QuotedInstallment] = strawberry.field(
        default_factory=list,
        description="Each monthlyAmount, then the remainder (more than 0, at most monthlyAmount).",
    )
