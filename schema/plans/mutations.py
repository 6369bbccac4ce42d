"""Mutations on payment plans, with their inputs and payloads."""

from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from auth.scopes import Scope
from schema.common import fields
from schema.common.errors import Payload, not_implemented_payload
from schema.common.permissions import requires
from schema.plans.types import PaymentPlan


@strawberry.input(description="A new payment plan, as quoted by quotePaymentPlan.")
class CreatePaymentPlanInput:
    invoice_ids: list[relay.GlobalID] = strawberry.field(description="The invoices covered.")
    monthly_amount: Decimal = strawberry.field(description="Each installment but the last.")
    payment_method_id: relay.GlobalID = strawberry.field(description="The saved card charged.")
    start_on: datetime.date | None = strawberry.field(
        default=None, description="When the first installment is due; null for today."
    )


@strawberry.type(description="The result of a mutation that changes a payment plan.")
class PaymentPlanPayload(Payload):
    plan: PaymentPlan | None = strawberry.field(
        default=None, description="The plan afterwards; null when errors is not empty."
    )


@strawberry.type(description="The result of createPaymentPlan.")
class CreatePaymentPlanPayload(PaymentPlanPayload):
    pass


@strawberry.type(description="The result of cancelPaymentPlan.")
class CancelPaymentPlanPayload(PaymentPlanPayload):
    pass


@strawberry.type
class PlanMutation:
    @fields.mutation(
        description="Set up a payment plan for the signed-in patient.",
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def create_payment_plan(self, input: CreatePaymentPlanInput) -> CreatePaymentPlanPayload:
        return not_implemented_payload(CreatePaymentPlanPayload, "Payment plans")

    @fields.mutation(
        description="Stop one of the signed-in patient's plans; what is unpaid stays owed.",
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def cancel_payment_plan(self, id: relay.GlobalID) -> CancelPaymentPlanPayload:
        return not_implemented_payload(CancelPaymentPlanPayload, "Canceling payment plans")
