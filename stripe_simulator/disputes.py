"""Disputes exist only through the control API: tests open and close them on a charge."""

from __future__ import annotations

from stripe_simulator.charges import existing_charge
from stripe_simulator.errors import JSON, invalid_request, no_such
from stripe_simulator.params import one_of, optional_int, optional_str
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import new_id, now

_REASONS = ("fraudulent", "duplicate", "product_not_received", "credit_not_processed", "general")
_EVIDENCE_WINDOW_SECONDS = 7 * 24 * 3600


def open_dispute(sim: Simulator, params: JSON) -> JSON:
    """Open a dispute on a charge or a PaymentIntent's latest charge: ``charge.dispute.created``."""
    charge = _disputed_charge(sim, params)
    amount = optional_int(params, "amount") or charge["amount_captured"]
    created = now()
    dispute: JSON = {
        "id": new_id("dp"),
        "object": "dispute",
        "amount": amount,
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "evidence_details": {
            "due_by": created + _EVIDENCE_WINDOW_SECONDS,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "reason": one_of(params, "reason", _REASONS, default="fraudulent"),
        "status": "needs_response",
    }
    sim.state.disputes[dispute["id"]] = dispute
    charge["disputed"] = True
    sim.webhooks.emit("charge.dispute.created", dispute)
    return dispute


def close_dispute(sim: Simulator, dispute_id: str, params: JSON) -> JSON:
    """Decide a dispute ``won`` or ``lost``: ``charge.dispute.closed``."""
    dispute = sim.state.disputes.get(dispute_id)
    if dispute is None:
        raise no_such("dispute", dispute_id)
    if dispute["status"] in ("won", "lost"):
        raise invalid_request(f"Dispute {dispute_id} is already closed.")
    previous = {"status": dispute["status"]}
    dispute["status"] = one_of(params, "status", ("won", "lost"), default="lost")
    sim.webhooks.emit("charge.dispute.closed", dispute, previous)
    return dispute


def _disputed_charge(sim: Simulator, params: JSON) -> JSON:
    charge_id = optional_str(params, "charge")
    intent_id = optional_str(params, "payment_intent")
    if charge_id is None and intent_id is not None:
        intent = sim.state.payment_intents.get(intent_id)
        if intent is None:
            raise no_such("payment_intent", intent_id, param="payment_intent", status=400)
        charge_id = intent["latest_charge"]
    if charge_id is None:
        raise invalid_request("Pass charge or payment_intent.", code="parameter_missing")
    charge = existing_charge(sim, charge_id, param="charge")
    if charge["status"] != "succeeded":
        raise invalid_request(f"Charge {charge_id} has not succeeded.", param="charge")
    return charge
