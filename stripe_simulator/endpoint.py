"""Turns a resource handler into a Starlette endpoint with Stripe's auth, idempotency and errors.

Every answer carries a ``Request-Id``; events the request causes name it (``event.request``).
Paths and methods the simulator has no route for get Stripe's JSON 404, not Starlette's text.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stripe_simulator.errors import JSON, StripeError, unrecognized_url
from stripe_simulator.params import decode_form
from stripe_simulator.simulator import Simulator
from stripe_simulator.store import RecordedRequest, StoredResponse, new_id


@dataclass(frozen=True)
class ApiRequest:
    params: JSON
    path_params: dict[str, str]
    stripe_version: str | None
    # The simulator's own address as the caller reached it, for URLs in answers.
    base_url: str = "http://127.0.0.1/"


Handler = Callable[[Simulator, ApiRequest], JSON]
Endpoint = Callable[[Request], Awaitable[Response]]


def api_endpoint(sim: Simulator, handler: Handler) -> Endpoint:
    """Log the request, authenticate it, replay or store idempotent results, render errors."""

    async def endpoint(request: Request) -> Response:
        if request.method == "POST":
            params = decode_form((await request.body()).decode("utf-8", errors="replace"))
            key = request.headers.get("idempotency-key")
        else:
            params = decode_form(request.url.query)
            key = None
        path = request.url.path
        request_id = new_id("req", 14)
        sim.state.requests.append(RecordedRequest(request.method, path, params, key))
        try:
            _authenticate(sim.config.api_key, request.headers.get("authorization"))
        except StripeError as exc:
            return stripe_response(exc.status, exc.body(), request_id)

        if key is not None:
            stored = sim.state.idempotent_responses.get((sim.config.api_key, key))
            if stored is not None:
                if (stored.method, stored.path, stored.params) != (request.method, path, params):
                    return stripe_response(400, _idempotency_error(key), request_id)
                return stripe_response(
                    stored.status, stored.body, request_id, {"Idempotent-Replayed": "true"}
                )

        api_request = ApiRequest(
            params=params,
            path_params={k: str(v) for k, v in request.path_params.items()},
            stripe_version=request.headers.get("stripe-version"),
            base_url=str(request.base_url),
        )
        try:
            with sim.webhooks.caused_by(request_id, key):
                status, body = 200, handler(sim, api_request)
        except StripeError as exc:
            status, body = exc.status, exc.body()
        # Like Stripe, keep results of requests that executed (successes and card declines),
        # not of requests rejected during validation.
        if key is not None and status in (200, 402):
            sim.state.idempotent_responses[(sim.config.api_key, key)] = StoredResponse(
                request.method, path, params, status, body
            )
        return stripe_response(status, body, request_id)

    return endpoint


async def unrecognized_route(request: Request, _exc: Exception) -> Response:
    """The app's handler for Starlette's 404 and 405: Stripe answers both with a JSON 404."""
    error = unrecognized_url(request.method, request.url.path)
    return stripe_response(error.status, error.body(), new_id("req", 14))


def _authenticate(api_key: str, authorization: str | None) -> None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "basic":  # `curl -u sk_test_...:` as in Stripe's docs
        token = _basic_username(token)
    elif scheme.lower() != "bearer":
        token = ""
    if not token:
        raise StripeError(
            401,
            "invalid_request_error",
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth "
            "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        )
    if not hmac.compare_digest(token.encode(), api_key.encode()):
        raise StripeError(
            401,
            "invalid_request_error",
            f"Invalid API Key provided: {token[:8]}{'*' * 4}{token[-4:]}",
        )


def _basic_username(credentials: str) -> str:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[0]


def _idempotency_error(key: str) -> JSON:
    return StripeError(
        400,
        "idempotency_error",
        "Keys for idempotent requests can only be used with the same parameters they were "
        f"first used with. Try using a key other than '{key}' if you meant to execute a "
        "different request.",
    ).body()


def stripe_response(
    status: int, body: JSON, request_id: str, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(
        body, status_code=status, headers={"Request-Id": request_id, **(headers or {})}
    )
