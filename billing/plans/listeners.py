"""How a plan learns what happened to its money: the listener the plans domain registers
with payments and invoices (``billing.wiring``)."""

from __future__ import annotations

from collections.abc import Sequence

from billing.plans.installment_outcomes import (
    installment_failed,
    installment_needs_authentication,
    installment_paid,
    retry_failed_installments,
)
from billing.plans.payoff import after_invoices_paid
from models.payments import Payment


class PlanListener:
    """Installments learn their charge's fate; plans shrink or complete as invoices are paid."""

    async def payment_posted(self, payment: Payment, invoice_ids: Sequence[int]) -> None:
        if payment.installment_id is not None:
            await installment_paid(payment)
        await after_invoices_paid(invoice_ids)

    async def payment_failed(self, payment: Payment, failure_message: str | None) -> None:
        if payment.installment_id is not None:
            await installment_failed(payment, failure_message)

    async def payment_needs_authentication(self, payment: Payment) -> None:
        if payment.installment_id is not None:
            await installment_needs_authentication(payment)

    async def default_card_changed(self, patient_id: int) -> None:
        await retry_failed_installments(patient_id)

    async def balances_lowered(self, invoice_ids: Sequence[int]) -> None:
        await after_invoices_paid(invoice_ids)


PLAN_LISTENER = PlanListener()
