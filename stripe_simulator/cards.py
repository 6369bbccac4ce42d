"""Stripe's test payment method ids, materialised into concrete ``pm_...`` card objects."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from stripe_simulator.errors import JSON, no_such
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import CardBehaviour, new_id, now


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    behaviour: CardBehaviour = field(default_factory=CardBehaviour)


TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "4242"),
    "pm_card_mastercard": TestCard("mastercard", "4444"),
    "pm_card_amex": TestCard("amex", "8431"),
    "pm_card_chargeDeclined": TestCard("visa", "0002", CardBehaviour("generic_decline", True)),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard(
        "visa", "9995", CardBehaviour("insufficient_funds", True)
    ),
    # Attaches (and can be saved by a SetupIntent) but every charge is declined.
    "pm_card_chargeCustomerFail": TestCard("visa", "0341", CardBehaviour("generic_decline")),
}


def resolve_payment_method(
    sim: Simulator, reference: str, *, param: str = "payment_method"
) -> JSON:
    """A stored PaymentMethod, or a fresh one for a Stripe test id such as ``pm_card_visa``."""
    card = TEST_CARDS.get(reference)
    if card is not None:
        return _materialise(sim, reference, card)
    stored = sim.state.payment_methods.get(reference)
    if stored is None:
        raise no_such("PaymentMethod", reference, param=param, status=400)
    return stored


def _materialise(sim: Simulator, test_id: str, card: TestCard) -> JSON:
    payment_method: JSON = {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": None,
            "name": None,
            "phone": None,
        },
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": "US",
            "display_brand": card.brand,
            "exp_month": 12,
            "exp_year": 2034,
            "fingerprint": hashlib.sha256(test_id.encode()).hexdigest()[:16],
            "funding": "credit",
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "wallet": None,
        },
        "created": now(),
        "customer": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }
    sim.state.payment_methods[payment_method["id"]] = payment_method
    sim.state.card_behaviour[payment_method["id"]] = card.behaviour
    return payment_method


def behaviour_of(sim: Simulator, payment_method_id: str) -> CardBehaviour:
    return sim.state.card_behaviour.get(payment_method_id, CardBehaviour())
