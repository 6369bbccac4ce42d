"""What else follows when a payment posts or fails, whatever the channel: payment plans
covering the invoices paid are shortened or completed, and installments learn their fate.
Called inside the transaction of the posting or failure."""

from __future__ import annotations

from collections.abc import Sequence

from billing.installment_outcomes import installment_failed, installment_paid
from billing.plan_payoff import after_invoices_paid
from models.payments import Payment


async def payment_posted_hooks(payment: Payment, invoice_ids: Sequence[int]) -> None:
    """After ``payment`` posted to ``invoice_ids``."""
    if payment.installment_id is not None:
        await installment_paid(payment)
    await after_invoices_paid(invoice_ids)


async def payment_failed_hooks(payment: Payment, failure_message: str | None) -> None:
    """After ``payment`` failed."""
    if payment.installment_id is not None:
        await installment_failed(payment, failure_message)
