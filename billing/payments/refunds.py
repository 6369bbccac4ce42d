"""Refunds of card payments, asked by staff and confirmed by Stripe.

``open_refund`` records a PENDING refund under the payment's row lock, so refunds asked at
the same moment can never add up to more than the card paid. ``send_refund`` asks Stripe
with an idempotency key of the refund's id. The ledger only changes when Stripe confirms,
through ``charge.refunded`` (``billing.payments.refund_events``). Staff's reason stays here: Stripe
is told only its own fixed reason.
"""

from __future__ import annotations

from typing import Any

from tortoise.functions import Sum
from tortoise.queryset import QuerySet
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.gateways.stripe import StripeGateway
from billing.money import require_positive_amount
from billing.payments.settlement import SETTLED, charged_minor
from models.enums import DisputeStatus, PaymentChannel, RefundStatus
from models.payments import Dispute, Payment, Refund

MAX_REASON_LENGTH = 500
NOT_FOUND_MESSAGE = "No such payment."


async def payment_currency(payment_id: int) -> str:
    """The payment's currency, to read an amount given for it; ``NOT_FOUND`` otherwise."""
    found = await Payment.filter(id=payment_id).limit(1).values_list("currency", flat=True)
    if not found:
        raise DomainError(ErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, "payment_id")
    return str(found[0])


async def payment_patient(payment_id: int) -> int | None:
    """The patient a payment belongs to; None for an organization's payment."""
    payment = await Payment.get(id=payment_id).only("id", "patient_id")
    return payment.patient_id


async def open_refund(
    payment_id: int, amount_minor: int, reason: str, *, actor_id: int | None
) -> Refund:
    """Record a PENDING refund of ``amount_minor`` from a succeeded card payment.

    Raises ``DomainError``: ``INVALID_INPUT`` for an empty or too long ``reason`` or a
    payment that did not go through Stripe, ``INVALID_AMOUNT``, ``NOT_FOUND``,
    ``CONFLICT`` for a payment that has not succeeded, ``DISPUTED`` while a card dispute
    of it is open (the bank may take the money back itself: a refund then would pay the
    card holder twice), ``REFUND_EXCEEDS_PAYMENT`` when the amount is more than what is
    left after earlier refunds and lost disputes.
    """
    cleaned = reason.strip()
    if not cleaned or len(cleaned) > MAX_REASON_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"Give a reason of 1 to {MAX_REASON_LENGTH} characters.",
            "reason",
        )
    require_positive_amount(amount_minor, "amount")
    async with in_transaction():
        payment = await Payment.select_for_update().get_or_none(id=payment_id)
        if payment is None:
            raise DomainError(ErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE, "payment_id")
        if payment.channel is not PaymentChannel.CARD or not payment.stripe_payment_intent_id:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                "Only card payments are refunded here; return other payments by hand.",
                "payment_id",
            )
        if payment.status not in SETTLED:
            raise DomainError(
                ErrorCode.CONFLICT,
                "Only a payment that went through can be refunded.",
                "payment_id",
            )
        if await Dispute.exists(payment_id=payment.id, status=DisputeStatus.OPEN):
            raise DomainError(
                ErrorCode.DISPUTED,
                "The card holder disputes this payment; refund it only once the dispute "
                "is decided, and only if the bank did not return the money already.",
                "payment_id",
            )
        if amount_minor > await refundable_minor(payment):
            raise DomainError(
                ErrorCode.REFUND_EXCEEDS_PAYMENT,
                "The amount is more than what is left to refund on the payment.",
                "amount",
            )
        return await Refund.create(
            payment_id=payment.id,
            amount_minor=amount_minor,
            currency=payment.currency,
            status=RefundStatus.PENDING,
            reason=cleaned,
            requested_by_id=actor_id,
        )


async def send_refund(refund: Refund, gateway: StripeGateway) -> Refund:
    """Ask Stripe for ``refund``; a retry never refunds twice (the key is the refund's id).
    When Stripe cannot be reached or refuses, the refund is FAILED, freeing its amount,
    and the error is raised."""
    payment = await Payment.get(id=refund.payment_id)
    try:
        facts = await gateway.create_refund(
            idempotency_key=f"refund-{refund.id}",
            payment_intent_id=str(payment.stripe_payment_intent_id),
            amount_minor=refund.amount_minor,
            refund_ref=str(refund.id),
        )
    except DomainError as error:
        await Refund.filter(id=refund.id, status=RefundStatus.PENDING).update(
            status=RefundStatus.FAILED, failure_message=error.message[:500], settled_at=now()
        )
        raise
    await Refund.filter(id=refund.id, stripe_refund_id__isnull=True).update(
        stripe_refund_id=facts.refund_id
    )
    return await Refund.get(id=refund.id)


async def refundable_minor(payment: Payment) -> int:
    """What can still be refunded: the card's share less refunds pending or done and
    disputes lost."""
    return charged_minor(payment) - await returned_minor(payment)


async def returned_minor(payment: Payment) -> int:
    """What of the payment went back, or is on its way back, to the card: refunds pending
    or done, and disputes lost."""
    refunded = await _sum(
        Refund.filter(
            payment_id=payment.id, status__in=(RefundStatus.PENDING, RefundStatus.SUCCEEDED)
        )
    )
    charged_back = await _sum(Dispute.filter(payment_id=payment.id, status=DisputeStatus.LOST))
    return refunded + charged_back


async def _sum(query: QuerySet[Any]) -> int:
    rows = await query.annotate(total=Sum("amount_minor")).values("total")
    return int(rows[0]["total"] or 0) if rows else 0
