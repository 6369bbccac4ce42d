"""3-D Secure with Stripe's test cards, through the SDK; the card holder's answer comes from the
control API as it would from Stripe.js or the mobile SDK after the challenge."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from tests.stripe_simulator.harness import WebhookReceiver
from tests.support.stripe_fixture import SDK_DATA_WARNING

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

ALWAYS = "pm_card_authenticationRequired"
UNLESS_SET_UP = "pm_card_authenticationRequiredOnSetup"
THREE_D_SECURE_2 = "pm_card_threeDSecure2Required"


async def _intent(sdk: stripe.StripeClient) -> stripe.PaymentIntent:
    return await sdk.v1.payment_intents.create_async(params={"amount": 4200, "currency": "usd"})


async def _authenticate(
    control: httpx.AsyncClient, kind: str, intent_id: str, outcome: str = "succeeded"
) -> dict[str, Any]:
    answer = await control.post(f"/_sim/{kind}/{intent_id}/authenticate", data={"outcome": outcome})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _off_session_charge(
    sdk: stripe.StripeClient, customer_id: str, payment_method_id: str
) -> stripe.PaymentIntent:
    return await sdk.v1.payment_intents.create_async(
        params={
            "amount": 2500,
            "currency": "usd",
            "customer": customer_id,
            "payment_method": payment_method_id,
            "confirm": True,
            "off_session": True,
        }
    )


async def _saved_card(sdk: stripe.StripeClient, customer_id: str, card: str) -> str:
    saved = await sdk.v1.payment_methods.attach_async(card, params={"customer": customer_id})
    return saved.id


async def test_on_session_confirm_waits_for_the_card_holder_in_requires_action(
    sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    intent = await _intent(sdk)

    confirmed = await sdk.v1.payment_intents.confirm_async(
        intent.id, params={"payment_method": ALWAYS}
    )

    assert confirmed.status == "requires_action"
    assert confirmed.next_action is not None
    assert confirmed.next_action.type == "use_stripe_sdk"
    assert confirmed.next_action.use_stripe_sdk is not None
    assert (confirmed.latest_charge, confirmed.amount_received) == (None, 0)
    assert confirmed.payment_method is not None
    event = await receiver.next_event("payment_intent.requires_action")
    assert event.data.object["id"] == intent.id
    assert event.data.object["next_action"]["type"] == "use_stripe_sdk"


async def test_a_return_url_asks_for_a_redirect_instead(
    sdk: stripe.StripeClient, simulator_url: str
) -> None:
    intent = await _intent(sdk)

    confirmed = await sdk.v1.payment_intents.confirm_async(
        intent.id, params={"payment_method": ALWAYS, "return_url": "https://app.test/paid"}
    )

    assert confirmed.next_action is not None
    assert confirmed.next_action.type == "redirect_to_url"
    redirect = confirmed.next_action.redirect_to_url
    assert redirect is not None
    assert redirect.return_url == "https://app.test/paid"
    assert redirect.url == f"{simulator_url}/_sim/payment_intents/{intent.id}/authenticate"


async def test_the_card_holder_authenticates_and_the_payment_succeeds(
    sdk: stripe.StripeClient, control: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    intent = await _intent(sdk)
    await sdk.v1.payment_intents.confirm_async(intent.id, params={"payment_method": ALWAYS})

    answered = await _authenticate(control, "payment_intents", intent.id)

    assert answered["status"] == "succeeded"
    paid = await sdk.v1.payment_intents.retrieve_async(intent.id)
    assert (paid.status, paid.amount_received, paid.next_action) == ("succeeded", 4200, None)
    event = await receiver.next_event("payment_intent.succeeded")
    assert event.data.object["id"] == intent.id
    assert event.request is not None
    assert event.request.id is None  # the card holder, not an API request, caused it
    charge = await sdk.v1.charges.retrieve_async(str(paid.latest_charge))
    assert charge.payment_method_details is not None
    assert charge.payment_method_details.card is not None
    three_d_secure = charge.payment_method_details.card.three_d_secure
    assert three_d_secure is not None
    assert three_d_secure.result == "authenticated"


async def test_failed_authentication_reopens_the_intent(
    sdk: stripe.StripeClient, control: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    intent = await _intent(sdk)
    await sdk.v1.payment_intents.confirm_async(intent.id, params={"payment_method": ALWAYS})

    await _authenticate(control, "payment_intents", intent.id, "failed")

    reopened = await sdk.v1.payment_intents.retrieve_async(intent.id)
    assert (reopened.status, reopened.payment_method) == ("requires_payment_method", None)
    error = reopened.last_payment_error
    assert error is not None
    assert (error.type, error.code) == (
        "invalid_request_error",
        "payment_intent_authentication_failure",
    )
    assert error.payment_method is not None
    assert reopened.latest_charge is None  # authentication fails before any charge
    event = await receiver.next_event("payment_intent.payment_failed")
    failure = event.data.object["last_payment_error"]
    assert failure["code"] == "payment_intent_authentication_failure"


async def test_off_session_the_issuer_declines_with_authentication_required(
    sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    customer = await sdk.v1.customers.create_async()
    card = await _saved_card(sdk, customer.id, ALWAYS)

    with pytest.raises(stripe.CardError) as declined:
        await _off_session_charge(sdk, customer.id, card)

    assert declined.value.http_status == 402
    assert declined.value.code == "authentication_required"
    error = declined.value.error
    assert error is not None
    assert error.decline_code == "authentication_required"
    assert error.payment_intent is not None
    intent = await sdk.v1.payment_intents.retrieve_async(error.payment_intent.id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None
    assert intent.last_payment_error.decline_code == "authentication_required"
    event = await receiver.next_event("payment_intent.payment_failed")
    assert event.data.object["id"] == intent.id


async def test_an_always_authenticate_card_still_asks_off_session_after_being_set_up(
    sdk: stripe.StripeClient, control: httpx.AsyncClient
) -> None:
    customer = await sdk.v1.customers.create_async()
    setup = await sdk.v1.setup_intents.create_async(
        params={"customer": customer.id, "payment_method": ALWAYS, "confirm": True}
    )
    await _authenticate(control, "setup_intents", setup.id)
    saved = await sdk.v1.setup_intents.retrieve_async(setup.id)

    with pytest.raises(stripe.CardError) as declined:
        await _off_session_charge(sdk, customer.id, str(saved.payment_method))

    assert declined.value.code == "authentication_required"


async def test_a_3ds2_card_is_challenged_through_the_sdk(
    sdk: stripe.StripeClient, control: httpx.AsyncClient
) -> None:
    intent = await _intent(sdk)

    confirmed = await sdk.v1.payment_intents.confirm_async(
        intent.id, params={"payment_method": THREE_D_SECURE_2}
    )

    assert confirmed.status == "requires_action"
    assert confirmed.next_action is not None
    assert confirmed.next_action.use_stripe_sdk is not None
    assert confirmed.next_action.use_stripe_sdk["type"] == "stripe_3ds2_fingerprint"
    assert (await _authenticate(control, "payment_intents", intent.id))["status"] == "succeeded"


async def test_authenticate_unless_set_up_asks_on_setup_then_charges_off_session(
    sdk: stripe.StripeClient, control: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    customer = await sdk.v1.customers.create_async()
    not_yet = await _saved_card(sdk, customer.id, UNLESS_SET_UP)
    with pytest.raises(stripe.CardError) as before_setup:
        await _off_session_charge(sdk, customer.id, not_yet)
    assert before_setup.value.code == "authentication_required"

    setup = await sdk.v1.setup_intents.create_async(
        params={"customer": customer.id, "usage": "off_session"}
    )
    challenged = await sdk.v1.setup_intents.confirm_async(
        setup.id, params={"payment_method": UNLESS_SET_UP}
    )
    assert challenged.status == "requires_action"
    assert challenged.next_action is not None
    assert challenged.next_action.type == "use_stripe_sdk"
    await receiver.next_event("setup_intent.requires_action")
    assert (await _authenticate(control, "setup_intents", setup.id))["status"] == "succeeded"
    await receiver.next_event("setup_intent.succeeded")
    saved = await sdk.v1.setup_intents.retrieve_async(setup.id)
    card = str(saved.payment_method)

    charged = await _off_session_charge(sdk, customer.id, card)

    assert charged.status == "succeeded"
    on_session = await sdk.v1.payment_intents.create_async(
        params={
            "amount": 900,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": card,
            "confirm": True,
        }
    )
    assert on_session.status == "requires_action"


async def test_a_payment_saving_the_card_sets_it_up_for_off_session_use(
    sdk: stripe.StripeClient, control: httpx.AsyncClient
) -> None:
    customer = await sdk.v1.customers.create_async()
    first = await sdk.v1.payment_intents.create_async(
        params={
            "amount": 900,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": UNLESS_SET_UP,
            "setup_future_usage": "off_session",
            "confirm": True,
        }
    )
    assert first.status == "requires_action"
    await _authenticate(control, "payment_intents", first.id)
    saved = await sdk.v1.payment_intents.retrieve_async(first.id)

    later = await _off_session_charge(sdk, customer.id, str(saved.payment_method))

    assert later.status == "succeeded"


async def test_the_already_set_up_card_charges_off_session_but_asks_on_session(
    sdk: stripe.StripeClient,
) -> None:
    customer = await sdk.v1.customers.create_async()
    card = await _saved_card(sdk, customer.id, "pm_card_authenticationRequiredSetupForOffSession")

    assert (await _off_session_charge(sdk, customer.id, card)).status == "succeeded"
    on_session = await sdk.v1.payment_intents.create_async(
        params={"amount": 900, "currency": "usd", "customer": customer.id, "payment_method": card}
    )
    confirmed = await sdk.v1.payment_intents.confirm_async(on_session.id)
    assert confirmed.status == "requires_action"


async def test_failed_setup_authentication_saves_nothing(
    sdk: stripe.StripeClient, control: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    customer = await sdk.v1.customers.create_async()
    setup = await sdk.v1.setup_intents.create_async(
        params={"customer": customer.id, "payment_method": UNLESS_SET_UP, "confirm": True}
    )

    await _authenticate(control, "setup_intents", setup.id, "failed")

    failed = await sdk.v1.setup_intents.retrieve_async(setup.id)
    assert (failed.status, failed.payment_method) == ("requires_payment_method", None)
    assert failed.last_setup_error is not None
    assert failed.last_setup_error.code == "setup_intent_authentication_failure"
    event = await receiver.next_event("setup_intent.setup_failed")
    assert event.data.object["last_setup_error"]["code"] == "setup_intent_authentication_failure"
    cards = await sdk.v1.payment_methods.list_async(params={"customer": customer.id})
    assert cards.data == []


async def test_a_card_can_authenticate_and_still_be_declined(
    sdk: stripe.StripeClient, control: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    intent = await _intent(sdk)
    await sdk.v1.payment_intents.confirm_async(
        intent.id,
        params={"payment_method": "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds"},
    )

    answered = await _authenticate(control, "payment_intents", intent.id)

    assert answered["status"] == "requires_payment_method"
    declined = await sdk.v1.payment_intents.retrieve_async(intent.id)
    assert declined.last_payment_error is not None
    assert declined.last_payment_error.decline_code == "insufficient_funds"
    await receiver.next_event("payment_intent.payment_failed")


async def test_only_an_intent_waiting_for_the_card_holder_can_be_authenticated(
    sdk: stripe.StripeClient, control: httpx.AsyncClient
) -> None:
    intent = await _intent(sdk)

    refused = await control.post(f"/_sim/payment_intents/{intent.id}/authenticate")

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "payment_intent_unexpected_state"


async def test_an_intent_waiting_for_the_card_holder_can_be_canceled_or_reconfirmed(
    sdk: stripe.StripeClient,
) -> None:
    waiting = await _intent(sdk)
    await sdk.v1.payment_intents.confirm_async(waiting.id, params={"payment_method": ALWAYS})
    other = await _intent(sdk)
    await sdk.v1.payment_intents.confirm_async(other.id, params={"payment_method": ALWAYS})

    canceled = await sdk.v1.payment_intents.cancel_async(waiting.id)
    switched = await sdk.v1.payment_intents.confirm_async(
        other.id, params={"payment_method": "pm_card_visa"}
    )

    assert (canceled.status, canceled.next_action) == ("canceled", None)
    assert (switched.status, switched.next_action) == ("succeeded", None)
