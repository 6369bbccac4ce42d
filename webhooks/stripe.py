"""``POST /webhooks/stripe``: Stripe's events, verified, stored once and applied.

A thin adapter: verify ``Stripe-Signature`` over the raw body, check the body is a Stripe
event, pick the handler its type maps to in ``HANDLERS`` and hand both to
``billing.payments.stripe_inbox.record_stripe_event``. Types without a handler are stored as IGNORED
and answered 200. The body holds Stripe's objects, so nothing of it is logged: only codes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
import stripe
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from billing.audit.chain import audit_chain_key
from billing.errors import DomainError
from billing.gateways.stripe import StripeGateway, stripe_gateway
from billing.payments.card_events import apply_payment_method_detached, apply_setup_intent_succeeded
from billing.payments.dispute_events import apply_dispute_closed, apply_dispute_created
from billing.payments.intent_events import (
    apply_payment_intent_canceled,
    apply_payment_intent_failed,
    apply_payment_intent_processing,
    apply_payment_intent_requires_action,
    apply_payment_intent_succeeded,
)
from billing.payments.refund_events import apply_charge_refunded
from billing.payments.stripe_inbox import (
    EventContext,
    EventHandler,
    InboxResult,
    StripeEventData,
    record_stripe_event,
)

if TYPE_CHECKING:
    from config.settings import Settings

SIGNATURE_HEADER = "Stripe-Signature"
# Stripe's own default: a signature older (or newer) than this is refused as a replay.
TOLERANCE_SECONDS = 300

_log = logging.getLogger("billing.webhooks.stripe")

Endpoint = Callable[[Request], Awaitable[Response]]

# Event type -> domain action. Types not listed are stored as IGNORED.
HANDLERS: dict[str, EventHandler] = {
    "setup_intent.succeeded": apply_setup_intent_succeeded,
    "payment_method.detached": apply_payment_method_detached,
    "payment_intent.succeeded": apply_payment_intent_succeeded,
    "payment_intent.processing": apply_payment_intent_processing,
    "payment_intent.requires_action": apply_payment_intent_requires_action,
    "payment_intent.payment_failed": apply_payment_intent_failed,
    "payment_intent.canceled": apply_payment_intent_canceled,
    "charge.refunded": apply_charge_refunded,
    "charge.dispute.created": apply_dispute_created,
    "charge.dispute.closed": apply_dispute_closed,
}


class _Rejected(Exception):
    """The request cannot be taken; ``code`` says why, for the caller and the log."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


def stripe_webhook(settings: Settings, gateway: StripeGateway | None = None) -> Endpoint:
    """The endpoint, bound to the webhook secret, the audit chain key and the gateway."""
    secret = settings.stripe_webhook_secret.reveal().encode()
    audit_key = audit_chain_key(settings.secret_key.reveal())
    stripe = gateway or stripe_gateway(settings)

    async def receive_stripe_event(request: Request) -> Response:
        body = await request.body()
        try:
            verify_signature(body, request.headers.get(SIGNATURE_HEADER), secret, time.time())
            event = parse_event(body)
        except _Rejected as rejection:
            return _answer(rejection.status, rejection.code)
        context = EventContext(
            gateway=stripe,
            audit_key=audit_key,
            ip_address=request.client.host if request.client else "",
            request_id=request.scope.get("state", {}).get("request_id", ""),
        )
        try:
            recorded = await record_stripe_event(event, HANDLERS.get(event.type), context)
        except DomainError as error:
            # Not stored: Stripe delivers the event again later.
            return _answer(503, error.code.value.lower())
        if recorded.result is InboxResult.DUPLICATE:
            return _answer(200, "duplicate")
        outcome = recorded.outcome.value.lower() if recorded.outcome else "stored"
        return _answer(200, outcome)

    return receive_stripe_event


def sign(body: bytes, secret: bytes, timestamp: int) -> str:
    """A ``Stripe-Signature`` value for ``body`` at ``timestamp``, ``t=<t>,v1=<hex>``, as
    Stripe makes it (for the tests and the bench)."""
    return f"t={timestamp},v1={_signature(body, secret, timestamp)}"


def _signature(body: bytes, secret: bytes, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret, signed, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: bytes, now: float) -> None:
    """Raise ``_Rejected`` (400) unless ``header`` signs ``body`` under ``secret`` and its
    timestamp is within ``TOLERANCE_SECONDS`` of ``now``, either way.

    The signature is checked by the Stripe SDK (``WebhookSignature.verify_header``: any of
    several ``v1`` entries, compared in constant time). The SDK refuses only old timestamps;
    a timestamp in the future is refused here too, so a signature leaked ahead of time
    cannot be replayed later."""
    if not header:
        raise _Rejected(400, "missing_signature")
    try:
        stripe.WebhookSignature.verify_header(body, header, secret.decode())
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        raise _Rejected(400, "bad_signature") from None
    if abs(now - _signed_at(header)) > TOLERANCE_SECONDS:
        raise _Rejected(400, "stale_signature")


def _signed_at(header: str) -> int:
    # The SDK parsed the same header and found a valid signature over this ``t``.
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            return int(value)
    raise _Rejected(400, "bad_signature")


def parse_event(body: bytes) -> StripeEventData:
    """The event in a verified body; ``_Rejected`` (400) when it is not a Stripe event."""
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _Rejected(400, "bad_body") from None
    if not isinstance(event, dict):
        raise _Rejected(400, "bad_body")
    event_id = event.get("id")
    event_type = event.get("type")
    data: Any = event.get("data")
    if (
        not isinstance(event_id, str)
        or not event_id.startswith("evt_")
        or len(event_id) > 255
        or event.get("object") != "event"
        or not isinstance(event_type, str)
        or not event_type
        or not isinstance(data, dict)
        or not isinstance(data.get("object"), dict)
    ):
        raise _Rejected(400, "not_a_stripe_event")
    created = event.get("created")
    return StripeEventData(
        event_id=event_id,
        type=event_type,
        object=data["object"],
        created=created if isinstance(created, int) and not isinstance(created, bool) else 0,
    )


def _answer(status: int, code: str) -> Response:
    _log.info("stripe webhook", extra={"event": code, "status": status})
    return JSONResponse({"received": status == 200, "result": code}, status_code=status)
