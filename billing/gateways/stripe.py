"""The one way ``billing`` talks to Stripe: a few async calls through the official SDK.

Only opaque ids go to Stripe (our patient id as ``patient_ref``, Stripe's own ids); never a
name, an email or a date of birth. Stripe's failures come back as ``DomainError``: network
trouble and timeouts as ``PAYMENT_PROVIDER_UNAVAILABLE``, so callers can say "try again".
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import stripe
from stripe.params import (
    PaymentIntentCreateParams,
    RefundCreateParams,
    SetupIntentCreateParams,
)

from billing.errors import DomainError, ErrorCode
from config.settings import Settings

_log = logging.getLogger("billing.stripe_gateway")
# Stripe's code (and decline code) of a charge the bank takes only with the card holder.
AUTHENTICATION_REQUIRED = "authentication_required"

_T = TypeVar("_T")

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_NETWORK_RETRIES = 2

UNAVAILABLE_MESSAGE = "The payment provider cannot be reached right now. Try again shortly."


@dataclass(frozen=True, slots=True)
class SetupIntentStart:
    """A SetupIntent the app confirms with Stripe's SDK to save a card."""

    setup_intent_id: str
    client_secret: str


@dataclass(frozen=True, slots=True)
class CardDetails:
    """What we keep of a card saved at Stripe: its id and display facts only."""

    payment_method_id: str
    customer_id: str | None
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True, slots=True)
class PaymentIntentStart:
    """A PaymentIntent the app confirms with Stripe's SDK (or one confirmed off-session)."""

    payment_intent_id: str
    client_secret: str
    status: str


@dataclass(frozen=True, slots=True)
class RefundFacts:
    """What Stripe says of one refund."""

    refund_id: str
    amount_minor: int
    currency: str
    status: str
    refund_ref: str | None


