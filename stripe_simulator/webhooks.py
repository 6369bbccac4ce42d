"""Stripe-style events: built after a state change, signed, and delivered in the background.

An event names the API request that caused it, as Stripe's do: ``request.id`` is that request's
``Request-Id`` and ``request.idempotency_key`` the key it carried. Events caused by the world
outside the API (a bank settling, a card holder authenticating, a dispute: the ``/_sim`` control
API) have ``request.id`` null, like Stripe's automatic events.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpx

from stripe_simulator.config import SimulatorConfig
from stripe_simulator.errors import JSON
from stripe_simulator.store import SimulatorState, new_id, now

logger = logging.getLogger("stripe_simulator.webhooks")

# The API request being handled, if any: what ``event.request`` says.
_cause: ContextVar[JSON | None] = ContextVar("stripe_simulator_cause", default=None)


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    """``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>">``, as Stripe signs webhook requests."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


class WebhookDispatcher:
    """Records events and posts each to the configured endpoint, retrying non-2xx answers.

    Deliveries run as tasks on the running loop, so the API response that caused an event is not
    held up by it; ``aclose`` cancels what is still pending.
    """

    def __init__(self, config: SimulatorConfig, state: SimulatorState) -> None:
        self._config = config
        self._state = state
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @contextmanager
    def caused_by(self, request_id: str, idempotency_key: str | None) -> Iterator[None]:
        """Events emitted inside this block name this API request as their cause."""
        token = _cause.set({"id": request_id, "idempotency_key": idempotency_key})
        try:
            yield
        finally:
            _cause.reset(token)

    def emit(self, event_type: str, obj: JSON, previous_attributes: JSON | None = None) -> JSON:
        data: JSON = {"object": copy.deepcopy(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event: JSON = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": self._config.api_version,
            "created": now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1 if self._config.webhook_url else 0,
            "request": dict(_cause.get() or {"id": None, "idempotency_key": None}),
            "type": event_type,
        }
        self._state.events[event["id"]] = event
        self._state.deliveries[event["id"]] = []
        self.deliver(event["id"])
        return event

    def deliver(self, event_id: str) -> bool:
        """Schedule a delivery of a recorded event; False when no endpoint is configured."""
        url = self._config.webhook_url
        if url is None:
            return False
        payload = json.dumps(self._state.events[event_id])
        task = asyncio.get_running_loop().create_task(self._deliver(url, event_id, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def wait_idle(self) -> None:
        """Wait until every scheduled delivery has finished (succeeded or given up)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _deliver(self, url: str, event_id: str, payload: str) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._config.delivery_timeout_seconds)
        outcomes = self._state.deliveries[event_id]
        for attempt in range(self._config.delivery_attempts):
            if attempt:
                await asyncio.sleep(self._config.delivery_backoff_seconds * 2 ** (attempt - 1))
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": signature_header(payload, self._config.webhook_secret),
            }
            try:
                response = await self._client.post(url, content=payload.encode(), headers=headers)
            except httpx.HTTPError as exc:
                outcomes.append(type(exc).__name__)
                continue
            outcomes.append(response.status_code)
            if response.is_success:
                return
        logger.warning("gave up delivering %s after %d attempts", event_id, len(outcomes))
