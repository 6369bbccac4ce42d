"""`billing dev confirm`: what the phone's Stripe SDK does with a client secret, done from a
terminal against the local Stripe simulator, so the card flows can be followed without an app.

It confirms the SetupIntent (``seti_..._secret_...``, from ``startSavingCard``) or the
PaymentIntent (``pi_..._secret_...``, from ``payInvoices``) that the secret belongs to, with
one of Stripe's test cards. Stripe (here: the simulator) then tells the service by signed
webhook, exactly as after a real confirmation. `billing dev authenticate` answers the 3-D
Secure challenge of a card such as `authentication_required` (or fails it with `--fail`), as
the card holder does in the app. Development only: refused in production and with a live key.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import httpx
import stripe
from stripe.params import PaymentIntentConfirmParams

from config.settings import Settings

_IntentT = TypeVar("_IntentT", stripe.SetupIntent, stripe.PaymentIntent)

CLIENT_SECRET = re.compile(r"(?P<id>(?P<kind>seti|pi)_[A-Za-z0-9]+)_secret_[A-Za-z0-9_-]+")


class TestCard(StrEnum):
    """The cards `--card` names, as Stripe's test payment method ids."""

    VISA = "visa"
    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    AUTHENTICATION_REQUIRED = "authentication_required"

    @property
    def payment_method(self) -> str:
        return _TEST_PAYMENT_METHODS[self]


_TEST_PAYMENT_METHODS = {
    TestCard.VISA: "pm_card_visa",
    TestCard.DECLINED: "pm_card_chargeDeclined",
    TestCard.INSUFFICIENT_FUNDS: "pm_card_chargeDeclinedInsufficientFunds",
    TestCard.AUTHENTICATION_REQUIRED: "pm_card_authenticationRequired",
}


class DevConfirmRefused(Exception):
    """The command may not run, or was given a client secret it cannot use (exit 2)."""


class SimulatorUnreachable(Exception):
    """Nothing answers where the simulator's control API should be (exit 75)."""


@dataclass(frozen=True)
class Confirmation:
    """What Stripe answered: ``ok`` when the intent succeeded or is processing."""

    ok: bool
    report: str


def simulator_base(settings: Settings, simulator_port: int) -> str:
    """Where the intents live: ``STRIPE_API_BASE`` when set, else the simulator that
    `make run` starts on loopback."""
    return settings.stripe_api_base or f"http://127.0.0.1:{simulator_port}"


async def confirm_with_test_card(
    settings: Settings, client_secret: str, card: TestCard | None, api_base: str
) -> Confirmation:
    """Confirm the intent ``client_secret`` belongs to with ``card`` (for a PaymentIntent
    that already has a saved card, ``None`` keeps that card; otherwise ``None`` is visa).

    Raises ``DevConfirmRefused`` in production, with a live key, for a malformed secret and
    for one that is not the intent's; ``stripe.APIConnectionError`` when nothing answers.
    """
    matched = _usable_secret(settings, client_secret, "dev confirm")
    key = settings.stripe_secret_key.reveal()
    http = stripe.HTTPXClient(timeout=settings.stripe_timeout_ms / 1000)
    client = stripe.StripeClient(key, base_addresses={"api": api_base}, http_client=http)
    try:
        if matched.group("kind") == "seti":
            return await _confirm_setup(client, matched.group("id"), client_secret, card)
        return await _confirm_payment(client, matched.group("id"), client_secret, card)
    finally:
        await http.close_async()  # type: ignore[no-untyped-call]


async def authenticate_as_card_holder(
    settings: Settings, client_secret: str, *, succeed: bool, api_base: str
) -> Confirmation:
    """Answer the 3-D Secure challenge of the intent ``client_secret`` belongs to, as the
    card holder does in the app's authentication screen, through the simulator's
    ``/_sim/.../authenticate``. Refused like ``confirm_with_test_card``;
    ``stripe.APIConnectionError`` or ``SimulatorUnreachable`` when nothing answers."""
    matched = _usable_secret(settings, client_secret, "dev authenticate")
    kind, intent_id = matched.group("kind"), matched.group("id")
    http = stripe.HTTPXClient(timeout=settings.stripe_timeout_ms / 1000)
    client = stripe.StripeClient(
        settings.stripe_secret_key.reveal(), base_addresses={"api": api_base}, http_client=http
    )
    try:
        if kind == "seti":
            setup = await _retrieve(client.v1.setup_intents.retrieve_async(intent_id))
            _check_secret(setup.client_secret, client_secret)
        else:
            payment = await _retrieve(client.v1.payment_intents.retrieve_async(intent_id))
            _check_secret(payment.client_secret, client_secret)
    finally:
        await http.close_async()  # type: ignore[no-untyped-call]
    label, path = (
        ("SetupIntent", "setup_intents") if kind == "seti" else ("PaymentIntent", "payment_intents")
    )
    outcome = "succeeded" if succeed else "failed"
    try:
        async with httpx.AsyncClient(
            base_url=api_base, timeout=settings.stripe_timeout_ms / 1000
        ) as control:
            answer = await control.post(
                f"/_sim/{path}/{intent_id}/authenticate", data={"outcome": outcome}
            )
    except httpx.HTTPError:
        raise SimulatorUnreachable(api_base) from None
    body = (
        answer.json()
        if answer.headers.get("content-type", "").startswith("application/json")
        else {}
    )
    if answer.status_code != 200:
        message = body.get("error", {}).get("message", "") if isinstance(body, dict) else ""
        return Confirmation(
            ok=False, report=f"{label} {intent_id}: not authenticated: {message}".rstrip(": ")
        )
    status = str(body.get("status", "")) if isinstance(body, dict) else ""
    verb = "authenticated" if succeed else "authentication failed"
    return Confirmation(
        ok=succeed and status in ("succeeded", "processing"),
        report=f"{label} {intent_id}: {verb}, now {status}. Stripe tells the service by webhook.",
    )


