"""PaymentIntents: create (optionally confirming), retrieve, confirm, cancel.

Cards settle at once; a US bank account debit (``bank_accounts.py``) is ``processing`` for days
until the control API settles it. ``settle_later`` (control API only) parks a card's intent in
``processing`` until ``settle_intent`` decides it, to exercise the asynchronous
``payment_intent.processing`` path.
A card that needs 3-D Secure (``authentication.py``) parks an on-session confirmation in
``requires_action`` until ``complete_authentication`` hears the card holder's answer, and is
declined with ``authentication_required`` off session.
"""

from __future__ import annotations

import copy
import secrets

from stripe_simulator.authentication import (
    mark_set_up,
    next_action,
    payment_authentication_failure,
    payment_needs_authentication,
)
from stripe_simulator.bank_accounts import (
    BANK_METHOD_TYPE,
    TEST_ACCOUNT_FAILURES,
    accepts_bank_debit,
    bank_debit_error,
    bank_failure,
    bank_payment_method,
)
from stripe_simulator.cards import behaviour_of, resolve_payment_method
from stripe_simulator.charges import card_error, decline_charge, record_charge, settle_charge
from stripe_simulator.customers import existing_customer
from stripe_simulator.endpoint import ApiRequest
from stripe_simulator.errors import JSON, StripeError, invalid_request, no_such, unexpected_state
from stripe_simulator.params import (
    metadata,
    off_session_flag,
    one_of,
    optional_bool,
    optional_str,
    reject_unknown,
    required_int,
    required_str,
)
from stripe_simulator.payment_methods import attach_to_customer
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import new_id, now

_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
_CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
_CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
_CREATE_PARAMS = (
    "amount",
    "currency",
    "customer",
    "description",
    "payment_method",
    "payment_method_types",
    "metadata",
    "confirm",
    "off_session",
    "automatic_payment_methods",
    "setup_future_usage",
    "receipt_email",
    "return_url",
    "statement_descriptor_suffix",
)


def create_payment_intent(sim: Simulator, request: ApiRequest) -> JSON:
    params = request.params
    reject_unknown(params, _CREATE_PARAMS)
    amount = required_int(params, "amount")
    currency = required_str(params, "currency").lower()
    if currency == "usd" and amount < 50:
        raise invalid_request(
            "Amount must be at least $0.50 usd", code="amount_too_small", param="amount"
        )
    customer_id = optional_str(params, "customer")
    if customer_id is not None:
        existing_customer(sim, customer_id, param="customer")
    confirm = optional_bool(params, "confirm")
    off_session = off_session_flag(params)
    if off_session and not confirm:
        raise invalid_request(
            "You may only specify `off_session` when `confirm` is true.", param="off_session"
        )
    automatic = params.get("automatic_payment_methods")
    intent_id = new_id("pi")
    intent: JSON = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "automatic_payment_methods": {"enabled": automatic.get("enabled") == "true"}
        if isinstance(automatic, dict)
        else None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
        "confirmation_method": "automatic",
        "created": now(),
        "currency": currency,
        "customer": customer_id,
        "description": optional_str(params, "description"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata(params),
        "next_action": None,
        "payment_method": None,
        "payment_method_types": _method_types(params),
        "receipt_email": optional_str(params, "receipt_email"),
        "setup_future_usage": one_of(params, "setup_future_usage", ("off_session", "on_session")),
        "status": "requires_payment_method",
    }
    payment_method_ref = optional_str(params, "payment_method")
    if payment_method_ref is not None:
        _use_payment_method(sim, intent, payment_method_ref)
        intent["status"] = "requires_confirmation"
    sim.state.payment_intents[intent_id] = intent
    if confirm:
        return confirm_intent(
            sim,
            intent,
            None,
            off_session=off_session,
            return_url=optional_str(params, "return_url"),
            base_url=request.base_url,
        )
    return intent


def _method_types(params: JSON) -> list[str]:
    """``payment_method_types``: ``card`` (the default) and ``us_bank_account`` are known."""
    wanted = params.get("payment_method_types")
    if wanted is None:
        return ["card"]
    if (
        not isinstance(wanted, list)
        or not wanted
        or not all(value in ("card", BANK_METHOD_TYPE) for value in wanted)
    ):
        raise invalid_request(
            "The payment method type provided is invalid.", param="payment_method_types"
        )
    return list(dict.fromkeys(wanted))


