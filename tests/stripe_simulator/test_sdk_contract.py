"""The contract check itself: it reads stripe-python's hints and catches each kind of break.
Each case takes a real answer of the simulator (read through the SDK) and breaks one thing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import stripe

from tests.stripe_simulator.sdk_contract import (
    error_violations,
    event_violations,
    object_violations,
    required_fields,
)
from tests.support.stripe_fixture import SDK_DATA_WARNING

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)


async def _intent_json(sdk: stripe.StripeClient) -> dict[str, Any]:
    intent = await sdk.v1.payment_intents.create_async(params={"amount": 900, "currency": "usd"})
    assert intent.last_response is not None
    data = intent.last_response.data
    assert isinstance(data, dict)
    return data


def test_required_fields_are_the_sdk_annotations_without_optional() -> None:
    required = required_fields(stripe.PaymentIntent)

    assert {"id", "object", "amount", "currency", "status", "livemode"} <= set(required)
    # Nullable in Stripe's spec, so Optional in the SDK, so not required here.
    assert not {"customer", "payment_method", "last_payment_error"} & set(required)


async def test_a_real_answer_passes(sdk: stripe.StripeClient) -> None:
    assert object_violations(await _intent_json(sdk)) == []


async def test_a_missing_or_null_required_field_is_caught(sdk: stripe.StripeClient) -> None:
    intent = await _intent_json(sdk)
    without_amount = {key: value for key, value in intent.items() if key != "amount"}
    null_currency = {**intent, "currency": None}

    assert object_violations(without_amount) == [
        "payment_intent.amount: required by PaymentIntent but missing"
    ]
    assert object_violations(null_currency) == [
        "payment_intent.currency: required by PaymentIntent but null"
    ]


async def test_an_enum_value_outside_the_sdk_literal_is_caught(sdk: stripe.StripeClient) -> None:
    intent = {**await _intent_json(sdk), "status": "pending_authentication"}

    [problem] = object_violations(intent)

    assert problem.startswith("payment_intent.status: 'pending_authentication' is not one of [")
    assert "'requires_action'" in problem


async def test_an_undeclared_field_and_a_wrong_type_are_caught(sdk: stripe.StripeClient) -> None:
    intent = {**await _intent_json(sdk), "amount": "900", "three_ds": True}

    assert sorted(object_violations(intent)) == [
        "payment_intent.amount: expected an integer, got '900'",
        "payment_intent.three_ds: PaymentIntent declares no such field",
    ]


async def test_nested_objects_are_checked_by_their_own_class(sdk: stripe.StripeClient) -> None:
    intent = await _intent_json(sdk)
    intent["next_action"] = {"redirect_to_url": {"url": "https://x.test"}}

    assert object_violations(intent) == [
        "payment_intent.next_action.type: required by PaymentIntent.NextAction but missing"
    ]


def test_error_envelopes_are_checked_against_the_api_error_schema() -> None:
    good = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
        }
    }
    bad_type = copy.deepcopy(good)
    bad_type["error"]["type"] = "card_declined"
    bad_code = copy.deepcopy(good)
    bad_code["error"]["code"] = "api_key_invalid"

    assert error_violations(good) == []
    assert error_violations({"message": "Not Found"}) == [
        "<body>: an error answer is exactly {'error': {...}}"
    ]
    [type_problem] = error_violations(bad_type)
    assert type_problem.startswith("error.type: 'card_declined' is not one of")
    [code_problem] = error_violations(bad_code)
    assert code_problem.startswith("error.code: 'api_key_invalid' is not one of")


async def test_events_check_their_object_and_previous_attributes(
    sdk: stripe.StripeClient,
) -> None:
    intent = await _intent_json(sdk)
    event: dict[str, Any] = {
        "id": "evt_1",
        "object": "event",
        "api_version": stripe.api_version,
        "created": 1,
        "data": {"object": intent, "previous_attributes": {"status": 7, "mood": "calm"}},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "payment_intent.reconsidered",
    }

    problems = event_violations(event)

    assert len(problems) == 3
    assert "event.data.previous_attributes.mood: PaymentIntent declares no such field" in problems
    assert "event.data.previous_attributes.status: expected a string, got 7" in problems
    assert any(
        problem.startswith("event.type: 'payment_intent.reconsidered' is not one of")
        for problem in problems
    )
