"""What a patient asks of payment plans, one function per request.

Each use case opens its transaction, applies the rules (``billing.plans.rules``) and
appends its access-log record inside that transaction. Expected failures are
``DomainError``s; the API records the refused attempt under the same action.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.idempotency import keyed_request, once
from billing.plans.quotes import PlanRules
from billing.plans.rules import cancel_payment_plan as cancel_plan
from billing.plans.rules import create_payment_plan as set_up_plan
from models.plans import PaymentPlan

RESOURCE_TYPE = "PaymentPlan"
CREATE_PAYMENT_PLAN = AuditedAction("payment_plan.create", RESOURCE_TYPE)
CANCEL_PAYMENT_PLAN = AuditedAction("payment_plan.cancel", RESOURCE_TYPE)


async def create_payment_plan(
    audit: AuditBuffer,
    patient_id: int,
    invoice_ids: Sequence[int],
    monthly_amount: Decimal,
    payment_method_id: int,
    start_on: date | None,
    rules: PlanRules,
    *,
    idempotency_key: str | None = None,
) -> PaymentPlan:
    """Set up a plan for the patient's invoices, charged monthly to a saved card; a retry
    with the same ``idempotency_key`` sets it up once."""
    request = keyed_request(
        CREATE_PAYMENT_PLAN.name,
        audit.actor.user_id,
        idempotency_key,
        list(invoice_ids),
        monthly_amount.normalize(),
        payment_method_id,
        start_on,
    )

    async def set_up() -> PaymentPlan:
        plan = await set_up_plan(
            patient_id, invoice_ids, monthly_amount, payment_method_id, start_on, rules
        )
        await audit.record_success(CREATE_PAYMENT_PLAN, resource_id=plan.id, patient_id=patient_id)
        return plan

    return await once(audit, CREATE_PAYMENT_PLAN, request, set_up, identify=_identify, load=_load)


async def cancel_payment_plan(audit: AuditBuffer, patient_id: int, plan_id: int) -> PaymentPlan:
    """Stop one of the patient's plans; what is unpaid stays owed."""
    async with in_transaction():
        plan = await cancel_plan(patient_id, plan_id)
        await audit.record_success(CANCEL_PAYMENT_PLAN, resource_id=plan.id, patient_id=patient_id)
    return plan


async def _identify(plan: PaymentPlan) -> tuple[int, int | None]:
    return plan.id, plan.patient_id


async def _load(plan_id: int) -> PaymentPlan:
    return await PaymentPlan.get(id=plan_id)
