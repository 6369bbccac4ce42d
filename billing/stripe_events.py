"""Stripe events, stored once in the ``StripeEvent`` inbox and applied in the same transaction.

``record_stripe_event`` takes a verified event and the handler its type maps to (the webhook
adapter owns that map). The handler's effects, their audit rows and the inbox row commit
together: a repeated delivery finds the inbox row and changes nothing, and an event that
could not be applied (Stripe unreachable) is not stored, so Stripe delivers it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing.audit import AuditRecord, append_audit_records
from billing.errors import DomainError, ErrorCode
from billing.installment_outcomes import retry_failed_installments
from billing.payment_methods import mark_detached, patient_of_customer, save_card
from billing.stripe_gateway import StripeGateway
from models.enums import AuditOutcome, StripeEventOutcome
from models.payments import PaymentMethod
from models.stripe_events import StripeEvent

STRIPE_ROLE = "stripe"
CARD_SAVED_ACTION = "payment_method.saved"
CARD_DETACHED_ACTION = "payment_method.detached"
RESOURCE_TYPE = "PaymentMethod"
_DETAIL_MAX = 500


@dataclass(frozen=True, slots=True)
class StripeEventData:
    """The parts of a verified Stripe event that handlers read."""

    event_id: str
    type: str
    object: dict[str, Any]
    # When Stripe created the event, Unix seconds: orders events delivered out of order.
    created: int = 0


@dataclass(frozen=True, slots=True)
class EventEffect:
    """What applying an event did, for the inbox row: never PHI, only codes and ids."""

    outcome: StripeEventOutcome
    detail: str = ""


@dataclass(frozen=True, slots=True)
class EventContext:
    """What a handler may use: the gateway, and the audit chain for its effects."""

    gateway: StripeGateway
    audit_key: bytes
    ip_address: str = ""
    request_id: str = ""

    async def audit(self, event: StripeEventData, action: str, row: PaymentMethod) -> None:
        """An audit row for one effect of ``event`` on a saved card."""
        await self.audit_effect(
            event,
            action,
            resource_type=RESOURCE_TYPE,
            resource_id=row.id,
            patient_id=row.patient_id,
        )

    async def audit_effect(
        self,
        event: StripeEventData,
        action: str,
        *,
        resource_type: str,
        resource_id: int,
        patient_id: int | None,
        outcome: AuditOutcome = AuditOutcome.SUCCESS,
    ) -> None:
        """An audit row for one effect of ``event``, referencing the event id."""
        record = AuditRecord(
            action=action,
            outcome=outcome,
            actor_id=None,
            actor_role=STRIPE_ROLE,
            resource_type=resource_type,
            resource_id=str(resource_id),
            patient_id=patient_id,
            ip_address=self.ip_address,
            request_id=self.request_id,
            reference=event.event_id,
        )
        await append_audit_records([record], key=self.audit_key)


EventHandler = Callable[[StripeEventData, EventContext], Awaitable[EventEffect]]


class InboxResult(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    result: InboxResult
    outcome: StripeEventOutcome | None = None


async def record_stripe_event(
    event: StripeEventData, handler: EventHandler | None, context: EventContext
) -> RecordedEvent:
    """Store ``event`` in the inbox and apply it with ``handler`` in one transaction; an
    event without a handler is stored as IGNORED. A repeated event id changes nothing.

    Raises ``DomainError(PAYMENT_PROVIDER_UNAVAILABLE)`` when applying needs Stripe and
    Stripe cannot be reached: nothing is stored then, so the event can be delivered again.
    """
    try:
        return await _store_and_apply(event, handler, context)
    except IntegrityError:
        # A concurrent delivery of the same event stored it first.
        if await StripeEvent.exists(event_id=event.event_id):
            return RecordedEvent(InboxResult.DUPLICATE)
        raise


async def _store_and_apply(
    event: StripeEventData, handler: EventHandler | None, context: EventContext
) -> RecordedEvent:
    async with in_transaction():
        if await StripeEvent.exists(event_id=event.event_id):
            return RecordedEvent(InboxResult.DUPLICATE)
        if handler is None:
            effect = EventEffect(StripeEventOutcome.IGNORED, "unhandled event type")
        else:
            effect = await _apply(event, handler, context)
        await StripeEvent.create(
            event_id=event.event_id,
            type=event.type[:100],
            outcome=effect.outcome.value,
            detail=effect.detail[:_DETAIL_MAX],
        )
    return RecordedEvent(InboxResult.STORED, effect.outcome)


async def _apply(
    event: StripeEventData, handler: EventHandler, context: EventContext
) -> EventEffect:
    try:
        # A savepoint: a handler that gives up midway leaves none of its changes behind.
        async with in_transaction():
            return await handler(event, context)
    except DomainError as error:
        if error.code is ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE:
            raise
        # Stripe answered, but not as the event said it would: keep it for a person to see.
        return EventEffect(StripeEventOutcome.FLAGGED, f"stripe answered {error.code.value}")


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
    await context.audit(event, CARD_SAVED_ACTION, row)
    if row.is_default:
        await retry_failed_installments(patient_id)
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
        await retry_failed_installments(row.patient_id)
    await context.audit(event, CARD_DETACHED_ACTION, row)
    return EventEffect(StripeEventOutcome.APPLIED, f"detached payment method {row.id}")


def text_of(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if isinstance(value, dict):  # an expanded object
        value = value.get("id")
    return value if isinstance(value, str) and value else None
