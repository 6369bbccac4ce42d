"""Stripe's word on PaymentIntents, applied to our payments.

Each handler runs in the webhook inbox's transaction and locks the payment row first.
Statuses only move forward (``billing.payments.settlement``), and an event older than the
newest one already applied to a payment changes nothing, so duplicate, late and
out-of-order deliveries each have at most one effect.
"""

from __future__ import annotations

from typing import Any

from billing.gateways.stripe import AUTHENTICATION_REQUIRED
from billing.money import to_decimal
from billing.payments.card import STRIPE_CHANNELS, wait_for_card_holder
from billing.payments.listeners import payment_failed, payment_posted
from billing.payments.settlement import (
    SETTLED,
    charged_minor,
    end_payment,
    mark_processing,
    post_payment,
    show_bank_debit,
)
from billing.payments.stripe_inbox import EventContext, EventEffect, StripeEventData, text_of
from models.enums import AuditOutcome, PaymentStatus, StripeEventOutcome
from models.payments import Payment

RESOURCE_TYPE = "Payment"
SUCCEEDED_ACTION = "payment.succeeded"
PROCESSING_ACTION = "payment.processing"
REQUIRES_ACTION_ACTION = "payment.requires_action"
FAILED_ACTION = "payment.failed"
CANCELED_ACTION = "payment.canceled"
FLAGGED_ACTION = "payment.flagged"
GENERIC_FAILURE = "The payment did not go through."
_MESSAGE_MAX = 500


async def apply_payment_intent_succeeded(
    event: StripeEventData, context: EventContext
) -> EventEffect:
    """Post the payment's allocations once Stripe has the money, when the amount and
    currency are what we asked for; otherwise flag the payment for staff."""
    payment = await _payment_of(event)
    if payment is None:
        return EventEffect(StripeEventOutcome.FLAGGED, "payment intent of no payment")
    if payment.status in SETTLED:
        return EventEffect(StripeEventOutcome.IGNORED, f"payment {payment.id} already succeeded")
    mismatch = _mismatch(event.object, payment)
    if mismatch is not None:
        received, currency = _received(event.object)
        await Payment.filter(id=payment.id).update(
            review_reason=mismatch, received_minor=received, received_currency=currency
        )
        await _audit(context, event, FLAGGED_ACTION, payment, AuditOutcome.FAILURE)
        return EventEffect(StripeEventOutcome.FLAGGED, f"payment {payment.id}: {mismatch}")
    invoice_ids = await post_payment(payment)
    if payment.review_reason is not None:
        # Stripe's later word matches what was asked: nothing is left to review.
        await Payment.filter(id=payment.id).update(review_reason=None)
    await _stamp(payment, event)
    await payment_posted(payment, invoice_ids)
    await _audit(context, event, SUCCEEDED_ACTION, payment)
    return EventEffect(StripeEventOutcome.APPLIED, f"payment {payment.id} succeeded")


async def apply_payment_intent_processing(
    event: StripeEventData, context: EventContext
) -> EventEffect:
    """The bank is still deciding: the payment shows as PROCESSING."""
    payment = await _payment_of(event)
    if payment is None:
        return EventEffect(StripeEventOutcome.FLAGGED, "payment intent of no payment")
    # A retry after a failure is newer than that failure; a late event of the same
    # second is not.
    if _is_stale(payment, event, strictly_newer=payment.status is PaymentStatus.FAILED):
        return EventEffect(StripeEventOutcome.IGNORED, f"payment {payment.id}: older event")
    if not await mark_processing(payment):
        return EventEffect(StripeEventOutcome.IGNORED, f"payment {payment.id} past processing")
    await show_bank_debit(payment)
    await _stamp(payment, event)
    await _audit(context, event, PROCESSING_ACTION, payment)
    return EventEffect(StripeEventOutcome.APPLIED, f"payment {payment.id} processing")


async def apply_payment_intent_requires_action(
    event: StripeEventData, context: EventContext
) -> EventEffect:
    """The card holder must authenticate (3-D Secure) before the bank decides: the payment
    shows as REQUIRES_ACTION and keeps its holds."""
    payment = await _payment_of(event)
    if payment is None:
        return EventEffect(StripeEventOutcome.FLAGGED, "payment intent of no payment")
    if _is_stale(payment, event, strictly_newer=payment.status is PaymentStatus.FAILED):
        return EventEffect(StripeEventOutcome.IGNORED, f"payment {payment.id}: older event")
    return await _wait_for_card_holder(payment, event, context)


async def apply_payment_intent_failed(event: StripeEventData, context: EventContext) -> EventEffect:
    """The charge failed: the invoices' holds go back, and the patient reads why. An
    off-session charge the bank takes only with the card holder present did not fail: it
    waits for them (REQUIRES_ACTION)."""
    payment = await _payment_of(event)
    if payment is None:
        return EventEffect(StripeEventOutcome.FLAGGED, "payment intent of no payment")
    if _is_stale(payment, event):
        return EventEffect(StripeEventOutcome.IGNORED, f"payment {payment.id}: older event")
    if _needs_card_holder(event.object):
        return await _wait_for_card_holder(payment, event, context)
    message = _failure_message(event.object)
    if not await end_payment(payment, PaymentStatus.FAILED, message):
        return EventEffect(StripeEventOutcome.IGNORED, f"payment {payment.id} not in flight")
    await show_bank_debit(payment)
    await _stamp(payment, event)
    await payment_failed(payment, message)
    await _audit(context, event, FAILED_ACTION, payment)
    return EventEffect(StripeEventOutcome.APPLIED, f"payment {payment.id} failed")