def _usable_secret(settings: Settings, client_secret: str, command: str) -> re.Match[str]:
    if settings.is_production:
        raise DevConfirmRefused(f"{command} is refused in production")
    if settings.stripe_secret_key.reveal().startswith(("sk_live_", "rk_live_")):
        raise DevConfirmRefused(f"{command} is refused with a live Stripe key")
    matched = CLIENT_SECRET.fullmatch(client_secret.strip())
    if matched is None:
        raise DevConfirmRefused(
            "--client-secret must be a SetupIntent's (seti_..._secret_...) or a "
            "PaymentIntent's (pi_..._secret_...) client secret"
        )
    return matched


async def _confirm_setup(
    client: stripe.StripeClient, intent_id: str, secret: str, card: TestCard | None
) -> Confirmation:
    intent = await _retrieve(client.v1.setup_intents.retrieve_async(intent_id))
    _check_secret(intent.client_secret, secret)
    payment_method = (card or TestCard.VISA).payment_method
    try:
        confirmed = await client.v1.setup_intents.confirm_async(
            intent_id, params={"payment_method": payment_method}
        )
    except stripe.CardError as error:
        return _declined("SetupIntent", intent_id, payment_method, error)
    except stripe.InvalidRequestError as error:
        return _refused_by_stripe("SetupIntent", intent_id, payment_method, error)
    return _outcome("SetupIntent", intent_id, payment_method, confirmed.status)


async def _confirm_payment(
    client: stripe.StripeClient, intent_id: str, secret: str, card: TestCard | None
) -> Confirmation:
    intent = await _retrieve(client.v1.payment_intents.retrieve_async(intent_id))
    _check_secret(intent.client_secret, secret)
    if card is None and intent.payment_method is not None:
        params: PaymentIntentConfirmParams = {}
        shown = "the saved card"
    else:
        shown = (card or TestCard.VISA).payment_method
        params = {"payment_method": shown}
    try:
        confirmed = await client.v1.payment_intents.confirm_async(intent_id, params=params)
    except stripe.CardError as error:
        return _declined("PaymentIntent", intent_id, shown, error)
    except stripe.InvalidRequestError as error:
        return _refused_by_stripe("PaymentIntent", intent_id, shown, error)
    return _outcome("PaymentIntent", intent_id, shown, confirmed.status)


async def _retrieve(request: Awaitable[_IntentT]) -> _IntentT:
    try:
        return await request
    except stripe.InvalidRequestError as error:
        raise DevConfirmRefused(f"Stripe knows no such intent: {error.user_message}") from None


def _check_secret(expected: str | None, given: str) -> None:
    if expected is None or not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise DevConfirmRefused("that client secret is not the intent's")


def _outcome(kind: str, intent_id: str, payment_method: str, status: str) -> Confirmation:
    next_step = {
        "succeeded": "Stripe now tells the service by webhook.",
        "processing": "the bank decides later; Stripe tells the service by webhook.",
        "requires_action": (
            "the card asks the holder to authenticate (3-D Secure); the app shows "
            "Stripe's authentication screen."
        ),
    }.get(status, "")
    return Confirmation(
        ok=status in ("succeeded", "processing"),
        report=f"{kind} {intent_id} with {payment_method}: {status}. {next_step}".rstrip(),
    )


def _declined(
    kind: str, intent_id: str, payment_method: str, error: stripe.CardError
) -> Confirmation:
    reason = error.error.decline_code if error.error and error.error.decline_code else error.code
    return Confirmation(
        ok=False,
        report=f"{kind} {intent_id} with {payment_method}: declined ({reason}): "
        f"{error.user_message}",
    )


def _refused_by_stripe(
    kind: str, intent_id: str, payment_method: str, error: stripe.InvalidRequestError
) -> Confirmation:
    return Confirmation(
        ok=False,
        report=f"{kind} {intent_id} with {payment_method}: refused by Stripe: {error.user_message}",
    )
