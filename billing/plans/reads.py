"""Reading payment plans for the API: a patient's own, a page of everyone's for staff, and
the installments of a batch of plans in one query.

Like ``billing.invoices.reads``, who may see a plan is decided by an ``Audience`` in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from tortoise.expressions import Q

from billing.gateways.stripe import StripeGateway
from billing.invoices.reads import Audience
from models.enums import InstallmentStatus, PaymentPlanStatus, PaymentStatus
from models.payments import Payment
from models.plans import Installment, PaymentPlan


async def patient_plans(patient_id: int) -> list[PaymentPlan]:
    """The patient's plans, newest first."""
    return await PaymentPlan.filter(patient_id=patient_id).order_by("-created_at", "-id")


async def plans_page(
    statuses: Sequence[PaymentPlanStatus], offset: int, limit: int
) -> list[PaymentPlan]:
    """Every patient's plans (staff), newest first, of ``statuses`` (any when empty)."""
    query = PaymentPlan.all()
    if statuses:
        query = query.filter(status__in=list(statuses))
    return await query.order_by("-created_at", "-id").offset(offset).limit(limit)


async def plans_by_id(audience: Audience, ids: Iterable[int]) -> dict[int, PaymentPlan]:
    """The plans among ``ids`` that the audience may see, by id; others are left out."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await PaymentPlan.filter(audience.restrict(Q(id__in=wanted), organizations=False))
    return {row.id: row for row in rows}


async def installments_by_id(audience: Audience, ids: Iterable[int]) -> dict[int, Installment]:
    """The installments among ``ids`` of plans the audience may see, by id, each with its
    plan at hand (for the currency and the patient); others are left out."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    condition = audience.restrict(Q(id__in=wanted), "plan__patient_id", organizations=False)
    rows = await Installment.filter(condition).select_related("plan")
    return {row.id: row for row in rows}


async def installments_by_plan(plan_ids: Sequence[int]) -> dict[int, list[Installment]]:
    """Each plan's installments, in order."""
    rows = await Installment.filter(plan_id__in=sorted(set(plan_ids))).order_by(
        "plan_id", "sequence"
    )
    grouped: dict[int, list[Installment]] = defaultdict(list)
    for row in rows:
        grouped[row.plan_id].append(row)
    return grouped


async def authentication_secret(
    installment_id: int, patient_id: int, gateway: StripeGateway
) -> str | None:
    """The client secret the patient's app completes a waiting installment's charge with
    (3-D Secure), when the installment is theirs and NEEDS_AUTHENTICATION; None otherwise.
    Read from Stripe each time: the secret is never stored here."""
    installment = await Installment.get_or_none(
        id=installment_id,
        plan__patient_id=patient_id,
        status=InstallmentStatus.NEEDS_AUTHENTICATION,
    )
    if installment is None or installment.payment_id is None:
        return None
    payment = await Payment.get_or_none(
        id=installment.payment_id, status=PaymentStatus.REQUIRES_ACTION
    )
    if payment is None or not payment.stripe_payment_intent_id:
        return None
    intent = await gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
    return intent.client_secret
