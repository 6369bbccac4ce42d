"""``charge.refunded``: Stripe confirms refunds, and the ledger follows.

The event says how much of a charge is refunded in all, not which refund is new, so the
handler asks Stripe for the intent's refunds and settles each succeeded one we have not
settled yet: ours are found by Stripe id or by the ``refund_ref`` we gave Stripe; a refund
made in Stripe's dashboard gets a row of its own. Each refund settles once (a conditional
update), so duplicate and late events book nothing twice.
"""

from __future__ import annotations

from tortoise.timezone import now

from billing.gateways.stripe import RefundFacts
from billing.payments.reversals import Reversal, post_reversal
from billing.payments.settlement import charged_minor
from billing.payments.stripe_inbox import EventContext, EventEffect, StripeEventData, text_of
from models.enums import AuditOutcome, PaymentStatus, RefundStatus, StripeEventOutcome
from models.payments import Payment, Refund

RESOURCE_TYPE = "Refund"
SUCCEEDED_ACTION = "refund.succeeded"
FAILED_ACTION = "refund.failed"
DASHBOARD_REASON = "Refunded in Stripe's dashboard"
REFUND_REASON = "Refund to the payer's card"
FAILED_MESSAGE = "The card network could not return the money."


async def apply_charge_refunded(event: StripeEventData, context: EventContext) -> EventEffect:
    intent_id = text_of(event.object, "payment_intent")
    if intent_id is None:
        return EventEffect(StripeEventOutcome.FLAGGED, "charge without payment intent")
    payment = await Payment.select_for_update().get_or_none(stripe_payment_intent_id=intent_id)
    if payment is None:
        return EventEffect(StripeEventOutcome.FLAGGED, "charge of no payment")
    settled: list[int] = []
    unplaced = 0
    for facts in reversed(await context.gateway.list_refunds(intent_id)):
        refund = await _our_refund(payment, facts)
        if facts.status in ("failed", "canceled"):
            if await _fail(refund):
                await _audit(context, event, FAILED_ACTION, refund, payment)
            continue
        if facts.status != "succeeded" or not await _settle(refund, facts):
            continue
        result = await post_reversal(
            payment,
            Reversal(
                key=f"refund:{refund.id}",
                amount_minor=facts.amount_minor,
                reason=REFUND_REASON,
                refund_id=refund.id,
            ),
        )
        unplaced += result.unplaced_minor
        settled.append(refund.id)
        await _audit(context, event, SUCCEEDED_ACTION, refund, payment)
    await _update_payment(payment)
    if not settled:
        return EventEffect(StripeEventOutcome.IGNORED, f"payment {payment.id}: no new refund")
    detail = f"payment {payment.id}: refunds {','.join(map(str, settled))} settled"
    if unplaced:
        return EventEffect(StripeEventOutcome.FLAGGED, f"{detail}; {unplaced} found no funds")
    return EventEffect(StripeEventOutcome.APPLIED, detail)


async def _our_refund(payment: Payment, facts: RefundFacts) -> Refund:
    refund = await Refund.select_for_update().get_or_none(stripe_refund_id=facts.refund_id)
    if refund is None and facts.refund_ref and facts.refund_ref.isdigit():
        refund = await Refund.select_for_update().get_or_none(
            id=int(facts.refund_ref), payment_id=payment.id, stripe_refund_id__isnull=True
        )
        if refund is not None:
            await Refund.filter(id=refund.id).update(stripe_refund_id=facts.refund_id)
    if refund is None:
        refund = await Refund.create(
            payment_id=payment.id,
            amount_minor=facts.amount_minor,
            currency=payment.currency,
            status=RefundStatus.PENDING,
            reason=DASHBOARD_REASON,
            stripe_refund_id=facts.refund_id,
        )
    return refund


async def _settle(refund: Refund, facts: RefundFacts) -> bool:
    # Stripe's amount is what left the account, whatever was asked.
    moved = await Refund.filter(
        id=refund.id, status__in=(RefundStatus.PENDING, RefundStatus.FAILED)
    ).update(status=RefundStatus.SUCCEEDED, amount_minor=facts.amount_minor, settled_at=now())
    return moved == 1


async def _fail(refund: Refund) -> bool:
    moved = await Refund.filter(id=refund.id, status=RefundStatus.PENDING).update(
        status=RefundStatus.FAILED, failure_message=FAILED_MESSAGE, settled_at=now()
    )
    return moved == 1


async def _update_payment(payment: Payment) -> None:
    settled = await Refund.filter(payment_id=payment.id, status=RefundStatus.SUCCEEDED)
    refunded = sum(refund.amount_minor for refund in settled)
    if not refunded:
        return
    status = (
        PaymentStatus.REFUNDED
        if refunded >= charged_minor(payment)
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    await Payment.filter(id=payment.id).update(refunded_minor=refunded, status=status)


async def _audit(
    context: EventContext, event: StripeEventData, action: str, refund: Refund, payment: Payment
) -> None:
    await context.audit_effect(
        event,
        action,
        resource_type=RESOURCE_TYPE,
        resource_id=refund.id,
        patient_id=payment.patient_id,
        outcome=AuditOutcome.SUCCESS,
    )
