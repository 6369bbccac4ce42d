"""The app under test wired to the Stripe simulator over loopback HTTP (no tests here).

``stripe_world`` serves the simulator and the app with uvicorn on free ports: the app's
gateway calls the simulator, and the simulator delivers its signed events to the app's
``/webhooks/stripe``. ``sdk`` plays the phone (it confirms SetupIntents as the mobile SDK
would); ``control`` reaches the simulator's ``/_sim`` API."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import stripe
import uvicorn
from starlette.applications import Starlette

from api.app import build_app
from billing.gateways.stripe import shared_gateway, stripe_gateway
from config.settings import Secret, Settings
from stripe_simulator import SimulatorConfig, build_simulator_app

API_KEY = "sk_test_saved_cards_suite"
WEBHOOK_SECRET = "whsec_saved_cards_suite"
# stripe 16.1's HTTPXClient posts its form body as `data=<str>`, which httpx 0.28 deprecates.
SDK_DATA_WARNING = "ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning"


def free_socket() -> socket.socket:
    """A loopback socket bound to a free port, so a URL is known before the server runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def serving(
    app: Starlette, sock: socket.socket, lifespan: Literal["on", "off"] = "on"
) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn on ``sock`` inside the running loop; stop it after."""
    config = uvicorn.Config(app, lifespan=lifespan, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(5):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        yield url_of(sock)
    finally:
        server.should_exit = True
        async with asyncio.timeout(5):
            await task
        sock.close()


@dataclass
class StripeWorld:
    settings: Settings
    app: Starlette
    app_url: str
    simulator_app: Starlette
    simulator_url: str
    client: httpx.AsyncClient
    control: httpx.AsyncClient
    sdk: stripe.StripeClient

    async def deliveries_done(self) -> None:
        """Wait until the simulator has delivered (or given up on) every event so far."""
        async with asyncio.timeout(10):
            await self.simulator_app.state.simulator.webhooks.wait_idle()

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        response = await self.control.get("/_sim/events", params={"type": event_type})
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    async def requests(self) -> list[dict[str, Any]]:
        response = await self.control.get("/_sim/requests")
        data: list[dict[str, Any]] = response.json()["data"]
        return data


def settings_for_simulator(settings: Settings, simulator_url: str) -> Settings:
    return dataclasses.replace(
        settings,
        stripe_secret_key=Secret(API_KEY),
        stripe_webhook_secret=Secret(WEBHOOK_SECRET),
        stripe_api_base=simulator_url,
    )


@asynccontextmanager
async def stripe_world(settings: Settings) -> AsyncIterator[StripeWorld]:
    """The app (DB already open: served without its lifespan) and the simulator, each on
    its own port, the simulator delivering events to the app."""
    app_socket, simulator_socket = free_socket(), free_socket()
    simulator_url = url_of(simulator_socket)
    world_settings = settings_for_simulator(settings, simulator_url)
    app = build_app(world_settings)
    simulator_app = build_simulator_app(
        SimulatorConfig(
            api_key=API_KEY,
            webhook_url=f"{url_of(app_socket)}/webhooks/stripe",
            webhook_secret=WEBHOOK_SECRET,
            # Stripe retries a failed delivery for days; a few quick tries stand in for that.
            delivery_attempts=4,
            delivery_backoff_seconds=0.05,
        )
    )
    phone_http = stripe.HTTPXClient(timeout=5)
    sdk = stripe.StripeClient(
        API_KEY,
        base_addresses={"api": simulator_url},
        http_client=phone_http,
        max_network_retries=0,
    )
    try:
        async with (
            serving(app, app_socket, lifespan="off") as app_url,
            serving(simulator_app, simulator_socket) as served_simulator_url,
            httpx.AsyncClient(base_url=app_url, timeout=10) as client,
            httpx.AsyncClient(base_url=served_simulator_url, timeout=5) as control,
        ):
            yield StripeWorld(
                settings=world_settings,
                app=app,
                app_url=app_url,
                simulator_app=simulator_app,
                simulator_url=served_simulator_url,
                client=client,
                control=control,
                sdk=sdk,
            )
    finally:
        await phone_http.close_async()  # type: ignore[no-untyped-call]
        await close_shared_gateway(world_settings)


async def close_shared_gateway(settings: Settings) -> None:
    """Close the process gateway the app built for ``settings`` and forget it."""
    gateway = stripe_gateway(settings)
    await gateway.close()
    shared_gateway.cache_clear()
