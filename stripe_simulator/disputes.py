"""Disputes: tests open and close them on a charge through the control API; the Stripe API
reads them (``GET /v1/disputes/{id}``).

As with Stripe, opening a dispute withdraws the disputed amount and a dispute fee from the
balance (a balance transaction, ``charge.dispute.funds_withdrawn``), and a dispute won returns
both (``charge.dispute.funds_reinstated``).
"""

from __future__ import annotations

from stripe_simulator.charges import existing_charge
from stripe_simulator.endpoint import ApiRequest
from stripe_simulator.errors import JSON, invalid_request, no_such
from stripe_simulator.params import one_of, optional_int, optional_str, reject_unknown
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import new_id, now

_REASONS = ("fraudulent", "duplicate", "product_not_received", "credit_not_processed", "general")
_EVIDENCE_WINDOW_SECONDS = 7 * 24 * 3600
# Stripe's US dispute fee, in cents.
_DISPUTE_FEE = 1500
# The evidence a merchant can submit; all empty until they do.
_EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


def open_dispute(sim: Simulator, params: JSON) -> JSON:
    """Open a dispute on a charge or a PaymentIntent's latest charge: ``charge.dispute.created``
    and ``charge.dispute.funds_withdrawn``."""
    charge = _disputed_charge(sim, params)
    amount = optional_int(params, "amount") or charge["amount_captured"]
    created = now()
    dispute_id = new_id("dp")
    card = charge["payment_method_details"]["card"]
    dispute: JSON = {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [
            _balance_transaction(
                dispute_id,
                -amount,
                _DISPUTE_FEE,
                charge,
                f"Chargeback withdrawal for {charge['id']}",
            )
        ],
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {**dict.fromkeys(_EVIDENCE_FIELDS), "enhanced_evidence": {}},
        "evidence_details": {
            "due_by": created + _EVIDENCE_WINDOW_SECONDS,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
            "submission_method": "not_submitted",
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "network_reason_code": None,
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {
            "type": "card",
            "card": {"brand": card["brand"], "case_type": "chargeback", "network": card["brand"]},
        },
        "reason": one_of(params, "reason", _REASONS, default="fraudulent"),
        "status": "needs_response",
    }
    sim.state.disputes[dispute_id] = dispute
    charge["disputed"] = True
    sim.webhooks.emit("charge.dispute.created", dispute)
    sim.webhooks.emit("charge.dispute.funds_withdrawn", dispute)
    return dispute


def close_dispute(sim: Simulator, dispute_id: str, params: JSON) -> JSON:
    """Decide a dispute ``won`` or ``lost``: ``charge.dispute.closed``; a dispute won also
    returns the funds (``charge.dispute.funds_reinstated``)."""
    dispute = _existing(sim, dispute_id)
    if dispute["status"] in ("won", "lost"):
        raise invalid_request(f"Dispute {dispute_id} is already closed.")
    previous = {"status": dispute["status"]}
    dispute["status"] = one_of(params, "status", ("won", "lost"), default="lost")
    won = dispute["status"] == "won"
    if won:
        charge = sim.state.charges[dispute["charge"]]
        reversal = _balance_transaction(
            dispute_id,
            dispute["amount"],
            -_DISPUTE_FEE,
            charge,
            f"Chargeback reversal for {charge['id']}",
        )
        dispute["balance_transactions"].append(reversal)
    sim.webhooks.emit("charge.dispute.closed", dispute, previous)
    if won:
        sim.webhooks.emit("charge.dispute.funds_reinstated", dispute)
    return dispute


def retrieve_dispute(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, ())
    return _existing(sim, request.path_params["id"])


def _balance_transaction(
    dispute_id: str, amount: int, fee: int, charge: JSON, description: str
) -> JSON:
    created = now()
    return {
        "id": new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created,
        "balance_type": "payments",
        "created": created,
        "currency": charge["currency"],
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [
            {
                "amount": fee,
                "application": None,
                "currency": charge["currency"],
                "description": "Dispute fee",
                "type": "stripe_fee",
            }
        ],
        "net": amount - fee,
        "reporting_category": "dispute" if amount < 0 else "dispute_reversal",
        "source": dispute_id,
        "status": "available",
        "type": "adjustment",
    }


def _existing(sim: Simulator, dispute_id: str) -> JSON:
    dispute = sim.state.disputes.get(dispute_id)
    if dispute is None:
        raise no_such("dispute", dispute_id)
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
