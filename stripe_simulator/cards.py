"""Stripe's test payment method ids, materialised into concrete ``pm_...`` card objects.

Each test id behaves as Stripe's testing docs describe (docs.stripe.com/testing): declines, and
the cards that need 3-D Secure authentication (``authentication.py`` says when).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from stripe_simulator.errors import JSON, no_such
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import Authentication, CardBehaviour, new_id, now


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    behaviour: CardBehaviour = field(default_factory=CardBehaviour)
    # Stripe's "already set up" card: saved for off-session use before the test begins.
    already_set_up: bool = False


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
    # 3-D Secure. "Always authenticate" (4000 0027 6000 3184) and "3DS required" (4000 0000 0000
    # 3220): every setup and payment asks the card holder.
    "pm_card_authenticationRequired": TestCard(
        "visa", "3184", CardBehaviour(authentication=Authentication.ALWAYS)
    ),
    "pm_card_threeDSecure2Required": TestCard(
        "visa", "3220", CardBehaviour(authentication=Authentication.ALWAYS)
    ),
    # "Authenticate unless set up" (4000 0025 0000 3155): off-session payments go through once
    # the card is set up; on-session payments always ask.
    "pm_card_authenticationRequiredOnSetup": TestCard(
        "visa", "3155", CardBehaviour(authentication=Authentication.UNLESS_SET_UP)
    ),
    # "Already set up" (4000 0038 0000 0446): as above, set up from the start.
    "pm_card_authenticationRequiredSetupForOffSession": TestCard(
        "visa",
        "0446",
        CardBehaviour(authentication=Authentication.UNLESS_SET_UP),
        already_set_up=True,
    ),
    # "Insufficient funds" (4000 0082 6000 3178): asks like the card above, then every charge
    # is declined, authenticated or not.
    "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds": TestCard(
        "visa",
        "3178",
        CardBehaviour("insufficient_funds", authentication=Authentication.UNLESS_SET_UP),
    ),
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
            "three_d_secure_usage": {"supported": True},
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
    if card.already_set_up:
        sim.state.set_up_cards.add(payment_method["id"])
    return payment_method


def behaviour_of(sim: Simulator, payment_method_id: str) -> CardBehaviour:
    return sim.state.card_behaviour.get(payment_method_id, CardBehaviour())
