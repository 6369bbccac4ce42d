"""Events through the API: ``GET /v1/events`` (newest first, by ``type``) and one by id, as
``stripe.Event`` reads them. The control API's ``/_sim/events`` adds delivery outcomes."""

from __future__ import annotations

from stripe_simulator.endpoint import ApiRequest
from stripe_simulator.errors import JSON, no_such
from stripe_simulator.lists import PAGE_PARAMS, list_page
from stripe_simulator.params import optional_str, reject_unknown
from stripe_simulator.simulator import Simulator


def list_events(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, ("type", *PAGE_PARAMS))
    wanted = optional_str(request.params, "type")
    return list_page(
        sim.state.events,
        request.params,
        url="/v1/events",
        kind="event",
        matches=lambda event: wanted in (None, event["type"]),
    )


def retrieve_event(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, ())
    event = sim.state.events.get(request.path_params["id"])
    if event is None:
        raise no_such("event", request.path_params["id"])
    return event
