"""Mutations on payment plans, with their inputs and payloads."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import Info, relay
from tortoise.transactions import in_transaction

from auth.scopes import Scope
from billing.errors import DomainError
from billing.plans.rules import cancel_payment_plan, create_payment_plan
from models.enums import AuditOutcome
from models.plans import PaymentPlan as PaymentPlanRow
from schema.common import fields
from schema.common.errors import Payload, UserError
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.invoices.inputs import row_id
from schema.plans.inputs import invoice_row_ids, own_patient_id, plan_rules
from schema.plans.types import RESOURCE_TYPE, PaymentPlan

CREATE_ACTION = "payment_plan.create"
CANCEL_ACTION = "payment_plan.cancel"


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
        description=(
            "Set up a payment plan for the signed-in patient: the invoices' balances in "
            "monthly installments charged to a saved card, the first one on startOn."
        ),
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def create_payment_plan(
        self, info: Info[GraphQLContext, Any], input: CreatePaymentPlanInput
    ) -> CreatePaymentPlanPayload:
        context = info.context
        try:
            patient_id = own_patient_id(context)
            invoice_ids = invoice_row_ids(input.invoice_ids)
            card_id = row_id(input.payment_method_id, "PaymentMethod", "payment_method_id")
            async with in_transaction():
                row = await create_payment_plan(
                    patient_id,
                    invoice_ids,
                    input.monthly_amount,
                    card_id,
                    input.start_on,
                    plan_rules(context.settings),
                )
                await _audit_now(context, CREATE_ACTION, row)
        except DomainError as error:
            context.audit.record_failure(
                CREATE_ACTION,
                error,
                resource_type=RESOURCE_TYPE,
                patient_id=context.viewer.patient_id,
            )
            return CreatePaymentPlanPayload(errors=[UserError.from_domain_error(error)])
        return CreatePaymentPlanPayload(plan=PaymentPlan.from_model(row))

    @fields.mutation(
        description="Stop one of the signed-in patient's plans; what is unpaid stays owed.",
        permission_classes=[requires(Scope.BILLING_OWN_PAY)],
    )
    async def cancel_payment_plan(
        self, info: Info[GraphQLContext, Any], id: relay.GlobalID
    ) -> CancelPaymentPlanPayload:
        context = info.context
        try:
            patient_id = own_patient_id(context)
            plan_id = row_id(id, RESOURCE_TYPE, "id")
            async with in_transaction():
                row = await cancel_payment_plan(patient_id, plan_id)
                await _audit_now(context, CANCEL_ACTION, row)
        except DomainError as error:
            context.audit.record_failure(
                CANCEL_ACTION,
                error,
                resource_type=RESOURCE_TYPE,
                patient_id=context.viewer.patient_id,
            )
            return CancelPaymentPlanPayload(errors=[UserError.from_domain_error(error)])
        return CancelPaymentPlanPayload(plan=PaymentPlan.from_model(row))


async def _audit_now(context: GraphQLContext, action: str, row: PaymentPlanRow) -> None:
    # Inside the change's transaction: the plan and its record commit together.
    await context.audit.write_now(
        action,
        AuditOutcome.SUCCESS,
        resource_type=RESOURCE_TYPE,
        resource_id=str(row.id),
        patient_id=row.patient_id,
    )
