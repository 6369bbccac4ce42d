"""What the simulator's tests observe it through: the SDK's HTTP client keeping every answer,
a webhook endpoint keeping every delivery, and the contract check over both (``sdk_contract``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from typing import Any

import httpx
import stripe
from starlette.applications import Starlette

from stripe_simulator.simulator import Simulator
from tests.stripe_simulator.sdk_contract import (
    event_violations,
    response_violations,
)

API_KEY = "sk_test_simulator_contract"
WEBHOOK_SECRET = "whsec_simulator_contract"


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    body: Any


class RecordingHTTPClient(stripe.HTTPXClient):
    """stripe-python's own httpx client, keeping each answer as the SDK received it."""

    def __init__(self) -> None:
        super().__init__(timeout=5)
        self.exchanges: list[Exchange] = []

    async def request_async(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        post_data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        content, status, response_headers = await super().request_async(
            method, url, headers, post_data
        )
        self.exchanges.append(
            Exchange(method, url, status, dict(response_headers), json.loads(content))
        )
        return content, status, response_headers


@dataclass
class WebhookReceiver:
    url: str = ""
    payloads: list[tuple[bytes, str]] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def next_event(self, event_type: str) -> stripe.Event:
        """The first delivered event of ``event_type``, verified with the SDK's own signature
        check (deliveries run concurrently: "first" is in order of arrival)."""
        return await self._first(lambda event: event["type"] == event_type)

    async def delivered(self, event_id: str) -> stripe.Event:
        """The delivery of the event ``event_id``, verified."""
        return await self._first(lambda event: event["id"] == event_id)

    async def _first(self, wanted: Callable[[dict[str, Any]], bool]) -> stripe.Event:
        async with asyncio.timeout(5), self.arrived:
            while True:
                for body, signature in self.payloads:
                    if wanted(json.loads(body)):
                        event: stripe.Event = stripe.Webhook.construct_event(
                            body.decode(), signature, WEBHOOK_SECRET
                        )
                        return event
                await self.arrived.wait()

    def types(self) -> list[str]:
        return [json.loads(body)["type"] for body, _ in self.payloads]


@dataclass(repr=False)
class Contract:
    """Checks everything the simulator has said so far against stripe-python's classes."""

    http: RecordingHTTPClient
    control: httpx.AsyncClient
    receiver: WebhookReceiver
    simulator: Simulator
    checked_objects: set[str] = field(default_factory=set)
    checked_events: set[str] = field(default_factory=set)

    async def violations(self) -> list[str]:
        await self.simulator.webhooks.wait_idle()
        problems: list[str] = []
        for exchange in self.http.exchanges:
            where = f"{exchange.method} {httpx.URL(exchange.url).path} -> {exchange.status}"
            problems += [
                f"{where}: {p}" for p in response_violations(exchange.status, exchange.body)
            ]
            self._note_objects(exchange.body)
        listed = (await self.control.get("/_sim/events")).json()["data"]
        for event in listed:
            event.pop("delivery_attempts")  # the control API's addition, not Stripe's
            problems += [f"/_sim/events {event['type']}: {p}" for p in event_violations(event)]
            self.checked_events.add(event["type"])
        for body, _ in self.receiver.payloads:
            delivered = json.loads(body)
            problems += [f"webhook {delivered['type']}: {p}" for p in event_violations(delivered)]
        return problems

    def _note_objects(self, body: Any) -> None:
        if isinstance(body, dict):
            if isinstance(body.get("object"), str):
                self.checked_objects.add(body["object"])
            for value in body.values():
                self._note_objects(value)
        elif isinstance(body, list):
            for value in body:
                self._note_objects(value)


async def all_delivered(simulator_app: Starlette) -> None:
    """Wait until the simulator has delivered (or given up on) every event so far."""
    async with asyncio.timeout(10):
        await simulator_app.state.simulator.webhooks.wait_idle()


async def assert_conforms(
    contract: Contract, *, objects: Set[str] = frozenset(), events: Set[str] = frozenset()
) -> None:
    """No answer, recorded event or delivered webhook breaks the SDK's shapes, and the objects
    and events named were among those checked (so the check was not vacuous)."""
    assert await contract.violations() == []
    assert objects <= contract.checked_objects, objects - contract.checked_objects
    assert events <= contract.checked_events, events - contract.checked_events
