"""The Stripe simulator, driven through the real stripe SDK over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
import stripe
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from stripe.params import PaymentIntentCreateParams

from stripe_simulator import SimulatorConfig, build_simulator_app

# stripe 16.1's HTTPXClient posts its form body as `data=<str>`, which httpx 0.28 deprecates in
# favour of `content=`; the body is sent unchanged, so only that one warning is let through.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning"
)

API_KEY = "sk_test_simulator_suite"
WEBHOOK_SECRET = "whsec_simulator_suite"


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn on a free loopback port inside the running loop; stop it after."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", log_level="warning", ws="none")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(5):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        async with asyncio.timeout(5):
            await task
        sock.close()


@dataclass
class WebhookReceiver:
    url: str
    deliveries: asyncio.Queue[tuple[bytes, str]] = field(default_factory=asyncio.Queue)
    # Statuses to answer, in order, before answering 200.
    failures: list[int] = field(default_factory=list)

    async def next_event(self, event_type: str) -> tuple[bytes, str]:
        async with asyncio.timeout(5):
            while True:
                body, signature = await self.deliveries.get()
                if json.loads(body)["type"] == event_type:
                    return body, signature


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    state = WebhookReceiver(url="")

    async def hook(request: Request) -> Response:
        await state.deliveries.put(
            (await request.body(), request.headers.get("stripe-signature", ""))
        )
        return Response(status_code=state.failures.pop(0) if state.failures else 200)

    async with serving(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as base:
        state.url = f"{base}/hook"
        yield state


@pytest.fixture
async def simulator_url(receiver: WebhookReceiver) -> AsyncIterator[str]:
    config = SimulatorConfig(
        api_key=API_KEY,
        webhook_url=receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        delivery_backoff_seconds=0.01,
    )
    async with serving(build_simulator_app(config)) as base:
        yield base


@pytest.fixture
async def sdk(simulator_url: str) -> AsyncIterator[stripe.StripeClient]:
    http_client = stripe.HTTPXClient(timeout=5)
    client = stripe.StripeClient(
        API_KEY,
        base_addresses={"api": simulator_url},
        http_client=http_client,
        max_network_retries=0,
    )
    try:
        yield client
    finally:
        await http_client.close_async()  # type: ignore[no-untyped-call]


@pytest.fixture
async def control(simulator_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=simulator_url, timeout=5) as http:
        yield http


async def _succeeded_intent(sdk: stripe.StripeClient, amount: int = 5000) -> stripe.PaymentIntent:
    customer = await sdk.v1.customers.create_async(params={"email": "pat@example.test"})
    return await sdk.v1.payment_intents.create_async(
        params={
            "amount": amount,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )


async def test_payment_intent_is_idempotent_and_its_success_is_a_signed_webhook(
    sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    # given a customer and an intent created twice with one idempotency key
    customer = await sdk.v1.customers.create_async(params={"metadata": {"patient_ref": "p-1"}})
    params: PaymentIntentCreateParams = {
        "amount": 12500,
        "currency": "usd",
        "customer": customer.id,
        "metadata": {"payment_id": "12"},
        "automatic_payment_methods": {"enabled": True},
    }
    first = await sdk.v1.payment_intents.create_async(
        params=params, options={"idempotency_key": "payment-12"}
    )
    again = await sdk.v1.payment_intents.create_async(
        params=params, options={"idempotency_key": "payment-12"}
    )
    assert first.id == again.id
    assert first.id.startswith("pi_")
    assert first.status == "requires_payment_method"
    assert first.client_secret is not None
    assert first.client_secret.startswith(f"{first.id}_secret_")

    # when the app confirms it with Stripe's test visa
    confirmed = await sdk.v1.payment_intents.confirm_async(
        first.id, params={"payment_method": "pm_card_visa"}
    )

    # then it succeeded with a materialised card and the webhook verifies with the SDK
    assert confirmed.status == "succeeded"
    assert confirmed.amount_received == 12500
    assert confirmed.payment_method is not None
    method = await sdk.v1.payment_methods.retrieve_async(str(confirmed.payment_method))
    assert method.id.startswith("pm_")
    assert method.id != "pm_card_visa"
    assert method.card is not None
    assert (method.card.brand, method.card.last4) == ("visa", "4242")
    body, signature = await receiver.next_event("payment_intent.succeeded")
    event = stripe.Webhook.construct_event(body.decode(), signature, WEBHOOK_SECRET)
    assert event.id.startswith("evt_")
    assert event.data.object["id"] == first.id
    assert event.data.object["metadata"].to_dict() == {"payment_id": "12"}
    assert (await sdk.v1.payment_intents.retrieve_async(first.id)).status == "succeeded"


async def test_reusing_an_idempotency_key_with_other_parameters_is_refused(
    sdk: stripe.StripeClient,
) -> None:
    params: PaymentIntentCreateParams = {"amount": 1000, "currency": "usd"}
    await sdk.v1.payment_intents.create_async(params=params, options={"idempotency_key": "k-1"})
    with pytest.raises(stripe.IdempotencyError):
        await sdk.v1.payment_intents.create_async(
            params={"amount": 2000, "currency": "usd"}, options={"idempotency_key": "k-1"}
        )


async def test_declined_card_raises_card_error_and_reopens_the_intent(
    sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    intent = await sdk.v1.payment_intents.create_async(params={"amount": 900, "currency": "usd"})

    with pytest.raises(stripe.CardError) as declined:
        await sdk.v1.payment_intents.confirm_async(
            intent.id, params={"payment_method": "pm_card_chargeDeclinedInsufficientFunds"}
        )

    assert declined.value.http_status == 402
    assert declined.value.code == "card_declined"
    assert declined.value.error is not None
    assert declined.value.error.decline_code == "insufficient_funds"
    reopened = await sdk.v1.payment_intents.retrieve_async(intent.id)
    assert reopened.status == "requires_payment_method"
    assert reopened.last_payment_error is not None
    assert reopened.last_payment_error.decline_code == "insufficient_funds"
    body, _ = await receiver.next_event("payment_intent.payment_failed")
    assert json.loads(body)["data"]["object"]["id"] == intent.id

    with pytest.raises(stripe.CardError) as generic:
        await sdk.v1.payment_intents.confirm_async(
            intent.id, params={"payment_method": "pm_card_chargeDeclined"}
        )
    assert generic.value.error is not None
    assert generic.value.error.decline_code == "generic_decline"


async def test_cancel_emits_payment_intent_canceled(
    sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    intent = await sdk.v1.payment_intents.create_async(params={"amount": 900, "currency": "usd"})
    canceled = await sdk.v1.payment_intents.cancel_async(intent.id)
    assert canceled.status == "canceled"
    await receiver.next_event("payment_intent.canceled")
    with pytest.raises(stripe.InvalidRequestError):
        await sdk.v1.payment_intents.confirm_async(
            intent.id, params={"payment_method": "pm_card_visa"}
        )


async def test_setup_intent_saves_a_card_that_can_be_listed_charged_and_detached(
    sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    customer = await sdk.v1.customers.create_async()
    setup = await sdk.v1.setup_intents.create_async(
        params={"customer": customer.id, "usage": "off_session"}
    )
    assert setup.id.startswith("seti_")
    assert setup.status == "requires_payment_method"

    confirmed = await sdk.v1.setup_intents.confirm_async(
        setup.id, params={"payment_method": "pm_card_mastercard"}
    )

    assert confirmed.status == "succeeded"
    await receiver.next_event("setup_intent.succeeded")
    cards = await sdk.v1.payment_methods.list_async(
        params={"customer": customer.id, "type": "card"}
    )
    assert [card.id for card in cards.data] == [confirmed.payment_method]
    saved = cards.data[0]
    assert saved.card is not None
    assert saved.card.last4 == "4444"
    assert saved.customer == customer.id

    # an off-session installment charge on the saved card
    charged = await sdk.v1.payment_intents.create_async(
        params={
            "amount": 2500,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": saved.id,
            "confirm": True,
            "off_session": True,
        }
    )
    assert charged.status == "succeeded"

    detached = await sdk.v1.payment_methods.detach_async(saved.id)
    assert detached.customer is None
    await receiver.next_event("payment_method.detached")
    empty = await sdk.v1.payment_methods.list_async(params={"customer": customer.id})
    assert empty.data == []


async def test_refunds_partial_then_over_refund_and_bad_reason_are_refused(
    sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    intent = await _succeeded_intent(sdk, amount=5000)

    refund = await sdk.v1.refunds.create_async(
        params={
            "payment_intent": intent.id,
            "amount": 2000,
            "reason": "requested_by_customer",
            "metadata": {"refund_id": "7"},
        }
    )

    assert refund.id.startswith("re_")
    assert (refund.status, refund.amount, refund.payment_intent) == ("succeeded", 2000, intent.id)
    body, _ = await receiver.next_event("charge.refunded")
    charge = json.loads(body)["data"]["object"]
    assert (charge["amount_refunded"], charge["refunded"]) == (2000, False)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        await sdk.v1.refunds.create_async(params={"payment_intent": intent.id, "amount": 3001})
    assert too_much.value.http_status == 400
    assert too_much.value.code == "amount_too_large"
    with pytest.raises(stripe.InvalidRequestError) as bad_reason:
        await sdk.v1.refunds.create_async(
            params={"payment_intent": intent.id, "reason": "patient_moved"}
        )
    assert bad_reason.value.param == "reason"
    rest = await sdk.v1.refunds.create_async(params={"payment_intent": intent.id})
    assert rest.amount == 3000


async def test_requests_without_or_with_a_wrong_key_are_401(
    simulator_url: str, control: httpx.AsyncClient
) -> None:
    anonymous = await control.post("/v1/customers", data={"email": "x@example.test"})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "invalid_request_error"

    http_client = stripe.HTTPXClient(timeout=5)
    wrong = stripe.StripeClient(
        "sk_test_wrong", base_addresses={"api": simulator_url}, http_client=http_client
    )
    try:
        with pytest.raises(stripe.AuthenticationError):
            await wrong.v1.customers.create_async()
    finally:
        await http_client.close_async()  # type: ignore[no-untyped-call]


async def test_missing_object_is_404(sdk: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await sdk.v1.customers.retrieve_async("cus_nope")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


async def test_request_log_shows_exactly_the_parameters_sent(
    sdk: stripe.StripeClient, control: httpx.AsyncClient
) -> None:
    await sdk.v1.payment_intents.create_async(
        params={"amount": 4200, "currency": "usd", "metadata": {"payment_id": "12"}},
        options={"idempotency_key": "log-1"},
    )

    logged = (await control.get("/_sim/requests")).json()["data"]

    create = next(entry for entry in logged if entry["path"] == "/v1/payment_intents")
    assert create["method"] == "POST"
    assert create["idempotency_key"] == "log-1"
    assert create["params"] == {
        "amount": "4200",
        "currency": "usd",
        "metadata": {"payment_id": "12"},
    }


async def test_ephemeral_key_needs_a_stripe_version(
    sdk: stripe.StripeClient, control: httpx.AsyncClient
) -> None:
    customer = await sdk.v1.customers.create_async()
    key = await sdk.v1.ephemeral_keys.create_async(
        params={"customer": customer.id}, options={"stripe_version": "2026-10-28.endive"}
    )
    assert key.id.startswith("ephkey_")
    assert key.secret is not None
    assert key.secret.startswith("ek_test_")
    unversioned = await control.post(
        "/v1/ephemeral_keys",
        data={"customer": customer.id},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert unversioned.status_code == 400


async def test_control_api_confirms_like_a_phone_and_opens_and_closes_disputes(
    sdk: stripe.StripeClient, control: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    intent = await sdk.v1.payment_intents.create_async(params={"amount": 7000, "currency": "usd"})

    confirmed = await control.post(f"/_sim/payment_intents/{intent.id}/confirm", json={})
    assert confirmed.json()["status"] == "succeeded"
    await receiver.next_event("payment_intent.succeeded")

    dispute = await control.post("/_sim/disputes", json={"payment_intent": intent.id})
    assert dispute.json()["id"].startswith("dp_")
    body, signature = await receiver.next_event("charge.dispute.created")
    stripe.Webhook.construct_event(body.decode(), signature, WEBHOOK_SECRET)
    closed = await control.post(
        f"/_sim/disputes/{dispute.json()['id']}/close", json={"status": "won"}
    )
    assert closed.json()["status"] == "won"
    await receiver.next_event("charge.dispute.closed")


async def test_processing_then_settled(
    sdk: stripe.StripeClient, control: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    intent = await sdk.v1.payment_intents.create_async(params={"amount": 7000, "currency": "usd"})
    await control.post(f"/_sim/payment_intents/{intent.id}/confirm", json={"settle": "later"})
    await receiver.next_event("payment_intent.processing")
    settled = await control.post(f"/_sim/payment_intents/{intent.id}/settle", json={})
    assert settled.json()["status"] == "succeeded"
    await receiver.next_event("payment_intent.succeeded")


async def test_failed_delivery_is_retried_and_can_be_redelivered(
    sdk: stripe.StripeClient, control: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    receiver.failures.extend([500, 503])
    customer = await sdk.v1.customers.create_async()
    intent = await sdk.v1.payment_intents.create_async(
        params={"amount": 900, "currency": "usd", "customer": customer.id}
    )
    await sdk.v1.payment_intents.cancel_async(intent.id)
    first = await receiver.next_event("payment_intent.canceled")
    second = await receiver.next_event("payment_intent.canceled")
    third = await receiver.next_event("payment_intent.canceled")
    assert first[0] == second[0] == third[0]

    events = (await control.get("/_sim/events", params={"type": "payment_intent.canceled"})).json()
    [event] = events["data"]
    assert event["delivery_attempts"] == [500, 503, 200]
    redelivery = await control.post(f"/_sim/events/{event['id']}/redeliver")
    assert redelivery.status_code == 202
    again, _ = await receiver.next_event("payment_intent.canceled")
    assert json.loads(again)["id"] == event["id"]


def test_refuses_live_keys() -> None:
    with pytest.raises(ValueError, match="live"):
        SimulatorConfig(api_key="sk_live_123")
