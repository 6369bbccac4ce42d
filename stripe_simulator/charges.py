"""Charges: created by PaymentIntent confirmation; refunds and disputes point at them."""

from __future__ import annotations

from stripe_simulator.errors import DECLINE_MESSAGES, JSON, no_such
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import new_id, now


def record_charge(sim: Simulator, intent: JSON, payment_method: JSON, status: str) -> JSON:
    """A charge for the whole intent amount: ``succeeded``, ``pending`` or ``failed``."""
    paid = status == "succeeded"
    card = payment_method["card"]
    charge: JSON = {
        "id": new_id("ch"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if paid else 0,
        "amount_refunded": 0,
        "balance_transaction": None,
        "captured": paid,
        "created": now(),
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "outcome": {"network_status": "approved_by_network", "type": "authorized"},
        "paid": paid,
        "payment_intent": intent["id"],
        "payment_method": payment_method["id"],
        "payment_method_details": {
            "type": "card",
            "card": {
                key: card[key] for key in ("brand", "country", "exp_month", "exp_year", "last4")
            },
        },
        "refunded": False,
        "status": status,
    }
    sim.state.charges[charge["id"]] = charge
    return charge


def decline_charge(charge: JSON, decline_code: str) -> None:
    charge.update(
        failure_code="card_declined",
        failure_message=DECLINE_MESSAGES.get(decline_code, DECLINE_MESSAGES["generic_decline"]),
        outcome={
            "network_status": "declined_by_network",
            "reason": decline_code,
            "type": "issuer_declined",
        },
        status="failed",
        paid=False,
        captured=False,
        amount_captured=0,
    )


def settle_charge(charge: JSON) -> None:
    charge.update(status="succeeded", paid=True, captured=True, amount_captured=charge["amount"])


def existing_charge(sim: Simulator, charge_id: str, *, param: str) -> JSON:
    charge = sim.state.charges.get(charge_id)
    if charge is None:
        raise no_such("charge", charge_id, param=param, status=400)
    return charge
