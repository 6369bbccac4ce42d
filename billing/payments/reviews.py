"""Staff's decision on a payment Stripe reported with another amount or currency than we
asked for (``Payment.review_reason``, set by ``intent_events``): the money Stripe has is
applied to the invoices as asked, kept as the patient's credit, or sent back.

The decision is taken once: a conditional update clears the review flag under the
payment's row lock, so two staff deciding at the same moment cannot both act. Who decided,
when, what and why stays on the payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.timezone import now as tortoise_now

from billing.errors import DomainError, ErrorCode
from billing.payments.listeners import payment_posted
from billing.payments.refunds import open_refund
from billing.payments.reservations import release_reservations
from billing.payments.settlement import IN_FLIGHT, SETTLED, charged_minor, post_payment
from models.enums import (
    AllocationStatus,
    CreditEntryKind,
    PaymentChannel,
    PaymentStatus,
    ReviewResolution,
)
from models.patients import CreditEntry
from models.payments import Payment, PaymentAllocation, Refund

MAX_NOTE_LENGTH = 500
EXCESS_MEMO = "Received beyond what was asked, after review"
CREDIT_MEMO = "Payment kept as credit after review"
RETURNED_MEMO = "Credit returned: the payment was kept as credit after review"
REFUND_REASON = "Returned after review"


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    payment: Payment
    # The refund to ask Stripe for (REFUND), once the decision is committed.
    refund: Refund | None


async def resolve_review(
    payment_id: int,
    resolution: ReviewResolution,
    note: str | None,
    *,
    actor_id: int | None,
    now: datetime,
) -> ReviewOutcome:
    """Apply staff's decision on a flagged payment. Call inside a transaction.

    - ``APPLY``: what Stripe received pays the invoices as the payment asked, as far as it
      goes (a shortfall leaves the rest owed; an excess becomes credit balance). Refused
      with ``CURRENCY_MISMATCH`` when Stripe received another currency.
    - ``APPLY_AS_CREDIT``: the invoices' holds go back and what was received becomes the
      patient's credit balance (in the currency received).
    - ``REFUND``: as credit, then a refund of all of it is opened for Stripe.

    ``NOT_FOUND`` for no such payment, ``CONFLICT`` for one that needs no review (or was
    decided meanwhile), ``INVALID_INPUT`` for a note longer than 500 characters.
    """
    cleaned_note = (note or "").strip()
    if len(cleaned_note) > MAX_NOTE_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"note is at most {MAX_NOTE_LENGTH} characters.", "note"
        )
    payment = await Payment.select_for_update().get_or_none(id=payment_id)
    if payment is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such payment.", "payment_id")
    if (
        payment.review_reason is None
        or payment.channel is not PaymentChannel.CARD
        or payment.status in SETTLED
    ):
        raise DomainError(ErrorCode.CONFLICT, "This payment needs no review.", "payment_id")
    received = charged_minor(payment) if payment.received_minor is None else payment.received_minor
    currency = payment.received_currency or payment.currency
    if resolution is ReviewResolution.APPLY and currency != payment.currency:
        raise DomainError(
            ErrorCode.CURRENCY_MISMATCH,
            f"Stripe received {currency}, not {payment.currency}: keep it as credit or refund it.",
            "resolution",
        )
    claimed = await Payment.filter(id=payment.id, review_reason__isnull=False).update(
        review_reason=None,
        review_resolution=resolution,
        review_note=cleaned_note,
        reviewed_by_id=actor_id,
        reviewed_at=now,
    )
    if claimed != 1:
        raise DomainError(ErrorCode.CONFLICT, "This payment was decided meanwhile.", "payment_id")
    refund = None
    if resolution is ReviewResolution.APPLY:
        await _apply(payment, received, actor_id)
    else:
        await _keep_as_credit(payment, received, currency)
        if resolution is ReviewResolution.REFUND:
            refund = await open_refund(
                payment.id, received, cleaned_note or REFUND_REASON, actor_id=actor_id
            )
    return ReviewOutcome(await Payment.get(id=payment.id), refund)


async def _apply(payment: Payment, received: int, actor_id: int | None) -> None:
    asked = charged_minor(payment)
    paid = min(asked, received)
    if paid != asked:
        # The payment is what was received: the allocations post as far as it goes.
        payment.amount_minor = paid + payment.credit_applied_minor
        await Payment.filter(id=payment.id).update(amount_minor=payment.amount_minor)
    invoice_ids = await post_payment(payment, actor_id=actor_id)
    if received > asked:
        await CreditEntry.create(
            patient_id=payment.patient_id,
            kind=CreditEntryKind.OVERPAYMENT,
            amount_minor=received - asked,
            currency=payment.currency,
            payment_id=payment.id,
            memo=EXCESS_MEMO,
        )
        payment.amount_minor += received - asked
        await Payment.filter(id=payment.id).update(amount_minor=payment.amount_minor)
    await payment_posted(payment, invoice_ids)


async def _keep_as_credit(payment: Payment, received: int, currency: str) -> None:
    held = await PaymentAllocation.filter(payment_id=payment.id, status=AllocationStatus.RESERVED)
    await release_reservations(held)
    if payment.status in IN_FLIGHT and payment.credit_applied_minor:
        # The credit the payment meant to spend was never spent.
        await CreditEntry.create(
            patient_id=payment.patient_id,
            kind=CreditEntryKind.ADJUSTMENT,
            amount_minor=payment.credit_applied_minor,
            currency=payment.currency,
            payment_id=payment.id,
            memo=RETURNED_MEMO,
        )
    await CreditEntry.create(
        patient_id=payment.patient_id,
        kind=CreditEntryKind.OVERPAYMENT,
        amount_minor=received,
        currency=currency,
        payment_id=payment.id,
        memo=CREDIT_MEMO,
    )
    await Payment.filter(id=payment.id).update(
        status=PaymentStatus.SUCCEEDED,
        amount_minor=received,
        credit_applied_minor=0,
        currency=currency,
        failure_message=None,
        updated_at=tortoise_now(),
    )
