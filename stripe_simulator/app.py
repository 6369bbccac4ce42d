"""The simulator's Starlette application, assembled explicitly from routes and a lifespan.

Stripe's API (``/v1``), as far as the billing backend and its tests use it:

- customers: ``POST /v1/customers``, ``GET /v1/customers/{id}``
- payment intents: create, retrieve, ``confirm``, ``cancel``
- setup intents: create, retrieve, ``confirm``
- payment methods: ``GET /v1/payment_methods`` (paginated), retrieve, ``attach``, ``detach``
- charges and disputes: retrieve
- refunds: create, list (paginated), retrieve
- events: list (paginated, ``type``), retrieve
- ephemeral keys: create

Any other path or method is answered as Stripe does: a JSON ``invalid_request_error``, 404.
The ``/_sim`` control API is described in ``control.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route

from stripe_simulator import control
from stripe_simulator.charges import retrieve_charge
from stripe_simulator.config import SimulatorConfig
from stripe_simulator.customers import create_customer, retrieve_customer
from stripe_simulator.disputes import retrieve_dispute
from stripe_simulator.endpoint import Handler, api_endpoint, unrecognized_route
from stripe_simulator.ephemeral_keys import create_ephemeral_key
from stripe_simulator.events import list_events, retrieve_event
from stripe_simulator.payment_intents import (
    cancel_payment_intent,
    confirm_payment_intent,
    create_payment_intent,
    retrieve_payment_intent,
)
from stripe_simulator.payment_methods import (
    attach_payment_method,
    detach_payment_method,
    list_payment_methods,
    retrieve_payment_method,
)
from stripe_simulator.refunds import create_refund, list_refunds, retrieve_refund
from stripe_simulator.setup_intents import (
    confirm_setup_intent,
    create_setup_intent,
    retrieve_setup_intent,
)
from stripe_simulator.simulator import Simulator


def build_simulator_app(config: SimulatorConfig) -> Starlette:
    """A fresh simulator with empty state; its state is reachable as ``app.state.simulator``."""
    sim = Simulator(config)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await sim.webhooks.aclose()

    def api(path: str, handler: Handler, method: str) -> Route:
        return Route(path, api_endpoint(sim, handler), methods=[method])

    def sim_route(path: str, handler: control.ControlHandler, method: str) -> Route:
        return Route(path, control.control_endpoint(sim, handler), methods=[method])

    routes = [
        api("/v1/customers", create_customer, "POST"),
        api("/v1/customers/{id}", retrieve_customer, "GET"),
        api("/v1/payment_intents", create_payment_intent, "POST"),
        api("/v1/payment_intents/{id}", retrieve_payment_intent, "GET"),
        api("/v1/payment_intents/{id}/confirm", confirm_payment_intent, "POST"),
        api("/v1/payment_intents/{id}/cancel", cancel_payment_intent, "POST"),
        api("/v1/setup_intents", create_setup_intent, "POST"),
        api("/v1/setup_intents/{id}", retrieve_setup_intent, "GET"),
        api("/v1/setup_intents/{id}/confirm", confirm_setup_intent, "POST"),
        api("/v1/payment_methods", list_payment_methods, "GET"),
        api("/v1/payment_methods/{id}", retrieve_payment_method, "GET"),
        api("/v1/payment_methods/{id}/attach", attach_payment_method, "POST"),
        api("/v1/payment_methods/{id}/detach", detach_payment_method, "POST"),
        api("/v1/charges/{id}", retrieve_charge, "GET"),
        api("/v1/disputes/{id}", retrieve_dispute, "GET"),
        api("/v1/refunds", create_refund, "POST"),
        api("/v1/refunds", list_refunds, "GET"),
        api("/v1/refunds/{id}", retrieve_refund, "GET"),
        api("/v1/events", list_events, "GET"),
        api("/v1/events/{id}", retrieve_event, "GET"),
        api("/v1/ephemeral_keys", create_ephemeral_key, "POST"),
        sim_route("/_sim/payment_intents/{id}/confirm", control.confirm_as_customer, "POST"),
        sim_route("/_sim/payment_intents/{id}/settle", control.settle_processing, "POST"),
        sim_route("/_sim/payment_intents/{id}/authenticate", control.authenticate_payment, "POST"),
        sim_route("/_sim/setup_intents/{id}/authenticate", control.authenticate_setup, "POST"),
        sim_route("/_sim/events", control.list_events, "GET"),
        sim_route("/_sim/events/{id}/redeliver", control.redeliver_event, "POST"),
        sim_route("/_sim/requests", control.list_requests, "GET"),
        sim_route("/_sim/requests", control.clear_requests, "DELETE"),
        sim_route("/_sim/disputes", control.create_dispute, "POST"),
        sim_route("/_sim/disputes/{id}/close", control.close_dispute_endpoint, "POST"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: unrecognized_route, 405: unrecognized_route},
    )
    app.state.simulator = sim
    return app
