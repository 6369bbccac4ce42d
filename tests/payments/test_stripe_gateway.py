"""The Stripe gateway when Stripe answers oddly: an ephemeral key without its secret is
"provider unavailable", not a crash."""

from __future__ import annotations

import time

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from billing.errors import DomainError, ErrorCode
from billing.gateways.stripe import StripeGateway
from tests.support.stripe_fixture import API_KEY, SDK_DATA_WARNING, free_socket, serving

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)


async def _key_without_secret(request: Request) -> JSONResponse:
    now = int(time.time())
    return JSONResponse(
        {
            "id": "ephkey_1NoSecret",
            "object": "ephemeral_key",
            "associated_objects": [{"id": "cus_ada", "type": "customer"}],
            "created": now,
            "expires": now + 3600,
            "livemode": False,
        }
    )


async def test_an_ephemeral_key_answered_without_its_secret_is_provider_unavailable() -> None:
    odd_stripe = Starlette(
        routes=[Route("/v1/ephemeral_keys", _key_without_secret, methods=["POST"])]
    )
    async with serving(odd_stripe, free_socket(), lifespan="off") as url:
        gateway = StripeGateway(API_KEY, api_base=url, timeout_seconds=5, max_network_retries=0)
        try:
            with pytest.raises(DomainError) as raised:
                await gateway.create_ephemeral_key("cus_ada")
        finally:
            await gateway.close()

    assert raised.value.code is ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE
