"""Plain ASGI middleware: request ids, body size limit, access log."""

from __future__ import annotations

import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.request_context import current_request_id

_access_log = logging.getLogger("billing.access")
_error_log = logging.getLogger("billing.errors")
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id of our own, echoes it in the response, and logs one line
    per request: method, path, status, duration. Never the query string, body or
    variables, which may carry PHI.

    The id is always made here, never taken from the client: it goes into the access log,
    and a client could otherwise pass its requests off as another's, or reuse one id for
    all of them. A well-formed incoming ``X-Request-Id`` (a proxy's or the app's own) is
    kept beside ours, as ``client_request_id`` of the request's log line, to correlate.

    An exception nothing below handled is answered 500 with the id, as JSON, and logged by
    its type only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(16)
        client_request_id = _incoming_request_id(scope)
        token = current_request_id.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_code = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_code = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            _error_log.error("unhandled error", extra={"error_type": type(error).__name__})
            if response_started:
                raise
            await send_json_error(send_with_id, 500, "internal_error")
        finally:
            extra: dict[str, object] = {
                "method": scope.get("method", ""),
                "path": scope.get("path", ""),
                "status": status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            if client_request_id is not None:
                extra["client_request_id"] = client_request_id
            _access_log.info("request", extra=extra)
            current_request_id.reset(token)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _INCOMING_ID.match(candidate) else None
    return None


async def send_json_error(send: Send, status: int, error: str) -> None:
    """A whole short JSON answer ``{"error": error}``, from a middleware that answers itself."""
    body = b'{"error":"' + error.encode() + b'"}'
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimitMiddleware:
    """Answers 413 to a request whose body is larger than ``max_bytes``, declared or sent."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await send_json_error(send, 413, "request body too large")
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await send_json_error(send, 413, "request body too large")


class _BodyTooLarge(Exception):
    pass


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
