"""In-memory state: Stripe objects by id, the request log and stored idempotent responses."""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field

from stripe_simulator.errors import JSON

_ID_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """An id shaped like Stripe's: a type prefix and random base62 characters."""
    return f"{prefix}_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def now() -> int:
    return int(time.time())


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    params: JSON
    idempotency_key: str | None

    def as_json(self) -> JSON:
        return {
            "method": self.method,
            "path": self.path,
            "params": self.params,
            "idempotency_key": self.idempotency_key,
        }


@dataclass(frozen=True)
class StoredResponse:
    method: str
    path: str
    params: JSON
    status: int
    body: JSON


@dataclass(frozen=True)
class CardBehaviour:
    """What a test card does: decline charges, and whether it also fails to be set up."""

    decline_code: str | None = None
    declines_setup: bool = False


@dataclass
class SimulatorState:
    customers: dict[str, JSON] = field(default_factory=dict)
    payment_intents: dict[str, JSON] = field(default_factory=dict)
    setup_intents: dict[str, JSON] = field(default_factory=dict)
    payment_methods: dict[str, JSON] = field(default_factory=dict)
    charges: dict[str, JSON] = field(default_factory=dict)
    refunds: dict[str, JSON] = field(default_factory=dict)
    disputes: dict[str, JSON] = field(default_factory=dict)
    ephemeral_keys: dict[str, JSON] = field(default_factory=dict)
    events: dict[str, JSON] = field(default_factory=dict)
    # Delivery outcomes per event id: HTTP statuses or error names, in order.
    deliveries: dict[str, list[int | str]] = field(default_factory=dict)
    card_behaviour: dict[str, CardBehaviour] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    idempotent_responses: dict[tuple[str, str], StoredResponse] = field(default_factory=dict)
