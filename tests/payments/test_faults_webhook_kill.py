"""Fault: the process handling a Stripe webhook is killed (SIGKILL) after it received the
event and before it committed. Nothing of the event is kept, and when Stripe delivers it
again to a new process it is applied exactly once: one inbox row, one saved card, one
audit row; a further delivery changes nothing.

The service runs as its own process (``billing serve``) on the suite's database, Stripe is
the simulator (which signs and delivers ``setup_intent.succeeded``), and the handler is held
at a known point by honest means:

- ``waiting_for_stripe``: inside its transaction, its call to Stripe for the card gets no
  answer (``tests.support.stripe_stall``'s proxy holds it);
- ``committing_the_inbox_row`` (PostgreSQL): the card and audit rows are written and its
  INSERT of the inbox row waits for a lock the test holds on ``stripe_event``. SQLite has no
  such point: a transaction takes the whole database's write lock when it begins, before
  any of its writes, so a lock held by the test stops it before it starts, not before it
  commits.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from models.audit import AuditEvent
from models.payments import PaymentMethod
from models.stripe_events import StripeEvent
from stripe_simulator import SimulatorConfig, build_simulator_app
from stripe_simulator.simulator import Simulator
from tests.support.app_process import AppProcess, app_process, free_port
from tests.support.database_locks import postgres_table_lock
from tests.support.factories.invoices import PatientCaller, patient_caller
from tests.support.graphql_client import gql
from tests.support.stripe_fixture import (
    API_KEY,
    SDK_DATA_WARNING,
    WEBHOOK_SECRET,
    free_socket,
    serving,
)
from tests.support.stripe_stall import StallingProxy, stalling_proxy

pytestmark = pytest.mark.filterwarnings(SDK_DATA_WARNING)

EVENT_TYPE = "setup_intent.succeeded"
CARD_SAVED_ACTION = "payment_method.saved"
START_SAVING_CARD = "mutation { startSavingCard { clientSecret errors { code message } } }"

WAITING_FOR_STRIPE = "waiting_for_stripe"
COMMITTING_THE_INBOX_ROW = "committing_the_inbox_row"
# Mirrors tests/conftest.py: the suite runs on PostgreSQL when TEST_DATABASE_URL names one.
ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL", "").strip())
STALL_POINTS = [WAITING_FOR_STRIPE] + ([COMMITTING_THE_INBOX_ROW] if ON_POSTGRES else [])


@dataclass
class StripeSide:
    simulator: Simulator
    simulator_url: str
    proxy: StallingProxy
    proxy_url: str
    webhook_url: str
    app_port: int

    async def deliveries_done(self) -> None:
        await self.simulator.webhooks.wait_idle()

    def event_id(self) -> str:
        [event_id] = [
            str(e["id"]) for e in self.simulator.state.events.values() if e["type"] == EVENT_TYPE
        ]
        return event_id

    def deliveries(self, event_id: str) -> list[int | str]:
        return self.simulator.state.deliveries[event_id]


@asynccontextmanager
async def stripe_side() -> AsyncIterator[StripeSide]:
    """The simulator, delivering to the port the app will listen on, and the proxy the app
    calls it through."""
    app_port = free_port()
    webhook_url = f"http://127.0.0.1:{app_port}/webhooks/stripe"
    simulator_app = build_simulator_app(
        SimulatorConfig(
            api_key=API_KEY,
            webhook_url=webhook_url,
            webhook_secret=WEBHOOK_SECRET,
            # One try per delivery: the test redelivers itself, when it chooses.
            delivery_attempts=1,
            # Longer than the handler is held, so the kill is what ends the delivery.
            delivery_timeout_seconds=60,
        )
    )
    async with (
        serving(simulator_app, free_socket()) as simulator_url,
        stalling_proxy(simulator_url) as (proxy, proxy_url),
    ):
        yield StripeSide(
            simulator_app.state.simulator, simulator_url, proxy, proxy_url, webhook_url, app_port
        )


def _app_environment(database_url: str, stripe: StripeSide) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "BILLING_ENV": "development",
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe.proxy_url,
    }


async def _phone_saves_a_card(served: AppProcess, side: StripeSide, ada: PatientCaller) -> None:
    """What the phone does: startSavingCard, then confirm the SetupIntent with Stripe."""
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        result = await gql(http, START_SAVING_CARD, token=ada.token)
    payload: dict[str, Any] = result["data"]["startSavingCard"]
    assert payload["errors"] == [], payload
    intent_id = str(payload["clientSecret"]).split("_secret_")[0]
    phone_http = stripe.HTTPXClient(timeout=5)
    try:
        sdk = stripe.StripeClient(
            API_KEY,
            base_addresses={"api": side.simulator_url},
            http_client=phone_http,
            max_network_retries=0,
        )
        await sdk.v1.setup_intents.confirm_async(
            intent_id, params={"payment_method": "pm_card_visa"}
        )
    finally:
        await phone_http.close_async()  # type: ignore[no-untyped-call]


@asynccontextmanager
async def held_handler(
    stall_point: str, side: StripeSide, database_url: str
) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Arm the stall until the block ends; yields what waits until the handler is held."""
    if stall_point == WAITING_FOR_STRIPE:

        async def until_stripe_is_called() -> None:
            assert (await side.proxy.first_stalled()).startswith("GET /v1/payment_methods/")

        side.proxy.stall("/v1/payment_methods/", forward=False)
        try:
            yield until_stripe_is_called
        finally:
            side.proxy.lift()
        return
    async with postgres_table_lock(database_url, "stripe_event", "EXCLUSIVE") as lock:

        async def until_the_inbox_insert_waits() -> None:
            await lock.waiting_backend('INSERT INTO "stripe_event"')

        yield until_the_inbox_insert_waits


