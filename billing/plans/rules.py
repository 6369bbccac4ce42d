"""Payment plans: setting one up from a quote, canceling it, and ending it.

A plan covers the payable balance of each of its invoices (``PaymentPlanInvoice``) and
collects it in installments charged to a saved card. ``PaymentPlanInvoice.active_invoice_id``
is unique and set only while the plan is active, so an invoice is in one active plan at
most, even when two requests race. Installments in flight (``claimed_at`` set by the
scheduler) are never changed here: their outcome arrives from Stripe.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.payments.saved_cards import own_saved_card
from billing.plans.quotes import PlanQuote, PlanRules, quote_plan
from models.enums import InstallmentStatus, PaymentPlanStatus
from models.payments import PaymentMethod
from models.plans import Installment, PaymentPlan, PaymentPlanInvoice

# Installments still to be collected.
# Installments the plan still means to collect. One that needs the patient's authentication
# stays claimed by its attempt, so only the scheduler's own SCHEDULED / FAILED ones are due.
UNPAID = (
    InstallmentStatus.SCHEDULED,
    InstallmentStatus.FAILED,
    InstallmentStatus.NEEDS_AUTHENTICATION,
)
DUE_AGAIN = (InstallmentStatus.SCHEDULED, InstallmentStatus.FAILED)
ALREADY_IN_PLAN_MESSAGE = "An invoice is already in a payment plan."


async def create_payment_plan(
    patient_id: int,
    invoice_ids: Sequence[int],
    monthly_amount: Decimal,
    payment_method_id: int,
    start_on: date | None,
    rules: PlanRules,
) -> PaymentPlan:
    """Set up a plan for the patient's invoices, charged to one of their saved cards.

    In one transaction: locks the invoices, quotes the plan as ``quote_plan`` does (with its
    errors), and records the plan, what it covers of each invoice and its installments.
    Raises ``NOT_FOUND`` (``payment_method_id``) for a card that is not the patient's,
    ``PAYMENT_METHOD_REQUIRED`` for one that expires before the first installment, and
    ``INVOICE_ALREADY_IN_PLAN`` when another plan took an invoice first.
    """
    async with in_transaction():
        card = await _plan_card(patient_id, payment_method_id)
        quote = await quote_plan(
            patient_id, invoice_ids, monthly_amount, start_on, rules, lock=True
        )
        _check_card_lasts(card, quote.installments[0].due_on)
        plan = await PaymentPlan.create(
            patient_id=patient_id,
            payment_method_id=card.id,
            status=PaymentPlanStatus.ACTIVE,
            total_minor=quote.total_minor,
            monthly_minor=quote.monthly_minor,
            currency=quote.currency,
            start_on=quote.installments[0].due_on,
            retry_days=",".join(str(days) for days in rules.retry_days),
        )
        await _cover_invoices(plan, quote)
        await Installment.bulk_create(
            [
                Installment(
                    plan_id=plan.id,
                    sequence=sequence,
                    due_on=installment.due_on,
                    amount_minor=installment.amount_minor,
                )
                for sequence, installment in enumerate(quote.installments, start=1)
            ]
        )
    return plan


async def cancel_payment_plan(patient_id: int, plan_id: int) -> PaymentPlan:
    """Stop one of the patient's active plans: no installment is charged after this (one
    already in flight still ends as Stripe says). What is unpaid stays owed on the invoices.

    Raises ``NOT_FOUND`` (``id``) for a plan that is not the patient's and ``CONFLICT`` for
    one that is no longer active.
    """
    async with in_transaction():
        plan = await PaymentPlan.select_for_update().get_or_none(id=plan_id, patient_id=patient_id)
        if plan is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such payment plan.", "id")
        if not await end_plan(plan, PaymentPlanStatus.CANCELED):
            raise DomainError(ErrorCode.CONFLICT, "Only an active plan can be canceled.", "id")
    return plan


async def end_plan(plan: PaymentPlan, status: PaymentPlanStatus) -> bool:
    """Move an ACTIVE plan to ``status`` (COMPLETED, CANCELED or DEFAULTED) and free its
    invoices for another plan. A completed or canceled plan's unpaid installments that are
    not in flight are canceled; a defaulted plan keeps them, as the amount in default.
    False when the plan was not active (someone ended it first). Call inside a transaction.
    """
    ended_at = datetime.now(UTC)
    moved = await PaymentPlan.filter(id=plan.id, status=PaymentPlanStatus.ACTIVE).update(
        status=status, ended_at=ended_at
    )
    if moved != 1:
        return False
    plan.status, plan.ended_at = status, ended_at
    await PaymentPlanInvoice.filter(plan_id=plan.id).update(active_invoice_id=None)
    if status is not PaymentPlanStatus.DEFAULTED:
        await Installment.filter(
            plan_id=plan.id, status__in=UNPAID, claimed_at__isnull=True
        ).update(status=InstallmentStatus.CANCELED, next_attempt_on=None)
    return True


def retry_days_of(plan: PaymentPlan) -> tuple[int, ...]:
    """The retry terms stored with the plan."""
    return tuple(int(days) for days in plan.retry_days.split(",") if days)


async def _plan_card(patient_id: int, payment_method_id: int) -> PaymentMethod:
    try:
        return await own_saved_card(patient_id, payment_method_id)
    except DomainError as error:
        raise DomainError(error.code, error.message, "payment_method_id") from None


def _check_card_lasts(card: PaymentMethod, first_due: date) -> None:
    if (card.exp_year, card.exp_month) < (first_due.year, first_due.month):
        raise DomainError(
            ErrorCode.PAYMENT_METHOD_REQUIRED,
            "The card expires before the first installment. Choose another card.",
            "payment_method_id",
        )


async def _cover_invoices(plan: PaymentPlan, quote: PlanQuote) -> None:
    try:
        # A savepoint: on PostgreSQL a failed INSERT would otherwise abort the transaction.
        async with in_transaction():
            await PaymentPlanInvoice.bulk_create(
                [
                    PaymentPlanInvoice(
                        plan_id=plan.id,
                        invoice_id=invoice_id,
                        amount_minor=amount,
                        active_invoice_id=invoice_id,
                    )
                    for invoice_id, amount in sorted(quote.invoice_amounts.items())
                ]
            )
    except IntegrityError:
        raise DomainError(
            ErrorCode.INVOICE_ALREADY_IN_PLAN, ALREADY_IN_PLAN_MESSAGE, "invoice_ids"
        ) from None
