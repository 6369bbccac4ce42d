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

from billing.audit.chain import AuditRecord, append_audit_records
from billing.errors import DomainError, ErrorCode
from billing.gateways.stripe import StripeGateway
from models.enums import AuditOutcome, StripeEventOutcome
from models.stripe_events import StripeEvent

STRIPE_ROLE = "stripe"
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


def text_of(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if isinstance(value, dict):  # an expanded object
        value = value.get("id")
    return value if isinstance(value, str) and value else None
