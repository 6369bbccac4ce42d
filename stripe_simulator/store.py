"""In-memory state: Stripe objects by id (in creation order, which lists page through), what
each test card does and which cards are set up, the request log and stored idempotent
responses."""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field
from enum import Enum

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


class Authentication(Enum):
    """When a test card's issuer asks the card holder to authenticate (3-D Secure)."""

    NEVER = "never"
    # Every setup and every payment, whether or not the card was set up.
    ALWAYS = "always"
    # Setups and on-session payments; off-session payments only until the card is set up.
    UNLESS_SET_UP = "unless_set_up"


@dataclass(frozen=True)
class CardBehaviour:
    """What a test card does: when it needs authentication, and the decline its charges get
    (after any authentication); ``declines_setup``: setting it up is declined as well."""

    decline_code: str | None = None
    declines_setup: bool = False
    authentication: Authentication = Authentication.NEVER


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
    # The test account number behind each us_bank_account PaymentMethod.
    bank_accounts: dict[str, str] = field(default_factory=dict)
    # Cards set up for future off-session use after authenticating (SCA's "set up" cards).
    set_up_cards: set[str] = field(default_factory=set)
    requests: list[RecordedRequest] = field(default_factory=list)
    idempotent_responses: dict[tuple[str, str], StoredResponse] = field(default_factory=dict)