async def apply_payment_intent_canceled(
    event: StripeEventData, context: EventContext
) -> EventEffect:
    """The intent will never be paid: the holds go back for good."""
    payment = await _payment_of(event)
    if payment is None:
        return EventEffect(StripeEventOutcome.FLAGGED, "payment intent of no payment")
    if not await end_payment(payment, PaymentStatus.CANCELED):
        return EventEffect(StripeEventOutcome.IGNORED, f"payment {payment.id} not in flight")
    await show_bank_debit(payment)
    await _stamp(payment, event)
    await _audit(context, event, CANCELED_ACTION, payment)
    return EventEffect(StripeEventOutcome.APPLIED, f"payment {payment.id} canceled")


async def _payment_of(event: StripeEventData) -> Payment | None:
    """Our card payment behind the event's intent, row-locked; found by the intent id, or
    by the opaque ``payment_ref`` we put in its metadata when the id was never stored."""
    intent_id = text_of(event.object, "id")
    if intent_id is None:
        return None
    payment = await Payment.select_for_update().get_or_none(stripe_payment_intent_id=intent_id)
    if payment is not None:
        return payment
    reference = _payment_ref(event.object)
    if reference is None:
        return None
    # The payer of the intent may store its id between the lookup above and this one (the
    # scheduler does, right after Stripe answers): the row lock taken here settles it.
    payment = await Payment.select_for_update().get_or_none(
        id=reference, channel__in=sorted(STRIPE_CHANNELS)
    )
    if payment is None:
        return None
    if payment.stripe_payment_intent_id is None:
        await Payment.filter(id=payment.id).update(stripe_payment_intent_id=intent_id)
        payment.stripe_payment_intent_id = intent_id
    elif payment.stripe_payment_intent_id != intent_id:
        return None
    return payment


def _payment_ref(intent: dict[str, Any]) -> int | None:
    metadata = intent.get("metadata")
    value = metadata.get("payment_ref") if isinstance(metadata, dict) else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _mismatch(intent: dict[str, Any], payment: Payment) -> str | None:
    received = intent.get("amount_received")
    currency = intent.get("currency")
    expected = charged_minor(payment)
    if not isinstance(currency, str) or currency.upper() != payment.currency:
        return f"currency {str(currency)[:3].upper()} instead of {payment.currency}"
    if not isinstance(received, int) or isinstance(received, bool) or received != expected:
        shown = received if isinstance(received, int) else 0
        return (
            f"received {to_decimal(shown, payment.currency)} instead of "
            f"{to_decimal(expected, payment.currency)} {payment.currency}"
        )
    return None


async def _wait_for_card_holder(
    payment: Payment, event: StripeEventData, context: EventContext
) -> EventEffect:
    if not await wait_for_card_holder(payment, None):
        return EventEffect(StripeEventOutcome.IGNORED, f"payment {payment.id} not waiting")
    await _stamp(payment, event)
    await _audit(context, event, REQUIRES_ACTION_ACTION, payment)
    return EventEffect(StripeEventOutcome.APPLIED, f"payment {payment.id} requires action")


def _needs_card_holder(intent: dict[str, Any]) -> bool:
    error = intent.get("last_payment_error")
    if not isinstance(error, dict):
        return False
    return AUTHENTICATION_REQUIRED in (error.get("code"), error.get("decline_code"))


def _received(intent: dict[str, Any]) -> tuple[int | None, str | None]:
    """What Stripe says it received, as far as it says so plausibly."""
    amount = intent.get("amount_received")
    currency = intent.get("currency")
    minor = amount if isinstance(amount, int) and not isinstance(amount, bool) else None
    if minor is not None and minor < 0:
        minor = None
    code = currency.upper() if isinstance(currency, str) and len(currency) == 3 else None
    return minor, code if code and code.isalpha() else None


def _failure_message(intent: dict[str, Any]) -> str:
    error = intent.get("last_payment_error")
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str) or not message.strip():
        return GENERIC_FAILURE
    return message.strip()[:_MESSAGE_MAX]


def _is_stale(payment: Payment, event: StripeEventData, *, strictly_newer: bool = False) -> bool:
    if payment.stripe_event_created is None or not event.created:
        return False
    applied = int(payment.stripe_event_created)
    return event.created <= applied if strictly_newer else event.created < applied


async def _stamp(payment: Payment, event: StripeEventData) -> None:
    if event.created and (
        payment.stripe_event_created is None or event.created > payment.stripe_event_created
    ):
        await Payment.filter(id=payment.id).update(stripe_event_created=event.created)
        payment.stripe_event_created = event.created


async def _audit(
    context: EventContext,
    event: StripeEventData,
    action: str,
    payment: Payment,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
) -> None:
    await context.audit_effect(
        event,
        action,
        resource_type=RESOURCE_TYPE,
        resource_id=payment.id,
        patient_id=payment.patient_id,
        outcome=outcome,
    )
