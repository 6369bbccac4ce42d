"""PaymentMethods: retrieve, detach, and list a customer's cards."""

from __future__ import annotations

from stripe_simulator.cards import TEST_CARDS, resolve_payment_method
from stripe_simulator.customers import existing_customer
from stripe_simulator.endpoint import ApiRequest
from stripe_simulator.errors import JSON, invalid_request, no_such
from stripe_simulator.params import one_of, optional_int, optional_str, reject_unknown
from stripe_simulator.simulator import Simulator


def retrieve_payment_method(sim: Simulator, request: ApiRequest) -> JSON:
    payment_method_id = request.path_params["id"]
    if payment_method_id in TEST_CARDS:
        return resolve_payment_method(sim, payment_method_id)
    return _existing(sim, payment_method_id)


def detach_payment_method(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, ())
    payment_method = _existing(sim, request.path_params["id"])
    if payment_method["customer"] is None:
        raise invalid_request(
            "The payment method you provided is not attached to a customer so detachment is "
            "impossible."
        )
    previous = {"customer": payment_method["customer"]}
    payment_method["customer"] = None
    sim.webhooks.emit("payment_method.detached", payment_method, previous)
    return payment_method


def list_payment_methods(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, ("customer", "type", "limit"))
    customer_id = optional_str(request.params, "customer")
    kind = one_of(request.params, "type", ("card",), default="card")
    limit = optional_int(request.params, "limit") or 10
    if customer_id is not None:
        existing_customer(sim, customer_id, param="customer")
    matches = [
        payment_method
        for payment_method in reversed(sim.state.payment_methods.values())
        if payment_method["type"] == kind
        and payment_method["customer"] is not None
        and customer_id in (None, payment_method["customer"])
    ]
    return {
        "object": "list",
        "data": matches[:limit],
        "has_more": len(matches) > limit,
        "url": "/v1/payment_methods",
    }


def attach_to_customer(payment_method: JSON, customer_id: str) -> None:
    if payment_method["customer"] not in (None, customer_id):
        raise invalid_request(
            "The provided PaymentMethod belongs to a different Customer.", param="payment_method"
        )
    payment_method["customer"] = customer_id


def _existing(sim: Simulator, payment_method_id: str) -> JSON:
    payment_method = sim.state.payment_methods.get(payment_method_id)
    if payment_method is None:
        raise no_such("PaymentMethod", payment_method_id)
    return payment_method
