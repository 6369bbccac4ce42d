"""``charge.dispute.created`` / ``charge.dispute.closed``: a card holder disputes a payment.

An open dispute flags the payment and every invoice it paid, for staff, and refunds of it
are refused meanwhile (``billing.payments.refunds``). When the dispute closes the flags
clear (unless another dispute is still open); a lost dispute means the bank took the money
back, so the ledger reverses it as it would a refund. A lost dispute that finds the money
already refunded (a refund made before the dispute, or in Stripe's dashboard) has paid the
card holder twice: the payment is flagged for staff review (``Payment.review_reason``) and
the event's outcome is FLAGGED. A dispute closes once: a late ``created`` after ``closed``
finds the row and changes nothing.
"""

from __future__ import annotations

from typing import Any

from tortoise.timezone import now

from billing.payments.refunds import returned_minor
from billing.payments.reversals import Reversal, post_reversal
from billing.payments.settlement import charged_minor
from billing.payments.stripe_inbox import EventContext, EventEffect, StripeEventData, text_of
from models.enums import AuditOutcome, DisputeStatus, StripeEventOutcome
from models.invoices import Invoice
from models.payments import Dispute, Payment, PaymentAllocation

RESOURCE_TYPE = "Payment"
OPENED_ACTION = "payment.dispute_opened"
CLOSED_ACTION = "payment.dispute_closed"
LOST_REASON = "Card dispute lost: the bank returned the money to the card holder"
REFUNDED_TWICE_REVIEW = "A lost card dispute took back money already refunded"
_OUTCOMES = {"won": DisputeStatus.WON, "lost": DisputeStatus.LOST}


async def apply_dispute_created(event: StripeEventData, context: EventContext) -> EventEffect:
    found = await _dispute_and_payment(event.object)
    if isinstance(found, EventEffect):
        return found
    dispute, payment, created = found
    if not created:
        return EventEffect(StripeEventOutcome.IGNORED, f"dispute {dispute.id} already known")
    await _refresh_flags(payment)
    await _audit(context, event, OPENED_ACTION, payment)
    return EventEffect(StripeEventOutcome.APPLIED, f"payment {payment.id} disputed")


async def apply_dispute_closed(event: StripeEventData, context: EventContext) -> EventEffect:
    outcome = _OUTCOMES.get(str(event.object.get("status")))
    if outcome is None:
        return EventEffect(StripeEventOutcome.IGNORED, "dispute not decided")
    found = await _dispute_and_payment(event.object)
    if isinstance(found, EventEffect):
        return found
    dispute, payment, _ = found
    moved = await Dispute.filter(id=dispute.id, status=DisputeStatus.OPEN).update(
        status=outcome, closed_at=now()
    )
    if moved != 1:
        return EventEffect(StripeEventOutcome.IGNORED, f"dispute {dispute.id} already closed")
    detail = f"payment {payment.id}: dispute {outcome.value.lower()}"
    flagged = False
    if outcome is DisputeStatus.LOST:
        result = await post_reversal(
            payment,
            Reversal(
                key=f"dispute:{dispute.id}", amount_minor=dispute.amount_minor, reason=LOST_REASON
            ),
        )
        if result.unplaced_minor:
            detail += f"; {result.unplaced_minor} found no funds"
        over = await returned_minor(payment) - charged_minor(payment)
        if over > 0:
            # The refunds and this dispute returned more than the card paid.
            await Payment.filter(id=payment.id).update(review_reason=REFUNDED_TWICE_REVIEW)
            detail += f"; {over} returned twice"
            flagged = True
    await _refresh_flags(payment)
    await _audit(context, event, CLOSED_ACTION, payment)
    outcome_code = StripeEventOutcome.FLAGGED if flagged else StripeEventOutcome.APPLIED
    return EventEffect(outcome_code, detail)


async def _dispute_and_payment(
    obj: dict[str, Any],
) -> tuple[Dispute, Payment, bool] | EventEffect:
    """The dispute's row (made on first sight, whichever event comes first) and its
    payment, row-locked; an ``EventEffect`` to answer when there is none."""
    dispute_id = text_of(obj, "id")
    intent_id = text_of(obj, "payment_intent")
    amount = obj.get("amount")
    if dispute_id is None or intent_id is None or not isinstance(amount, int):
        return EventEffect(StripeEventOutcome.FLAGGED, "dispute without id, intent or amount")
    payment = await Payment.select_for_update().get_or_none(stripe_payment_intent_id=intent_id)
    if payment is None:
        return EventEffect(StripeEventOutcome.FLAGGED, "dispute of no payment")
    dispute = await Dispute.select_for_update().get_or_none(stripe_dispute_id=dispute_id)
    if dispute is not None:
        return dispute, payment, False
    dispute = await Dispute.create(
        payment_id=payment.id,
        stripe_dispute_id=dispute_id,
        status=DisputeStatus.OPEN,
        amount_minor=amount,
        currency=payment.currency,
        stripe_reason=str(obj.get("reason") or "")[:64],
    )
    return dispute, payment, True


async def _refresh_flags(payment: Payment) -> None:
    """Flag the payment and its invoices while any dispute on them is open."""
    open_on_payment = await Dispute.exists(payment_id=payment.id, status=DisputeStatus.OPEN)
    await Payment.filter(id=payment.id).update(disputed=open_on_payment)
    invoice_ids = await PaymentAllocation.filter(payment_id=payment.id).values_list(
        "invoice_id", flat=True
    )
    for invoice_id in invoice_ids:
        payments = PaymentAllocation.filter(invoice_id=invoice_id).values_list(
            "payment_id", flat=True
        )
        flagged = await Dispute.filter(
            payment_id__in=await payments, status=DisputeStatus.OPEN
        ).exists()
        await Invoice.filter(id=invoice_id).update(disputed=flagged)


async def _audit(
    context: EventContext, event: StripeEventData, action: str, payment: Payment
) -> None:
    await context.audit_effect(
        event,
        action,
        resource_type=RESOURCE_TYPE,
        resource_id=payment.id,
        patient_id=payment.patient_id,
        outcome=AuditOutcome.SUCCESS,
    )