def confirm_bank_debit(
    sim: Simulator, intent: JSON, account_number: str, routing_number: str
) -> JSON:
    """The payer's Stripe.js confirming with their bank account: ``processing`` at once, with
    a ``pending`` charge, and ``payment_intent.processing``."""
    if intent["status"] not in _CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}."
        )
    if not accepts_bank_debit(intent):
        raise invalid_request(
            "The PaymentIntent does not accept us_bank_account payment methods.",
            param="payment_method_types",
        )
    payment_method = bank_payment_method(sim, account_number, routing_number)
    intent["payment_method"] = payment_method["id"]
    charge = record_charge(sim, intent, payment_method, "pending")
    intent.update(
        status="processing", latest_charge=charge["id"], last_payment_error=None, next_action=None
    )
    sim.webhooks.emit("payment_intent.processing", intent)
    return intent


def retrieve_payment_intent(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, ("client_secret",))
    return existing_intent(sim, request.path_params["id"])


def confirm_payment_intent(sim: Simulator, request: ApiRequest) -> JSON:
    params = request.params
    reject_unknown(params, ("payment_method", "off_session", "return_url"))
    intent = existing_intent(sim, request.path_params["id"])
    return confirm_intent(
        sim,
        intent,
        optional_str(params, "payment_method"),
        off_session=off_session_flag(params),
        return_url=optional_str(params, "return_url"),
        base_url=request.base_url,
    )


def cancel_payment_intent(sim: Simulator, request: ApiRequest) -> JSON:
    reject_unknown(request.params, ("cancellation_reason",))
    intent = existing_intent(sim, request.path_params["id"])
    reason = one_of(request.params, "cancellation_reason", _CANCELLATION_REASONS)
    if intent["status"] not in _CANCELABLE:
        raise unexpected_state(
            "You cannot cancel this PaymentIntent because it has a status of "
            f"{intent['status']}. Only a PaymentIntent with one of the following statuses may "
            f"be canceled: {', '.join(_CANCELABLE)}."
        )
    intent.update(
        status="canceled", canceled_at=now(), cancellation_reason=reason, next_action=None
    )
    sim.webhooks.emit("payment_intent.canceled", intent)
    return intent


def confirm_intent(
    sim: Simulator,
    intent: JSON,
    payment_method_ref: str | None,
    *,
    off_session: bool = False,
    return_url: str | None = None,
    base_url: str = "http://127.0.0.1/",
    settle_later: bool = False,
) -> JSON:
    """Confirm as Stripe would: succeed, wait for the card holder to authenticate, or raise a
    402 card error and reopen the intent."""
    if intent["status"] not in _CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}."
        )
    if payment_method_ref is not None:
        _use_payment_method(sim, intent, payment_method_ref)
    if intent["payment_method"] is None:
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it's missing a payment method. "
            "To confirm the PaymentIntent, update it with a payment_method or pass one to confirm."
        )
    payment_method = sim.state.payment_methods[intent["payment_method"]]
    if payment_needs_authentication(sim, payment_method["id"], off_session=off_session):
        if off_session:
            _decline(sim, intent, payment_method, "authentication_required")
        intent.update(
            status="requires_action",
            last_payment_error=None,
            next_action=next_action(
                intent, payment_method, return_url=return_url, base_url=base_url
            ),
        )
        sim.webhooks.emit("payment_intent.requires_action", intent)
        return intent
    return _charge(sim, intent, payment_method, settle_later=settle_later)


def complete_authentication(sim: Simulator, intent: JSON, *, succeed: bool) -> JSON:
    """The card holder's answer to 3-D Secure (control API), as their SDK reports it: the
    intent succeeds (or its card is then declined), or returns to ``requires_payment_method``
    with ``payment_intent_authentication_failure``."""
    if intent["status"] != "requires_action":
        raise unexpected_state(
            f"This PaymentIntent has a status of {intent['status']}, not requires_action."
        )
    payment_method = sim.state.payment_methods[intent["payment_method"]]
    intent["next_action"] = None
    if not succeed:
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            last_payment_error=payment_authentication_failure(payment_method),
        )
        sim.webhooks.emit("payment_intent.payment_failed", intent)
        return intent
    try:
        return _charge(sim, intent, payment_method, settle_later=False, authenticated=True)
    except StripeError:
        # Declined after authenticating: the card holder's SDK reads the reopened intent.
        return intent


