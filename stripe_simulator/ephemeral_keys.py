"""Ephemeral keys: short-lived keys the mobile PaymentSheet uses to read a customer's cards."""

from __future__ import annotations

import secrets

from stripe_simulator.customers import existing_customer
from stripe_simulator.endpoint import ApiRequest
from stripe_simulator.errors import JSON, invalid_request
from stripe_simulator.params import reject_unknown, required_str
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import new_id, now

_LIFETIME_SECONDS = 3600


def create_ephemeral_key(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, ("customer",))
    if not request.stripe_version:
        raise invalid_request(
            "Stripe-Version header is required when creating ephemeral keys: pass the API "
            "version your mobile SDK uses."
        )
    customer_id = required_str(request.params, "customer")
    existing_customer(sim, customer_id, param="customer")
    created = now()
    key: JSON = {
        "id": new_id("ephkey"),
        "object": "ephemeral_key",
        "associated_objects": [{"id": customer_id, "type": "customer"}],
        "created": created,
        "expires": created + _LIFETIME_SECONDS,
        "livemode": False,
        "secret": f"ek_test_{secrets.token_urlsafe(32)}",
    }
    sim.state.ephemeral_keys[key["id"]] = key
    return key
