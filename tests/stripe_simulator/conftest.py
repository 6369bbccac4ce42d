"""The simulator served on loopback, driven by the real stripe SDK, with every answer kept.

``sdk`` is a ``stripe.StripeClient`` whose HTTP client records each exchange; ``contract`` checks
those answers, the recorded events and the webhook payloads actually delivered against the SDK's
own type hints. ``control`` reaches the ``/_sim`` API; ``receiver`` is the webhook endpoint the
simulator posts to."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stripe_simulator import SimulatorConfig, build_simulator_app
from tests.stripe_simulator.harness import (
    API_KEY,
    WEBHOOK_SECRET,
    Contract,
    RecordingHTTPClient,
    WebhookReceiver,
)
from tests.support.stripe_fixture import free_socket, serving


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    state = WebhookReceiver()

    async def hook(request: Request) -> Response:
        body = await request.body()
        async with state.arrived:
            state.payloads.append((body, request.headers.get("stripe-signature", "")))
            state.arrived.notify_all()
        return Response(status_code=200)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    async with serving(app, free_socket()) as base:
        state.url = f"{base}/hook"
        yield state


@pytest.fixture
def simulator_app(receiver: WebhookReceiver) -> Starlette:
    return build_simulator_app(
        SimulatorConfig(
            api_key=API_KEY,
            webhook_url=receiver.url,
            webhook_secret=WEBHOOK_SECRET,
            delivery_backoff_seconds=0.01,
        )
    )


@pytest.fixture
async def simulator_url(simulator_app: Starlette) -> AsyncIterator[str]:
    async with serving(simulator_app, free_socket()) as base:
        yield base


@pytest.fixture
async def recording_http() -> AsyncIterator[RecordingHTTPClient]:
    http = RecordingHTTPClient()
    try:
        yield http
    finally:
        await http.close_async()  # type: ignore[no-untyped-call]


@pytest.fixture
def sdk(simulator_url: str, recording_http: RecordingHTTPClient) -> stripe.StripeClient:
    return stripe.StripeClient(
        API_KEY,
        base_addresses={"api": simulator_url},
        http_client=recording_http,
        max_network_retries=0,
    )


@pytest.fixture
async def control(simulator_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=simulator_url, timeout=5) as http:
        yield http


@pytest.fixture
def contract(
    recording_http: RecordingHTTPClient,
    control: httpx.AsyncClient,
    receiver: WebhookReceiver,
    simulator_app: Starlette,
) -> Contract:
    return Contract(recording_http, control, receiver, simulator_app.state.simulator)
