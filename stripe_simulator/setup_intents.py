"""SetupIntents: save a card to a customer for later off-session charges.

A declined card leaves the intent in ``requires_payment_method`` (``setup_intent.setup_failed``).
A card that needs 3-D Secure (``authentication.py``) waits in ``requires_action`` until
``complete_setup_authentication`` hears the card holder's answer.
"""

from __future__ import annotations

import copy
import secrets

from stripe_simulator.authentication import (
    mark_set_up,
    next_action,
    setup_authentication_failure,
    setup_needs_authentication,
)
from stripe_simulator.cards import behaviour_of, resolve_payment_method
from stripe_simulator.customers import existing_customer
from stripe_simulator.endpoint import ApiRequest
from stripe_simulator.errors import (
    DECLINE_MESSAGES,
    JSON,
    StripeError,
    invalid_request,
    no_such,
    unexpected_state,
)
from stripe_simulator.params import metadata, one_of, optional_bool, optional_str, reject_unknown
from stripe_simulator.payment_methods import attach_to_customer
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import new_id, now

_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def create_setup_intent(sim: Simulator, request: ApiRequest) -> JSON:
    params = request.params
    reject_unknown(
        params,
        (
            "customer",
            "usage",
            "payment_method",
            "payment_method_types",
            "metadata",
            "confirm",
            "automatic_payment_methods",
            "description",
            "return_url",
        ),
    )
    customer_id = optional_str(params, "customer")
    if customer_id is not None:
        existing_customer(sim, customer_id, param="customer")
    intent_id = new_id("seti")
    intent: JSON = {
        "id": intent_id,
        "object": "setup_intent",
        "cancellation_reason": None,
        "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
        "created": now(),
        "customer": customer_id,
        "description": optional_str(params, "description"),
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "metadata": metadata(params),
        "next_action": None,
        "payment_method": None,
        "payment_method_types": ["card"],
        "status": "requires_payment_method",
        "usage": one_of(params, "usage", ("off_session", "on_session"), default="off_session"),
    }
    reference = optional_str(params, "payment_method")
    if reference is not None:
        intent.update(payment_method=resolve_payment_method(sim, reference)["id"])
        intent["status"] = "requires_confirmation"
    sim.state.setup_intents[intent_id] = intent
    if optional_bool(params, "confirm"):
        return confirm_setup(
            sim,
            intent,
            None,
            return_url=optional_str(params, "return_url"),
            base_url=request.base_url,
        )
    return intent


def retrieve_setup_intent(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, ("client_secret",))
    return existing_setup_intent(sim, request.path_params["id"])


def confirm_setup_intent(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, ("payment_method", "return_url"))
    intent = existing_setup_intent(sim, request.path_params["id"])
    return confirm_setup(
        sim,
        intent,
        optional_str(request.params, "payment_method"),
        return_url=optional_str(request.params, "return_url"),
        base_url=request.base_url,
    )


def confirm_setup(
    sim: Simulator,
    intent: JSON,
    reference: str | None,
    *,
    return_url: str | None = None,
    base_url: str = "http://127.0.0.1/",
) -> JSON:
    if intent["status"] not in _CONFIRMABLE:
        raise invalid_request(
            f"You cannot confirm this SetupIntent because it has a status of {intent['status']}.",
            code="setup_intent_unexpected_state",
        )
    if reference is not None:
        intent["payment_method"] = resolve_payment_method(sim, reference)["id"]
    if intent["payment_method"] is None:
        raise invalid_request(
            "You cannot confirm this SetupIntent because it's missing a payment method.",
            code="setup_intent_unexpected_state",
        )
    payment_method = sim.state.payment_methods[intent["payment_method"]]
    behaviour = behaviour_of(sim, payment_method["id"])
    if behaviour.declines_setup and behaviour.decline_code is not None:
        error = StripeError(
            402,
            "card_error",
            DECLINE_MESSAGES.get(behaviour.decline_code, DECLINE_MESSAGES["generic_decline"]),
            code="card_declined",
            decline_code=behaviour.decline_code,
            extra={"payment_method": copy.deepcopy(payment_method)},
        )
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            last_setup_error=error.body()["error"],
            latest_attempt=new_id("setatt"),
            next_action=None,
        )
        sim.webhooks.emit("setup_intent.setup_failed", intent)
        error.extra["setup_intent"] = copy.deepcopy(intent)
        raise error
    intent["latest_attempt"] = new_id("setatt")
    if setup_needs_authentication(sim, payment_method["id"]):
        intent.update(
            status="requires_action",
            last_setup_error=None,
            next_action=next_action(
                intent, payment_method, return_url=return_url, base_url=base_url
            ),
        )
        sim.webhooks.emit("setup_intent.requires_action", intent)
        return intent
    return _succeed(sim, intent, payment_method)


def complete_setup_authentication(sim: Simulator, intent: JSON, *, succeed: bool) -> JSON:
    """The card holder's answer to 3-D Secure (control API): the card is saved, or the intent
    returns to ``requires_payment_method`` with ``setup_intent_authentication_failure``."""
    if intent["status"] != "requires_action":
        raise unexpected_state(
            f"This SetupIntent has a status of {intent['status']}, not requires_action.",
            code="setup_intent_unexpected_state",
        )
    payment_method = sim.state.payment_methods[intent["payment_method"]]
    intent["next_action"] = None
    if succeed:
        return _succeed(sim, intent, payment_method)
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        last_setup_error=setup_authentication_failure(payment_method),
    )
    sim.webhooks.emit("setup_intent.setup_failed", intent)
    return intent


def existing_setup_intent(sim: Simulator, intent_id: str) -> JSON:
    intent = sim.state.setup_intents.get(intent_id)
    if intent is None:
        raise no_such("setup_intent", intent_id)
    return intent


def _succeed(sim: Simulator, intent: JSON, payment_method: JSON) -> JSON:
    if intent["customer"] is not None:
        attach_to_customer(sim, payment_method, intent["customer"])
    if intent["usage"] == "off_session":
        mark_set_up(sim, payment_method["id"])
    intent.update(status="succeeded", last_setup_error=None, next_action=None)
    sim.webhooks.emit("setup_intent.succeeded", intent)
    return intent
