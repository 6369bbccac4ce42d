"""The ``/_sim`` control API: what a test or the demo does in place of a phone, a bank or a
card holder. Unauthenticated; the simulator only listens on loopback.

- ``POST /_sim/payment_intents/{id}/confirm``: confirm as the customer's phone would
  (``payment_method``, default ``pm_card_visa``; ``settle=later`` parks it in ``processing``).
- ``POST /_sim/payment_intents/{id}/confirm`` with ``us_bank_account[account_number]``: a debit
  of a US bank account (``bank_accounts.py``), ``processing`` until settled.
- ``POST /_sim/payment_intents/{id}/settle``: decide a ``processing`` intent
  (``outcome=succeeded|failed``; without one, as the bank account's test number says).
- ``POST /_sim/payment_intents/{id}/authenticate`` and
  ``POST /_sim/setup_intents/{id}/authenticate``: the card holder's answer to 3-D Secure for an
  intent in ``requires_action`` (``outcome=succeeded|failed``, default ``succeeded``), as
  Stripe.js or the mobile SDK reports it after the challenge. Answers the intent.
- ``GET /_sim/events`` (``type=``), ``POST /_sim/events/{id}/redeliver``: events with their
  delivery outcomes, and another delivery.
- ``GET /_sim/requests``, ``DELETE /_sim/requests``: the API request log.
- ``POST /_sim/disputes`` (``payment_intent`` or ``charge``, ``reason``, ``amount``) and
  ``POST /_sim/disputes/{id}/close`` (``status=won|lost``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stripe_simulator.bank_accounts import TEST_ROUTING_NUMBER
from stripe_simulator.disputes import close_dispute, open_dispute
from stripe_simulator.errors import JSON, StripeError, invalid_request, no_such
from stripe_simulator.params import decode_form, one_of, optional_str
from stripe_simulator.payment_intents import (
    complete_authentication,
    confirm_bank_debit,
    confirm_intent,
    existing_intent,
    settle_intent,
)
from stripe_simulator.setup_intents import complete_setup_authentication, existing_setup_intent
from stripe_simulator.simulator import Simulator

ControlHandler = Callable[[Simulator, JSON, dict[str, str]], tuple[int, JSON]]
Endpoint = Callable[[Request], Awaitable[Response]]


def control_endpoint(sim: Simulator, handler: ControlHandler) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        body = (await request.body()).decode("utf-8", errors="replace")
        try:
            params = _parse(body, request.headers.get("content-type", ""), request.url.query)
            status, result = handler(sim, params, dict(request.path_params))
        except StripeError as exc:
            status, result = exc.status, exc.body()
        return JSONResponse(result, status_code=status)

    return endpoint


def confirm_as_customer(sim: Simulator, params: JSON, path: dict[str, str]) -> tuple[int, JSON]:
    """Confirm with a test card (default ``pm_card_visa``); ``settle=later``: processing. With
    ``us_bank_account[account_number]`` (and ``[routing_number]``, default Stripe's test one):
    a bank debit, processing until settled."""
    intent = existing_intent(sim, path["id"])
    bank = params.get("us_bank_account")
    if isinstance(bank, dict):
        account = bank.get("account_number")
        routing = bank.get("routing_number", TEST_ROUTING_NUMBER)
        if not isinstance(account, str) or not isinstance(routing, str):
            raise invalid_request(
                "Missing required param: us_bank_account[account_number].",
                param="us_bank_account[account_number]",
            )
        return 200, confirm_bank_debit(sim, intent, account, routing)
    settle = one_of(params, "settle", ("now", "later"), default="now")
    card = optional_str(params, "payment_method") or "pm_card_visa"
    return 200, confirm_intent(sim, intent, card, settle_later=settle == "later")


def settle_processing(sim: Simulator, params: JSON, path: dict[str, str]) -> tuple[int, JSON]:
    intent = existing_intent(sim, path["id"])
    outcome = one_of(params, "outcome", ("succeeded", "failed"))
    return 200, settle_intent(
        sim, intent, succeed=None if outcome is None else outcome == "succeeded"
    )


def authenticate_payment(sim: Simulator, params: JSON, path: dict[str, str]) -> tuple[int, JSON]:
    intent = existing_intent(sim, path["id"])
    return 200, complete_authentication(sim, intent, succeed=_authenticated(params))


def authenticate_setup(sim: Simulator, params: JSON, path: dict[str, str]) -> tuple[int, JSON]:
    intent = existing_setup_intent(sim, path["id"])
    return 200, complete_setup_authentication(sim, intent, succeed=_authenticated(params))


def list_events(sim: Simulator, params: JSON, _path: dict[str, str]) -> tuple[int, JSON]:
    wanted = optional_str(params, "type")
    events = [
        {**event, "delivery_attempts": sim.state.deliveries[event["id"]]}
        for event in sim.state.events.values()
        if wanted in (None, event["type"])
    ]
    return 200, {"object": "list", "data": events}


def redeliver_event(sim: Simulator, _params: JSON, path: dict[str, str]) -> tuple[int, JSON]:
    event_id = path["id"]
    if event_id not in sim.state.events:
        raise no_such("event", event_id)
    if not sim.webhooks.deliver(event_id):
        raise invalid_request("No webhook endpoint is configured.")
    return 202, {"id": event_id, "redelivery": "scheduled"}


def list_requests(sim: Simulator, _params: JSON, _path: dict[str, str]) -> tuple[int, JSON]:
    return 200, {"object": "list", "data": [req.as_json() for req in sim.state.requests]}


def clear_requests(sim: Simulator, _params: JSON, _path: dict[str, str]) -> tuple[int, JSON]:
    sim.state.requests.clear()
    return 200, {"object": "list", "data": []}


def create_dispute(sim: Simulator, params: JSON, _path: dict[str, str]) -> tuple[int, JSON]:
    return 200, open_dispute(sim, params)


def close_dispute_endpoint(sim: Simulator, params: JSON, path: dict[str, str]) -> tuple[int, JSON]:
    return 200, close_dispute(sim, path["id"], params)


def _authenticated(params: JSON) -> bool:
    return one_of(params, "outcome", ("succeeded", "failed"), default="succeeded") == "succeeded"


def _parse(body: str, content_type: str, query: str) -> JSON:
    if not body:
        return decode_form(query)
    if content_type.startswith("application/json"):
        try:
            parsed = json.loads(body)
        except json.JSONDecodeError as exc:
            raise invalid_request("Body is not valid JSON.") from exc
        if not isinstance(parsed, dict):
            raise invalid_request("Body must be a JSON object.")
        return {
            key: value if isinstance(value, str | dict) else json.dumps(value)
            for key, value in parsed.items()
        }
    return decode_form(body)
