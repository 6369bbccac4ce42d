"""Mutations on payment plans, with their inputs and payloads."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.plans import use_cases
from billing.plans.use_cases import CANCEL_PAYMENT_PLAN, CREATE_PAYMENT_PLAN, RESOURCE_TYPE
from schema.common import fields
from schema.common.errors import Payload
from schema.common.ids import row_id
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.plans.inputs import invoice_row_ids, own_patient_id, plan_rules
from schema.plans.types import PaymentPlan


@strawberry.input(description="A new payment plan, as quoted by quotePaymentPlan.")
class CreatePaymentPlanInput:
    invoice_ids: list[relay.GlobalID] = strawberry.field(description="The invoices covered.")
    monthly_amount: Decimal = strawberry.field(description="Each installment but the last.")
    payment_method_id: relay.GlobalID = strawberry.field(description="The saved card charged.")
    start_on: datetime.date | None = strawberry.field(
        default=None, description="When the first installment is due; null for today."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=(
            "Chosen by the client per attempt (1 to 255 characters); a retry with the same key "
            "returns the first result and changes nothing, the same key with other input is "
            "IDEMPOTENCY_KEY_REUSED. Null: no protection against a repeated request."
        ),
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
        description=(
            "Set up a payment plan for the signed-in patient: the invoices' balances in "
            "monthly installments charged to a saved card, the first one on startOn."
        ),
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
        audit=CREATE_PAYMENT_PLAN,
    )
    async def create_payment_plan(
        self,
        info: Info[GraphQLContext, Any],
        input: Annotated[
            CreatePaymentPlanInput,
            strawberry.argument(description="The plan, as quotePaymentPlan quoted it."),
        ],
    ) -> CreatePaymentPlanPayload:
        context = info.context
        row = await use_cases.create_payment_plan(
            context.audit,
            own_patient_id(context),
            invoice_row_ids(input.invoice_ids),
            input.monthly_amount,
            row_id(input.payment_method_id, "PaymentMethod", "payment_method_id"),
            input.start_on,
            plan_rules(context.settings),
            idempotency_key=input.idempotency_key,
        )
        return CreatePaymentPlanPayload(plan=PaymentPlan.from_model(row))

    @fields.mutation(
        description="Stop one of the signed-in patient's plans; what is unpaid stays owed.",
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
        audit=CANCEL_PAYMENT_PLAN,
    )
    async def cancel_payment_plan(
        self,
        info: Info[GraphQLContext, Any],
        id: Annotated[
            relay.GlobalID, strawberry.argument(description="The plan (a PaymentPlan ID).")
        ],
    ) -> CancelPaymentPlanPayload:
        context = info.context
        row = await use_cases.cancel_payment_plan(
            context.audit, own_patient_id(context), row_id(id, RESOURCE_TYPE, "id")
        )
        return CancelPaymentPlanPayload(plan=PaymentPlan.from_model(row))
