"""Events name the request that caused them, and the API lists and reads them."""

from __future__ import annotations

import json

import httpx
import pytest
import stripe

from tests.stripe_simulator.harness import WebhookReceiver
from tests.support.stripe_fixture import SDK_DATA_WARNING

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)


async def test_an_event_names_its_request_id_and_idempotency_key(
    sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    intent = await sdk.v1.payment_intents.create_async(params={"amount": 900, "currency": "usd"})

    confirmed = await sdk.v1.payment_intents.confirm_async(
        intent.id,
        params={"payment_method": "pm_card_visa"},
        options={"idempotency_key": "confirm-900"},
    )

    assert confirmed.last_response is not None
    event = await receiver.next_event("payment_intent.succeeded")
    assert event.request is not None
    assert event.request.id == confirmed.last_response.request_id
    assert event.request.id is not None
    assert event.request.id.startswith("req_")
    assert event.request.idempotency_key == "confirm-900"


async def test_an_event_from_outside_the_api_has_no_request_id(
    sdk: stripe.StripeClient, control: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    intent = await sdk.v1.payment_intents.create_async(
        params={"amount": 900, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )

    await control.post("/_sim/disputes", json={"payment_intent": intent.id})

    event = await receiver.next_event("charge.dispute.created")
    assert event.request is not None
    assert (event.request.id, event.request.idempotency_key) == (None, None)


async def test_events_are_listed_newest_first_and_read_by_id(
    sdk: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    for amount in (900, 901):
        intent = await sdk.v1.payment_intents.create_async(
            params={"amount": amount, "currency": "usd"}
        )
        await sdk.v1.payment_intents.cancel_async(intent.id)

    listed = await sdk.v1.events.list_async(params={"type": "payment_intent.canceled"})

    assert [event.data.object["amount"] for event in listed.data] == [901, 900]
    assert listed.has_more is False
    newest = await sdk.v1.events.retrieve_async(listed.data[0].id)
    delivered = await receiver.delivered(newest.id)
    assert newest.id == delivered.id
    assert newest.to_dict() == json.loads(json.dumps(delivered.to_dict()))
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await sdk.v1.events.retrieve_async("evt_missing")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
