"""Customers: create and retrieve."""

from __future__ import annotations

from stripe_simulator.endpoint import ApiRequest
from stripe_simulator.errors import JSON, no_such
from stripe_simulator.params import metadata, optional_str, reject_unknown
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import new_id, now

_FIELDS = ("description", "email", "name", "phone")


def create_customer(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, (*_FIELDS, "metadata"))
    customer: JSON = {
        "id": new_id("cus", 14),
        "object": "customer",
        "balance": 0,
        "created": now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
        "livemode": False,
        "metadata": metadata(request.params),
        **{name: optional_str(request.params, name) for name in _FIELDS},
    }
    sim.state.customers[customer["id"]] = customer
    return customer


def retrieve_customer(sim: Simulator, request: ApiRequest) -> JSON:
    return existing_customer(sim, request.path_params["id"], param="id", status=404)


def existing_customer(sim: Simulator, customer_id: str, *, param: str, status: int = 400) -> JSON:
    customer = sim.state.customers.get(customer_id)
    if customer is None:
        raise no_such("customer", customer_id, param=param, status=status)
    return customer