class StripeGateway:
    """Async calls to Stripe (or the local simulator, through ``api_base``)."""

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_network_retries: int = DEFAULT_NETWORK_RETRIES,
    ) -> None:
        self._http = stripe.HTTPXClient(timeout=timeout_seconds)
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else {},
            http_client=self._http,
            max_network_retries=max_network_retries,
        )

    async def create_customer(self, *, idempotency_key: str, patient_ref: str) -> str:
        """A new Customer's id; a retry with ``idempotency_key`` gets the same Customer."""
        customer = await _call(
            self._client.v1.customers.create_async(
                params={"metadata": {"patient_ref": patient_ref}},
                options={"idempotency_key": idempotency_key},
            )
        )
        return customer.id

    async def create_setup_intent(self, customer_id: str) -> SetupIntentStart:
        """A SetupIntent that saves a card to ``customer_id`` for later off-session use."""
        params: SetupIntentCreateParams = {
            "customer": customer_id,
            "usage": "off_session",
        }
        intent = await _call(self._client.v1.setup_intents.create_async(params=params))
        if not intent.client_secret:
            raise DomainError(ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE, UNAVAILABLE_MESSAGE)
        return SetupIntentStart(setup_intent_id=intent.id, client_secret=intent.client_secret)

    async def create_ephemeral_key(self, customer_id: str) -> str:
        """The secret of a short-lived key the mobile PaymentSheet reads the customer's
        cards with, made for the API version the pinned SDK speaks."""
        key = await _call(
            self._client.v1.ephemeral_keys.create_async(
                params={"customer": customer_id},
                options={"stripe_version": stripe.api_version},
            )
        )
        # An answer without the secret is Stripe misbehaving, not a key: say "try again".
        secret = getattr(key, "secret", None)
        if not isinstance(secret, str) or not secret:
            raise DomainError(ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE, UNAVAILABLE_MESSAGE)
        return secret

    async def retrieve_payment_method(self, payment_method_id: str) -> CardDetails:
        """The display facts of a saved card; ``NOT_FOUND`` when it is not a card."""
        method = await _call(self._client.v1.payment_methods.retrieve_async(payment_method_id))
        card = method.card
        if card is None:
            raise DomainError(ErrorCode.NOT_FOUND, "The payment method is not a card.")
        customer = method.customer
        return CardDetails(
            payment_method_id=method.id,
            customer_id=customer if isinstance(customer, str) or customer is None else customer.id,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    async def detach_payment_method(self, payment_method_id: str) -> None:
        """Detach a card from its customer; a card already detached is left as it is."""
        try:
            await _call(self._client.v1.payment_methods.detach_async(payment_method_id))
        except DomainError as error:
            if error.code is not ErrorCode.CONFLICT:
                raise
            # Stripe refuses to detach a card twice; that is the state we want anyway.
            card = await self.retrieve_payment_method(payment_method_id)
            if card.customer_id is not None:
                raise

    async def create_payment_intent(
        self,
        *,
        idempotency_key: str,
        amount_minor: int,
        currency: str,
        customer_id: str | None,
        payment_ref: str,
        payment_method_id: str | None = None,
        off_session: bool = False,
        payment_method_types: list[str] | None = None,
    ) -> PaymentIntentStart:
        """One PaymentIntent for ``amount_minor``; a retry with ``idempotency_key`` gets the
        same intent. Only ``payment_ref`` (our opaque payment id) goes in the metadata.
        ``off_session`` confirms at once with the saved ``payment_method_id`` (autopay); a
        decline then comes back as ``INVALID_INPUT`` and, as every outcome, by webhook.
        ``payment_method_types`` (such as ``["us_bank_account"]``) limits how it is paid."""
        params: PaymentIntentCreateParams = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "metadata": {"payment_ref": payment_ref},
        }
        if customer_id is not None:
            params["customer"] = customer_id
        if payment_method_types is not None:
            # Stripe's API takes payment_method_types; the SDK's typed params leave it out.
            params["payment_method_types"] = payment_method_types  # type: ignore[typeddict-unknown-key]
        if payment_method_id is not None:
            params["payment_method"] = payment_method_id
        if off_session:
            params["confirm"] = True
            params["off_session"] = True
        intent = await _call(
            self._client.v1.payment_intents.create_async(
                params=params, options={"idempotency_key": idempotency_key}
            )
        )
        return _intent_start(intent)

    async def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentStart:
        """An existing intent, with the client secret the app confirms it with."""
        intent = await _call(self._client.v1.payment_intents.retrieve_async(payment_intent_id))
        return _intent_start(intent)

    async def create_refund(
        self, *, idempotency_key: str, payment_intent_id: str, amount_minor: int, refund_ref: str
    ) -> RefundFacts:
        """Refund ``amount_minor`` of a PaymentIntent's charge. Stripe's reason is always
        ``requested_by_customer``: our staff's own words never leave this service."""
        params: RefundCreateParams = {
            "payment_intent": payment_intent_id,
            "amount": amount_minor,
            "reason": "requested_by_customer",
            "metadata": {"refund_ref": refund_ref},
        }
        refund = await _call(
            self._client.v1.refunds.create_async(
                params=params, options={"idempotency_key": idempotency_key}
            )
        )
        return _refund_facts(refund)

    async def list_refunds(self, payment_intent_id: str) -> list[RefundFacts]:
        """Every refund of a PaymentIntent, newest first."""
        page = await _call(
            self._client.v1.refunds.list_async(
                params={"payment_intent": payment_intent_id, "limit": 100}
            )
        )
        return [_refund_facts(refund) for refund in page.data]

    async def close(self) -> None:
        """Close the pooled HTTP connections."""
        await self._http.close_async()  # type: ignore[no-untyped-call]


@functools.lru_cache(maxsize=4)
def shared_gateway(
    api_key: str,
    api_base: str | None,
    timeout_seconds: float,
    max_network_retries: int,
) -> StripeGateway:
    """The process's gateway for these settings, built on first use and then reused, so
    its connection pool is shared by every request. Every argument is required: the cache
    keys on the arguments as given, so a default left out would build a second pool."""
    return StripeGateway(
        api_key,
        api_base=api_base,
        timeout_seconds=timeout_seconds,
        max_network_retries=max_network_retries,
    )


