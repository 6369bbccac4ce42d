"""How a payment in flight ends: its allocations post to the ledger, or its holds go back.

Every function here runs inside the caller's transaction (a webhook's inbox transaction,
or the one that opened a credit-only payment) and moves the payment's status with a
conditional update, so a repeated or late event finds nothing left to do. Statuses only
move forward: nothing leaves ``SUCCEEDED``, and Stripe's word that money was received is
applied whatever the payment's status was, because money taken is never dropped.
"""

from __future__ import annotations

from tortoise.timezone import now

from billing.ledger.credits import patient_credit_balance
from billing.ledger.postings import Posting, post_entries, recompute_invoice
from billing.payments.reservations import release_reservations, settle_reservation
from models.enums import (
    AllocationStatus,
    CreditEntryKind,
    LedgerEntryKind,
    PaymentChannel,
    PaymentStatus,
)
from models.invoices import Invoice
from models.patients import CreditEntry
from models.payments import Payment, PaymentAllocation

# Statuses a payment in flight can leave for SUCCEEDED, FAILED or CANCELED.
IN_FLIGHT = (PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.PROCESSING)
SETTLED = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
)
CREDIT_RETURNED_MEMO = "Credit returned: the payment did not complete"
CREDIT_APPLIED_MEMO = "Credit balance applied to a payment"


def charged_minor(payment: Payment) -> int:
    """What the card is charged: the payment less the credit balance it uses."""
    return int(payment.amount_minor) - int(payment.credit_applied_minor)


async def mark_processing(payment: Payment) -> bool:
    """PENDING, REQUIRES_ACTION (authenticated) or FAILED (the payer retries the intent)
    -> PROCESSING."""
    moved = await Payment.filter(
        id=payment.id,
        status__in=(PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.FAILED),
    ).update(status=PaymentStatus.PROCESSING, failure_message=None, updated_at=now())
    return moved == 1


async def show_bank_debit(payment: Payment) -> None:
    """Refresh the status of the invoices a bank debit pays: PROCESSING while it clears,
    their ledger's status again once it failed or was canceled (``recompute_invoice``)."""
    if payment.channel is not PaymentChannel.BANK_DEBIT:
        return
    allocations = await PaymentAllocation.filter(payment_id=payment.id).order_by("invoice_id")
    for allocation in allocations:
        await recompute_invoice(allocation.invoice_id)


async def mark_requires_action(payment: Payment) -> bool:
    """PENDING (or FAILED, when the payer retries the intent) -> REQUIRES_ACTION: the card
    holder must authenticate. The holds stay; the payment is still in flight. False when it
    had moved on already, so whatever follows is done once."""
    moved = await Payment.filter(
        id=payment.id, status__in=(PaymentStatus.PENDING, PaymentStatus.FAILED)
    ).update(status=PaymentStatus.REQUIRES_ACTION, failure_message=None, updated_at=now())
    if moved == 1:
        payment.status = PaymentStatus.REQUIRES_ACTION
    return moved == 1


async def post_payment(payment: Payment, *, actor_id: int | None = None) -> list[int]:
    """Post the payment's allocations to the ledger and mark it SUCCEEDED.

    Returns the invoice ids posted to (empty when the payment had already succeeded).
    Reserved allocations give their hold back as they post. A payment that had failed (its
    holds and credit already given back) takes back what credit it still can; when the
    patient's credit has since been spent, the allocations post as far as the money goes.
    """
    was = payment.status
    moved = await Payment.filter(id=payment.id, status__not_in=SETTLED).update(
        status=PaymentStatus.SUCCEEDED, failure_message=None, updated_at=now()
    )
    if moved != 1:
        return []
    payment.status = PaymentStatus.SUCCEEDED
    available = charged_minor(payment)
    if was in IN_FLIGHT:
        available += payment.credit_applied_minor
    else:
        available += await _reapply_credit(payment)
    allocations = await PaymentAllocation.filter(payment_id=payment.id).order_by("invoice_id")
    posted: list[int] = []
    for allocation in allocations:
        if allocation.status is AllocationStatus.POSTED:
            continue
        amount = min(allocation.amount_minor, available)
        if amount > 0:
            await _post_allocation(payment, allocation, amount, actor_id)
            posted.append(allocation.invoice_id)
            available -= amount
        await settle_reservation(allocation)
    return posted


async def end_payment(
    payment: Payment, status: PaymentStatus, failure_message: str | None = None
) -> bool:
    """Move an in-flight payment to FAILED or CANCELED (a FAILED one may still be
    CANCELED): its holds on invoice balances and its credit go back. False when the
    payment had already moved past that point, so nothing is given back twice."""
    sources = IN_FLIGHT if status is PaymentStatus.FAILED else (*IN_FLIGHT, PaymentStatus.FAILED)
    was = payment.status
    moved = await Payment.filter(id=payment.id, status__in=sources).update(
        status=status, failure_message=failure_message, updated_at=now()
    )
    if moved != 1:
        return False
    payment.status = status
    payment.failure_message = failure_message
    held = await PaymentAllocation.filter(payment_id=payment.id, status=AllocationStatus.RESERVED)
    await release_reservations(held)
    if was is not PaymentStatus.FAILED and payment.credit_applied_minor:
        await CreditEntry.create(
            patient_id=payment.patient_id,
            kind=CreditEntryKind.ADJUSTMENT,
            amount_minor=payment.credit_applied_minor,
            currency=payment.currency,
            payment_id=payment.id,
            memo=CREDIT_RETURNED_MEMO,
        )
    return True


async def apply_credit(payment: Payment) -> None:
    """Take the payment's credit share off the patient's credit balance."""
    if payment.credit_applied_minor:
        await _take_credit(payment, payment.credit_applied_minor)


async def _reapply_credit(payment: Payment) -> int:
    wanted = payment.credit_applied_minor
    if not wanted or payment.patient_id is None:
        return 0
    left = await patient_credit_balance(payment.patient_id, payment.currency)
    taken = int(max(0, min(wanted, left)))
    if taken:
        await _take_credit(payment, taken)
    return taken


async def _take_credit(payment: Payment, amount_minor: int) -> None:
    await CreditEntry.create(
        patient_id=payment.patient_id,
        kind=CreditEntryKind.APPLIED,
        amount_minor=-amount_minor,
        currency=payment.currency,
        payment_id=payment.id,
        memo=CREDIT_APPLIED_MEMO,
    )


async def _post_allocation(
    payment: Payment, allocation: PaymentAllocation, amount_minor: int, actor_id: int | None
) -> None:
    invoice = await Invoice.get(id=allocation.invoice_id)
    await post_entries(
        invoice,
        [
            Posting(
                LedgerEntryKind.PAYMENT,
                amount_minor,
                payment_id=payment.id,
                actor_id=actor_id,
                reason=f"{payment.channel.value} payment",
                dedupe_key=posting_key(payment.id, allocation.invoice_id),
            )
        ],
    )


def posting_key(payment_id: int, invoice_id: int) -> str:
    """The dedupe key of a payment's ledger row on one invoice."""
    return f"payment:{payment_id}:invoice:{invoice_id}"