async def _counts(event_id: str) -> tuple[int, int, int]:
    return (
        await StripeEvent.filter(event_id=event_id).count(),
        await PaymentMethod.all().count(),
        await AuditEvent.filter(action=CARD_SAVED_ACTION, reference=event_id).count(),
    )


@pytest.mark.parametrize("stall_point", STALL_POINTS)
async def test_a_webhook_whose_process_is_killed_before_commit_is_applied_once_on_redelivery(
    stall_point: str, db: None, database_url: str, tmp_path: Path
) -> None:
    ada = await patient_caller("ada@example.org")
    async with stripe_side() as side:
        environment = _app_environment(database_url, side)

        # given the handler of Ada's setup_intent.succeeded is held before it commits
        async with (
            app_process(environment, tmp_path / "first.log", side.app_port) as first,
            held_handler(stall_point, side, database_url) as until_held,
        ):
            await _phone_saves_a_card(first, side, ada)
            await until_held()

            # when its process is killed
            await first.kill()
        await side.deliveries_done()
        event_id = side.event_id()

        # then nothing of the event was kept, and Stripe saw the delivery fail
        assert await _counts(event_id) == (0, 0, 0)
        assert [outcome for outcome in side.deliveries(event_id) if outcome == 200] == []

        # when Stripe delivers it again, to a new process, and then once more
        async with (
            app_process(environment, tmp_path / "second.log", side.app_port),
            httpx.AsyncClient(base_url=side.simulator_url) as control,
        ):
            for _ in range(2):
                response = await control.post(f"/_sim/events/{event_id}/redeliver")
                assert response.status_code == 202
                await side.deliveries_done()

    # then it was applied exactly once
    assert side.deliveries(event_id)[-2:] == [200, 200]
    assert await _counts(event_id) == (1, 1, 1)
    stored = await StripeEvent.get(event_id=event_id)
    assert stored.outcome == "APPLIED"
    card = await PaymentMethod.get()
    assert (card.patient_id, card.brand, card.last4, card.is_default) == (
        ada.patient_id,
        "visa",
        "4242",
        True,
    )