def stripe_gateway(settings: Settings) -> StripeGateway:
    """The process's shared gateway for ``settings`` (one connection pool per process)."""
    return shared_gateway(*_gateway_arguments(settings))


def new_stripe_gateway(settings: Settings) -> StripeGateway:
    """A gateway of its own for a command that runs once; the caller closes it."""
    api_key, api_base, timeout_seconds, max_network_retries = _gateway_arguments(settings)
    return StripeGateway(
        api_key,
        api_base=api_base,
        timeout_seconds=timeout_seconds,
        max_network_retries=max_network_retries,
    )


def _gateway_arguments(settings: Settings) -> tuple[str, str | None, float, int]:
    # Every caller gets the same key, base, timeout and retries from the settings.
    return (
        settings.stripe_secret_key.reveal(),
        settings.stripe_api_base,
        settings.stripe_timeout_ms / 1000,
        settings.stripe_network_retries,
    )


async def _call(request: Awaitable[_T]) -> _T:
    """Await one SDK call, turning Stripe's exceptions into ``DomainError``. Only the error
    class, status and Stripe's request id are logged, never a request or response body."""
    try:
        return await request
    except stripe.StripeError as error:
        _log.warning(
            "stripe call failed",
            extra={
                "event": type(error).__name__,
                "status": error.http_status,
                "stripe_request_id": error.request_id,
            },
        )
        raise _domain_error(error) from None


def _intent_start(intent: stripe.PaymentIntent) -> PaymentIntentStart:
    if not intent.client_secret:
        raise DomainError(ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE, UNAVAILABLE_MESSAGE)
    return PaymentIntentStart(
        payment_intent_id=intent.id, client_secret=intent.client_secret, status=intent.status
    )


def _refund_facts(refund: stripe.Refund) -> RefundFacts:
    metadata = refund.metadata
    refund_ref = metadata["refund_ref"] if metadata and "refund_ref" in metadata else None
    return RefundFacts(
        refund_id=refund.id,
        amount_minor=refund.amount,
        currency=refund.currency.upper(),
        status=refund.status or "pending",
        refund_ref=refund_ref if isinstance(refund_ref, str) else None,
    )


class CardNeedsAuthentication(DomainError):
    """An off-session charge the card's bank will only take with the card holder present
    (Stripe's ``authentication_required`` decline). ``payment_intent_id`` is the intent the
    card holder completes on their device."""

    def __init__(self, payment_intent_id: str | None) -> None:
        super().__init__(
            ErrorCode.AUTHENTICATION_REQUIRED, "The card's bank asks the card holder to confirm."
        )
        self.payment_intent_id = payment_intent_id


def _domain_error(error: stripe.StripeError) -> DomainError:
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError):
        return DomainError(ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE, UNAVAILABLE_MESSAGE)
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        # Our credentials are wrong: nothing the caller can fix, and nothing to retry soon.
        return DomainError(
            ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE, "The payment provider refused our request."
        )
    if isinstance(error, stripe.CardError):
        if AUTHENTICATION_REQUIRED in (error.code, getattr(error.error, "decline_code", None)):
            return CardNeedsAuthentication(_intent_of(error))
        return DomainError(ErrorCode.INVALID_INPUT, "The card was declined.")
    if error.http_status == 404 or error.code == "resource_missing":
        return DomainError(ErrorCode.NOT_FOUND, "The payment provider has no such object.")
    if error.http_status is not None and error.http_status >= 500:
        return DomainError(ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE, UNAVAILABLE_MESSAGE)
    return DomainError(ErrorCode.CONFLICT, "The payment provider refused the request.")


def _intent_of(error: stripe.StripeError) -> str | None:
    """The PaymentIntent a card error is about, when Stripe's answer names it."""
    body = error.json_body if isinstance(error.json_body, dict) else {}
    detail = body.get("error")
    intent = detail.get("payment_intent") if isinstance(detail, dict) else None
    intent_id = intent.get("id") if isinstance(intent, dict) else None
    return intent_id if isinstance(intent_id, str) else None
