"""``setup_intent.succeeded`` and ``payment_method.detached``: Stripe tells us which card a
patient saved, or that a card is gone (detached by us or in Stripe's dashboard)."""

from __future__ import annotations

from billing.payments.listeners import default_card_changed
from billing.payments.saved_cards import mark_detached, patient_of_customer, save_card
from billing.payments.stripe_inbox import EventContext, EventEffect, StripeEventData, text_of
from models.enums import StripeEventOutcome
from models.payments import PaymentMethod

CARD_SAVED_ACTION = "payment_method.saved"
CARD_DETACHED_ACTION = "payment_method.detached"
RESOURCE_TYPE = "PaymentMethod"


async def apply_setup_intent_succeeded(
    event: StripeEventData, context: EventContext
) -> EventEffect:
    """Keep the card a SetupIntent saved, for the patient whose Customer it is."""
    customer_id = text_of(event.object, "customer")
    payment_method_id = text_of(event.object, "payment_method")
    if customer_id is None or payment_method_id is None:
        return EventEffect(StripeEventOutcome.FLAGGED, "setup intent without customer or card")
    patient_id = await patient_of_customer(customer_id)
    if patient_id is None:
        return EventEffect(StripeEventOutcome.FLAGGED, "customer of no patient")
    if await PaymentMethod.exists(stripe_payment_method_id=payment_method_id):
        return EventEffect(StripeEventOutcome.IGNORED, "card already saved")
    card = await context.gateway.retrieve_payment_method(payment_method_id)
    if card.customer_id != customer_id:
        return EventEffect(StripeEventOutcome.FLAGGED, "card not attached to the customer")
    row = await save_card(patient_id, card)
    if row is None:
        return EventEffect(StripeEventOutcome.IGNORED, "card already saved")
    await _audit(context, event, CARD_SAVED_ACTION, row)
    if row.is_default:
        await default_card_changed(patient_id)
    return EventEffect(StripeEventOutcome.APPLIED, f"saved payment method {row.id}")


async def apply_payment_method_detached(
    event: StripeEventData, context: EventContext
) -> EventEffect:
    """Mark a card detached (at Stripe, by us or in Stripe's dashboard)."""
    payment_method_id = text_of(event.object, "id")
    if payment_method_id is None:
        return EventEffect(StripeEventOutcome.FLAGGED, "payment method without id")
    row = await PaymentMethod.get_or_none(stripe_payment_method_id=payment_method_id)
    if row is None:
        return EventEffect(StripeEventOutcome.IGNORED, "card not saved here")
    if not await mark_detached(row.id):
        return EventEffect(StripeEventOutcome.IGNORED, "card already detached")
    if row.is_default:
        await default_card_changed(row.patient_id)
    await _audit(context, event, CARD_DETACHED_ACTION, row)
    return EventEffect(StripeEventOutcome.APPLIED, f"detached payment method {row.id}")


async def _audit(
    context: EventContext, event: StripeEventData, action: str, row: PaymentMethod
) -> None:
    await context.audit_effect(
        event, action, resource_type=RESOURCE_TYPE, resource_id=row.id, patient_id=row.patient_id
    )
