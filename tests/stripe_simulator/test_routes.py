"""Paths and methods the simulator has no route for are answered as Stripe answers them: a JSON
``invalid_request_error`` with 404, which the SDK raises as ``InvalidRequestError``."""

from __future__ import annotations

import httpx
import pytest
import stripe

from tests.stripe_simulator.harness import API_KEY
from tests.support.stripe_fixture import SDK_DATA_WARNING

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)


async def test_an_unknown_path_is_stripes_json_404(sdk: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        await sdk.raw_request_async("get", "/v1/subscriptions")

    assert unknown.value.http_status == 404
    assert unknown.value.error is not None
    assert unknown.value.error.type == "invalid_request_error"
    assert str(unknown.value.user_message).startswith(
        "Unrecognized request URL (GET: /v1/subscriptions)."
    )
    assert unknown.value.request_id is not None


async def test_a_method_a_path_does_not_take_is_a_404_too(sdk: stripe.StripeClient) -> None:
    customer = await sdk.v1.customers.create_async()

    with pytest.raises(stripe.InvalidRequestError) as wrong_method:
        await sdk.raw_request_async("delete", f"/v1/customers/{customer.id}")

    assert wrong_method.value.http_status == 404
    assert str(wrong_method.value.user_message).startswith(
        f"Unrecognized request URL (DELETE: /v1/customers/{customer.id})."
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("PUT", "/v1/refunds"), ("GET", "/_sim/nothing")],
)
async def test_every_unrouted_request_answers_json(
    control: httpx.AsyncClient, method: str, path: str
) -> None:
    answer = await control.request(method, path, headers={"Authorization": f"Bearer {API_KEY}"})

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["request-id"].startswith("req_")
    assert answer.json() == {
        "error": {
            "type": "invalid_request_error",
            "message": f"Unrecognized request URL ({method}: {path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        }
    }
