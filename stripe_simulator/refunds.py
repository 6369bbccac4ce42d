"""Refunds: whole or partial, never more than what is left on the charge; listed a page at a
time and read by id."""

from __future__ import annotations

from stripe_simulator.charges import existing_charge
from stripe_simulator.endpoint import ApiRequest
from stripe_simulator.errors import JSON, invalid_request, no_such
from stripe_simulator.lists import PAGE_PARAMS, list_page
from stripe_simulator.params import (
    metadata,
    one_of,
    optional_int,
    optional_str,
    reject_unknown,
)
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import new_id, now

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def create_refund(sim: Simulator, request: ApiRequest) -> JSON:
    params = request.params
    reject_unknown(params, ("payment_intent", "charge", "amount", "reason", "metadata"))
    reason = one_of(params, "reason", REFUND_REASONS)
    charge = _refundable_charge(sim, params)
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid_request(
            f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
        )
    amount = optional_int(params, "amount")
    if amount is None:
        amount = remaining
    if amount <= 0:
        raise invalid_request("Invalid positive integer", param="amount")
    if amount > remaining:
        raise invalid_request(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
            code="amount_too_large",
            param="amount",
        )
    refund: JSON = {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": now(),
        "currency": charge["currency"],
        "metadata": metadata(params),
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "status": "succeeded",
    }
    sim.state.refunds[refund["id"]] = refund
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
    sim.webhooks.emit("charge.refunded", charge, previous)
    return refund


def list_refunds(sim: Simulator, request: ApiRequest) -> JSON:
    """Refunds, newest first, optionally of one PaymentIntent or charge, a page at a time."""
    params = request.params
    reject_unknown(params, ("payment_intent", "charge", *PAGE_PARAMS))
    intent_id = optional_str(params, "payment_intent")
    charge_id = optional_str(params, "charge")
    return list_page(
        sim.state.refunds,
        params,
        url="/v1/refunds",
        kind="refund",
        matches=lambda refund: (
            intent_id in (None, refund["payment_intent"]) and charge_id in (None, refund["charge"])
        ),
    )


def retrieve_refund(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, ())
    refund = sim.state.refunds.get(request.path_params["id"])
    if refund is None:
        raise no_such("refund", request.path_params["id"])
    return refund


def _refundable_charge(sim: Simulator, params: JSON) -> JSON:
    intent_id = optional_str(params, "payment_intent")
    charge_id = optional_str(params, "charge")
    if intent_id is None and charge_id is None:
        raise invalid_request(
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
            code="parameter_missing",
        )
    if intent_id is not None:
        intent = sim.state.payment_intents.get(intent_id)
        if intent is None:
            raise no_such("payment_intent", intent_id, param="payment_intent", status=400)
        if intent["status"] != "succeeded":
            raise invalid_request(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        return sim.state.charges[intent["latest_charge"]]
    assert charge_id is not None
    charge = existing_charge(sim, charge_id, param="charge")
    if charge["status"] != "succeeded":
        raise invalid_request(f"Charge {charge_id} has not succeeded.", param="charge")
    return charge
