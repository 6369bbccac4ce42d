"""What an installment's charge came to, as Stripe reports it (through the payment webhooks'
hooks, inside their transaction) or as the scheduler learns it at once (a decline).

Each outcome is applied once: a failure only while the installment is still claimed by the
payment that failed, a success only to an installment not yet paid. A failure schedules the
next try from the plan's retry terms (days after the due date, never the same day as the
attempt); the failure after the last retry defaults the plan. Either way the patient is
told, without PHI, through the notification outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from tortoise.transactions import in_transaction

from billing.invoices.reads import patient_today
from billing.notifications.outbox import queue_notification
from billing.plans.rules import UNPAID, end_plan, retry_days_of
from models.enums import InstallmentStatus, PaymentPlanStatus
from models.notifications import NotificationKind
from models.payments import Payment, PaymentMethod
from models.plans import Installment, PaymentPlan


async def installment_paid(payment: Payment) -> None:
    """Mark the installment ``payment`` charged PAID, and complete its plan when nothing
    is left to collect. A repeated call changes nothing."""
    if payment.installment_id is None:
        return
    async with in_transaction():
        installment = await Installment.get_or_none(id=payment.installment_id)
        if installment is None:
            return
        # Money taken is never dropped: even a failed or canceled installment is now paid.
        moved = await Installment.filter(
            id=installment.id, status__not=InstallmentStatus.PAID
        ).update(
            status=InstallmentStatus.PAID,
            paid_at=datetime.now(UTC),
            payment_id=payment.id,
            claimed_at=None,
            next_attempt_on=None,
        )
        if moved == 1:
            await complete_when_collected(installment.plan_id)


async def installment_failed(payment: Payment, failure_message: str | None) -> None:
    """Record that ``payment`` (an attempt at an installment) failed: the installment is
    FAILED with its next try scheduled, or the plan DEFAULTED after the last retry, and the
    patient is told. Only the attempt still holding the installment counts, once.
    ``failure_message`` stays on the payment; the patient's message never repeats it."""
    if payment.installment_id is not None:
        await _fail_attempt(payment.installment_id, lambda row: row.payment_id == payment.id)


async def installment_needs_authentication(payment: Payment) -> None:
    """The bank asked for the patient on ``payment``'s off-session charge: the installment
    waits (``NEEDS_AUTHENTICATION``, still claimed by the attempt, so no scheduler charges
    the card again meanwhile) and the patient is told, once, to confirm it in the app. Not a
    failure: no retry is spent. A repeated call changes nothing."""
    if payment.installment_id is None:
        return
    async with in_transaction():
        moved = await Installment.filter(
            id=payment.installment_id,
            payment_id=payment.id,
            status__in=(InstallmentStatus.SCHEDULED, InstallmentStatus.FAILED),
        ).update(status=InstallmentStatus.NEEDS_AUTHENTICATION, next_attempt_on=None)
        if moved != 1:
            return
        plan = await PaymentPlan.get(installments__id=payment.installment_id)
        await queue_notification(
            plan.patient_id,
            NotificationKind.INSTALLMENT_NEEDS_AUTHENTICATION,
            f"installment-{payment.installment_id}-authenticate-{payment.id}",
        )


async def attempt_failed(installment_id: int, attempt: int) -> None:
    """Record that attempt number ``attempt`` failed before Stripe could decline it (no
    card to charge, or Stripe refused the request): it counts as a decline."""
    await _fail_attempt(installment_id, lambda row: row.attempts == attempt)


async def retry_failed_installments(patient_id: int) -> int:
    """After the patient's default card changed: their active plans charge that card from
    now on, and their failed installments are due again today. How many were made due."""
    card = await PaymentMethod.filter(
        patient_id=patient_id, is_default=True, detached_at__isnull=True
    ).first()
    if card is None:
        return 0
    async with in_transaction():
        plan_ids = [
            row.id
            for row in await PaymentPlan.filter(
                patient_id=patient_id, status=PaymentPlanStatus.ACTIVE
            ).only("id")
        ]
        if not plan_ids:
            return 0
        await PaymentPlan.filter(id__in=plan_ids).update(payment_method_id=card.id)
        return await Installment.filter(
            plan_id__in=plan_ids, status=InstallmentStatus.FAILED, claimed_at__isnull=True
        ).update(next_attempt_on=await patient_today(patient_id))


async def complete_when_collected(plan_id: int) -> bool:
    """Complete an active plan that has nothing left to collect; True when it did."""
    if await Installment.filter(plan_id=plan_id, status__in=UNPAID).exists():
        return False
    plan = await PaymentPlan.get(id=plan_id)
    return await end_plan(plan, PaymentPlanStatus.COMPLETED)


def next_attempt_on(installment: Installment, failures: int, retry_days: tuple[int, ...]) -> date:
    """When a failed installment is tried again after its ``failures``-th failure: the
    retry day after its due date, but never on or before the day of the failed attempt."""
    scheduled = installment.due_on + timedelta(days=retry_days[failures - 1])
    attempted = installment.last_attempted_on or installment.due_on
    return max(scheduled, attempted + timedelta(days=1))


async def _fail_attempt(installment_id: int, is_attempt: Callable[[Installment], bool]) -> None:
    async with in_transaction():
        installment = await Installment.select_for_update().get_or_none(id=installment_id)
        if (
            installment is None
            or installment.claimed_at is None
            or installment.status not in UNPAID
            or not is_attempt(installment)
        ):
            return
        plan = await PaymentPlan.select_for_update().get(id=installment.plan_id)
        await _record_failure(installment, plan)


async def _record_failure(installment: Installment, plan: PaymentPlan) -> None:
    failures = installment.failures + 1
    released = {"claimed_at": None, "failures": failures}
    if plan.status is not PaymentPlanStatus.ACTIVE:
        # Canceled (or ended) while this attempt was in flight: nothing more is tried.
        status = (
            InstallmentStatus.CANCELED
            if plan.status is PaymentPlanStatus.CANCELED
            else InstallmentStatus.FAILED
        )
        await Installment.filter(id=installment.id).update(
            status=status, next_attempt_on=None, **released
        )
        return
    retry_days = retry_days_of(plan)
    if failures > len(retry_days):
        await Installment.filter(id=installment.id).update(
            status=InstallmentStatus.FAILED, next_attempt_on=None, **released
        )
        await end_plan(plan, PaymentPlanStatus.DEFAULTED)
    else:
        await Installment.filter(id=installment.id).update(
            status=InstallmentStatus.FAILED,
            next_attempt_on=next_attempt_on(installment, failures, retry_days),
            **released,
        )
    await queue_notification(
        plan.patient_id,
        NotificationKind.INSTALLMENT_FAILED,
        f"installment-{installment.id}-failure-{failures}",
    )
