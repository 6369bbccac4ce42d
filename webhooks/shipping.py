"""``POST /webhooks/shipping``: a carrier's tracking update, one event per request.

A thin adapter: verify the signature over the raw body, parse the event, hand it to
``billing.shipments.rules.record_tracking_update`` and answer with the outcome's status. The
body holds tracking numbers and places, so nothing of it is logged: only outcome codes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from billing.audit.chain import audit_chain_key
from billing.shipments.rules import TrackingOutcome, TrackingUpdate, record_tracking_update
from models.enums import ShipmentStatus

if TYPE_CHECKING:
    from config.settings import Settings

SIGNATURE_HEADER = "X-Signature"
_SIGNATURE_PREFIX = "sha256="
# RFC 3339 date-time: a full date, "T", a full time and a mandatory offset.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$", re.IGNORECASE
)

_log = logging.getLogger("billing.webhooks.shipping")

Endpoint = Callable[[Request], Awaitable[Response]]


class _Rejected(Exception):
    """The request cannot be taken; ``code`` says why, for the caller and the log."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


# What each outcome of the domain action answers.
_ANSWERS: dict[TrackingOutcome, tuple[int, str]] = {
    TrackingOutcome.STORED: (204, "stored"),
    TrackingOutcome.DUPLICATE: (204, "duplicate"),
    TrackingOutcome.UNKNOWN_SHIPMENT: (404, "unknown_tracking_number"),
    TrackingOutcome.IN_THE_FUTURE: (400, "time_in_the_future"),
    TrackingOutcome.OTHER_CARRIER: (409, "carrier_mismatch"),
}


def shipping_webhook(settings: Settings) -> Endpoint:
    """The endpoint, bound to the shipping secret and the audit chain key."""
    secret = settings.shipping_webhook_secret.reveal().encode()
    audit_key = audit_chain_key(settings.secret_key.reveal())

    async def receive_tracking_update(request: Request) -> Response:
        body = await request.body()
        try:
            verify_signature(body, request.headers.get(SIGNATURE_HEADER), secret)
            update = parse_tracking_update(body)
        except _Rejected as rejection:
            return _answer(rejection.status, rejection.code)
        outcome = await record_tracking_update(
            update,
            audit_key=audit_key,
            ip_address=request.client.host if request.client else "",
            request_id=request.scope.get("state", {}).get("request_id", ""),
        )
        return _answer(*_ANSWERS[outcome])

    return receive_tracking_update


def sign(body: bytes, secret: bytes) -> str:
    """The ``X-Signature`` value of ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return _SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: bytes) -> None:
    """Raise ``_Rejected`` (401) unless ``header`` signs exactly these raw bytes."""
    if not header:
        raise _Rejected(401, "missing_signature")
    # Header values arrive as latin-1; compare bytes so any value compares in constant time.
    given = header.strip().lower().encode("latin-1", errors="replace")
    if not secret or not hmac.compare_digest(given, sign(body, secret).encode()):
        raise _Rejected(401, "bad_signature")


def parse_tracking_update(body: bytes) -> TrackingUpdate:
    """The event in a verified body; ``_Rejected`` (400) when it is not one."""
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _Rejected(400, "bad_body") from None
    if not isinstance(event, dict):
        raise _Rejected(400, "bad_body")
    tracking_number = _required_text(event, "trackingNumber")
    carrier = _required_text(event, "carrier")
    status_name = _required_text(event, "status")
    if status_name not in ShipmentStatus.__members__:
        raise _Rejected(400, "unknown_status")
    return TrackingUpdate(
        tracking_number=tracking_number,
        carrier=carrier,
        status=ShipmentStatus[status_name],
        occurred_at=_rfc3339(_required_text(event, "occurredAt")),
        description=_optional_text(event, "description"),
        location=_optional_text(event, "location"),
    )


def _required_text(event: dict[str, Any], name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _Rejected(400, "bad_body")
    return value.strip()


def _optional_text(event: dict[str, Any], name: str) -> str:
    value = event.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Rejected(400, "bad_body")
    return value.strip()


def _rfc3339(text: str) -> datetime:
    if not _RFC3339.match(text):
        raise _Rejected(400, "bad_time")
    try:
        return datetime.fromisoformat(text.upper())
    except ValueError:  # a well-shaped but impossible time, such as month 13
        raise _Rejected(400, "bad_time") from None


def _answer(status: int, code: str) -> Response:
    _log.info("shipping webhook", extra={"event": code, "status": status})
    if status == 204:
        return Response(status_code=204)
    return JSONResponse({"error": code}, status_code=status)
