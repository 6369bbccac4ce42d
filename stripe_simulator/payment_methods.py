"""PaymentMethods: retrieve, attach, detach, and list a customer's cards."""

from __future__ import annotations

from stripe_simulator.cards import TEST_CARDS, resolve_payment_method
from stripe_simulator.customers import existing_customer
from stripe_simulator.endpoint import ApiRequest
from stripe_simulator.errors import JSON, invalid_request, no_such
from stripe_simulator.lists import PAGE_PARAMS, list_page
from stripe_simulator.params import one_of, optional_str, reject_unknown, required_str
from stripe_simulator.simulator import Simulator


def retrieve_payment_method(sim: Simulator, request: ApiRequest) -> JSON:
    payment_method_id = request.path_params["id"]
    if payment_method_id in TEST_CARDS:
        return resolve_payment_method(sim, payment_method_id)
    return _existing(sim, payment_method_id)


def attach_payment_method(sim: Simulator, request: ApiRequest) -> JSON:
    """Attach a card (or a fresh one for a test id such as ``pm_card_visa``) to a customer."""
    reject_unknown(request.params, ("customer",))
    customer_id = required_str(request.params, "customer")
    existing_customer(sim, customer_id, param="customer")
    payment_method_id = request.path_params["id"]
    if payment_method_id in TEST_CARDS:
        payment_method = resolve_payment_method(sim, payment_method_id)
    else:
        payment_method = _existing(sim, payment_method_id)
    attach_to_customer(sim, payment_method, customer_id)
    return payment_method


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
    """A customer's cards (or every attached card), newest first, a page at a time."""
    reject_unknown(request.params, ("customer", "type", *PAGE_PARAMS))
    customer_id = optional_str(request.params, "customer")
    kind = one_of(request.params, "type", ("card",), default="card")
    if customer_id is not None:
        existing_customer(sim, customer_id, param="customer")
    return list_page(
        sim.state.payment_methods,
        request.params,
        url="/v1/payment_methods",
        kind="PaymentMethod",
        matches=lambda payment_method: (
            payment_method["type"] == kind
            and payment_method["customer"] is not None
            and customer_id in (None, payment_method["customer"])
        ),
    )


def attach_to_customer(sim: Simulator, payment_method: JSON, customer_id: str) -> None:
    """Attach ``payment_method`` to ``customer_id``: ``payment_method.attached`` if it was not."""
    if payment_method["customer"] == customer_id:
        return
    if payment_method["customer"] is not None:
        raise invalid_request(
            "The provided PaymentMethod belongs to a different Customer.", param="payment_method"
        )
    payment_method["customer"] = customer_id
    sim.webhooks.emit("payment_method.attached", payment_method)


def _existing(sim: Simulator, payment_method_id: str) -> JSON:
    payment_method = sim.state.payment_methods.get(payment_method_id)
    if payment_method is None:
        raise no_such("PaymentMethod", payment_method_id)
    return payment_method