def _charge(
    sim: Simulator,
    intent: JSON,
    payment_method: JSON,
    *,
    settle_later: bool,
    authenticated: bool = False,
) -> JSON:
    decline_code = behaviour_of(sim, payment_method["id"]).decline_code
    if decline_code is not None:
        _decline(sim, intent, payment_method, decline_code, authenticated=authenticated)
    status = "pending" if settle_later else "succeeded"
    charge = record_charge(sim, intent, payment_method, status, authenticated=authenticated)
    intent.update(latest_charge=charge["id"], last_payment_error=None)
    if settle_later:
        intent["status"] = "processing"
        sim.webhooks.emit("payment_intent.processing", intent)
        return intent
    _succeed(sim, intent, charge)
    return intent


def settle_intent(sim: Simulator, intent: JSON, *, succeed: bool | None) -> JSON:
    """Decide a ``processing`` intent (control API). ``succeed`` None: as the bank account's
    test number says (a card's clears)."""
    if intent["status"] != "processing":
        raise unexpected_state(
            f"This PaymentIntent has a status of {intent['status']}, not processing."
        )
    charge = sim.state.charges[intent["latest_charge"]]
    payment_method = sim.state.payment_methods[intent["payment_method"]]
    failure = bank_failure(sim, payment_method["id"])
    if succeed is None:
        succeed = failure is None
    if succeed:
        settle_charge(charge)
        _succeed(sim, intent, charge)
        return intent
    if payment_method["type"] == BANK_METHOD_TYPE:
        returned = failure or TEST_ACCOUNT_FAILURES["000111111113"]
        charge.update(
            status="failed",
            paid=False,
            captured=False,
            amount_captured=0,
            failure_code=returned.code,
            failure_message=returned.message,
        )
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            last_payment_error=bank_debit_error(returned, payment_method),
        )
        sim.webhooks.emit("payment_intent.payment_failed", intent)
        return intent
    decline_charge(charge, "generic_decline")
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        last_payment_error=card_error(charge, payment_method, "generic_decline").body()["error"],
    )
    sim.webhooks.emit("payment_intent.payment_failed", intent)
    return intent


def existing_intent(sim: Simulator, intent_id: str) -> JSON:
    intent = sim.state.payment_intents.get(intent_id)
    if intent is None:
        raise no_such("payment_intent", intent_id)
    return intent


def _use_payment_method(sim: Simulator, intent: JSON, reference: str) -> None:
    payment_method = resolve_payment_method(sim, reference)
    owner = payment_method["customer"]
    if owner is not None and owner != intent["customer"]:
        raise invalid_request(
            "The provided PaymentMethod belongs to a different Customer.", param="payment_method"
        )
    intent["payment_method"] = payment_method["id"]


def _succeed(sim: Simulator, intent: JSON, charge: JSON) -> None:
    intent.update(status="succeeded", amount_received=intent["amount"], next_action=None)
    payment_method = sim.state.payment_methods[charge["payment_method"]]
    if intent["setup_future_usage"] and intent["customer"]:
        attach_to_customer(sim, payment_method, intent["customer"])
    if intent["setup_future_usage"] == "off_session":
        # Saved with the card holder present (and authenticated, if the card asked).
        mark_set_up(sim, payment_method["id"])
    sim.webhooks.emit("payment_intent.succeeded", intent)


def _decline(
    sim: Simulator,
    intent: JSON,
    payment_method: JSON,
    decline_code: str,
    *,
    authenticated: bool = False,
) -> None:
    charge = record_charge(sim, intent, payment_method, "failed", authenticated=authenticated)
    decline_charge(charge, decline_code)
    error = card_error(charge, payment_method, decline_code)
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        latest_charge=charge["id"],
        last_payment_error=error.body()["error"],
        next_action=None,
    )
    sim.webhooks.emit("payment_intent.payment_failed", intent)
    error.extra["payment_intent"] = copy.deepcopy(intent)
    raise error
