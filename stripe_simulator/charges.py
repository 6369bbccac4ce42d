"""Charges: created by PaymentIntent confirmation; refunds and disputes point at them.
``GET /v1/charges/{id}`` reads one."""

from __future__ import annotations

import copy
import uuid

from stripe_simulator.bank_accounts import BANK_METHOD_TYPE, bank_charge_details
from stripe_simulator.endpoint import ApiRequest
from stripe_simulator.errors import DECLINE_MESSAGES, JSON, StripeError, no_such
from stripe_simulator.params import reject_unknown
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import new_id, now


def record_charge(
    sim: Simulator, intent: JSON, payment_method: JSON, status: str, *, authenticated: bool = False
) -> JSON:
    """A charge for the whole intent amount: ``succeeded``, ``pending`` or ``failed``;
    ``authenticated``: the card holder passed a 3-D Secure challenge first."""
    paid = status == "succeeded"
    charge = _new_charge(intent, payment_method, status, paid)
    if payment_method["type"] == BANK_METHOD_TYPE:
        charge["payment_method_details"] = bank_charge_details(payment_method)
    else:
        charge["payment_method_details"] = _card_details(payment_method, authenticated)
    sim.state.charges[charge["id"]] = charge
    return charge


def _card_details(payment_method: JSON, authenticated: bool) -> JSON:
    card = payment_method["card"]
    card_details: JSON = {
        key: card[key] for key in ("brand", "country", "exp_month", "exp_year", "last4")
    }
    card_details["three_d_secure"] = (
        {
            "authentication_flow": "challenge",
            "electronic_commerce_indicator": "05",
            "result": "authenticated",
            "result_reason": None,
            "transaction_id": str(uuid.uuid4()),
            "version": "2.2.0",
        }
        if authenticated
        else None
    )
    return {"type": "card", "card": card_details}


def _new_charge(intent: JSON, payment_method: JSON, status: str, paid: bool) -> JSON:
    return {
        "id": new_id("ch"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if paid else 0,
        "amount_refunded": 0,
        "balance_transaction": None,
        # The card's billing details as they were when charged.
        "billing_details": copy.deepcopy(payment_method["billing_details"]),
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
        "outcome": {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": paid,
        "payment_intent": intent["id"],
        "payment_method": payment_method["id"],
        "refunded": False,
        "status": status,
    }


def decline_charge(charge: JSON, decline_code: str) -> None:
    charge.update(
        failure_code=_error_code(decline_code),
        failure_message=_decline_message(decline_code),
        outcome={
            "network_status": "declined_by_network",
            "reason": decline_code,
            "risk_level": "normal",
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        },
        status="failed",
        paid=False,
        captured=False,
        amount_captured=0,
    )


def card_error(charge: JSON, payment_method: JSON, decline_code: str) -> StripeError:
    """The 402 ``card_error`` Stripe answers for a declined charge."""
    return StripeError(
        402,
        "card_error",
        _decline_message(decline_code),
        code=_error_code(decline_code),
        decline_code=decline_code,
        extra={"charge": charge["id"], "payment_method": copy.deepcopy(payment_method)},
    )


def _error_code(decline_code: str) -> str:
    # An issuer asking for 3-D Secure on an off-session payment is its own error code.
    if decline_code == "authentication_required":
        return decline_code
    return "card_declined"


def _decline_message(decline_code: str) -> str:
    return DECLINE_MESSAGES.get(decline_code, DECLINE_MESSAGES["generic_decline"])


def settle_charge(charge: JSON) -> None:
    charge.update(status="succeeded", paid=True, captured=True, amount_captured=charge["amount"])


def retrieve_charge(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, ())
    return existing_charge(sim, request.path_params["id"], param="id", status=404)


def existing_charge(sim: Simulator, charge_id: str, *, param: str, status: int = 400) -> JSON:
    charge = sim.state.charges.get(charge_id)
    if charge is None:
        raise no_such("charge", charge_id, param=param, status=status)
    return charge
