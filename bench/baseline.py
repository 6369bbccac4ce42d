"""The baseline: a plain Starlette app that answers what the benchmarked operations answer,
with the same SQL, and none of GraphQL.

- ``POST /my-invoices`` ``{"first": n}``: MyInvoices. Hand-written SQL for the session, the
  page and the count, then the same access-log append as the API (``AuditBuffer``).
- ``POST /invoice-detail`` ``{"id": "<global id>"}``: InvoiceDetail, through the same
  ``billing.*_reads`` functions the API's loaders call, one after another.
- ``POST /login`` ``{"email", "password"}``: Login, through ``auth.login.login`` (argon2 in
  the same bounded thread pool) and the same access-log record.
- ``POST /webhooks/stripe``: a signed event stored in the inbox with the same statements.
- ``POST /patient-search`` and ``POST /staff-invoices``: the billing office's scenarios
  (``bench.office_baseline``).

Serve it with ``python -m bench.baseline --port P`` and the app's production environment.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from api.database import close_database, open_database
from auth.login import login
from auth.sessions import LAST_SEEN_RESOLUTION
from auth.tokens import token_hash
from bench.baseline_json import invoice_detail_json, invoice_page_json
from bench.office_baseline import office_routes
from billing.audit.buffer import AuditActor, AuditBuffer
from billing.audit.chain import audit_chain_key
from billing.errors import DomainError
from billing.invoices.reads import (
    Audience,
    invoices_by_id,
    lines_by_invoice,
    patient_responsibility_by_invoice,
    visible_lines_by_id,
)
from billing.payments.reads import payments_by_invoice
from billing.phi_cipher import PhiCipher
from billing.shipments.reads import events_by_shipment, items_by_shipment, shipments_by_invoice
from config.settings import Settings, load_settings
from models.enums import AuditOutcome, StripeEventOutcome
from models.locations import Location
from models.stripe_events import StripeEvent
from models.users import User

_SESSION_SQL = """
SELECT s.id, s.user_id, s.rotated_at, s.revoked_at, s.access_expires_at,
       s.absolute_expires_at, s.last_seen_at, u.is_active, u.patient_id, u.roles
FROM auth_session s JOIN app_user u ON u.id = s.user_id
WHERE s.access_token_hash = $1
"""
_TOUCH_SQL = "UPDATE auth_session SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $3"
_PAGE_SQL = """
SELECT id, patient_id, location_id, number, status, provider_name, service_date, issued_at,
       due_at, currency, total_minor, balance_minor, insurance_pending_minor
FROM invoice WHERE patient_id = $1 ORDER BY issued_at DESC, id DESC LIMIT $2
"""
_COUNT_SQL = "SELECT COUNT(*) AS n FROM invoice WHERE patient_id = $1"
_WEBHOOK_TOLERANCE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class _Caller:
    user_id: int
    role: str
    patient_id: int | None


def create_app() -> Starlette:
    return build_baseline_app(load_settings())


def build_baseline_app(settings: Settings) -> Starlette:
    secret_key = settings.secret_key.reveal()
    audit_key = audit_chain_key(secret_key)
    webhook_secret = settings.stripe_webhook_secret.reveal().encode()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await open_database(settings)
        try:
            yield
        finally:
            await close_database()

    def audit_for(request: Request, caller: _Caller | None) -> AuditBuffer:
        actor = AuditActor(
            user_id=caller.user_id if caller else None,
            role=caller.role if caller else "",
            ip_address=request.client.host if request.client else "",
            request_id=secrets.token_hex(16),
        )
        return AuditBuffer(actor, key=audit_key)

    async def my_invoices(request: Request) -> Response:
        caller = await _caller(request, settings.session_idle_minutes)
        if caller is None or caller.patient_id is None:
            return _json({"errors": [{"message": "not signed in as a patient"}]}, 401)
        limit = int(orjson.loads(await request.body()).get("first") or 20)
        connection = get_connection("default")
        rows = await connection.execute_query_dict(
            _sql(_PAGE_SQL, connection), [caller.patient_id, limit + 1]
        )
        counted = await connection.execute_query_dict(
            _sql(_COUNT_SQL, connection), [caller.patient_id]
        )
        audit = audit_for(request, caller)
        for row in rows[:limit]:
            audit.record_read("Invoice", row["id"], row["patient_id"])
        await audit.flush()
        page = invoice_page_json(rows[:limit], len(rows) > limit, int(counted[0]["n"]))
        return _json(page)

    async def invoice_detail(request: Request) -> Response:
        caller = await _caller(request, settings.session_idle_minutes)
        if caller is None or caller.patient_id is None:
            return _json({"errors": [{"message": "not signed in as a patient"}]}, 401)
        invoice_id = _invoice_id(orjson.loads(await request.body())["id"])
        audience = Audience.patient(caller.patient_id)
        invoice = (await invoices_by_id(audience, [invoice_id])).get(invoice_id)
        if invoice is None:
            return _json({"data": {"node": None}})
        audit = audit_for(request, caller)
        audit.record_read("Invoice", invoice.id, invoice.patient_id)
        location = await Location.filter(id__in=[invoice.location_id])
        responsibility = await patient_responsibility_by_invoice([invoice.id])
        lines = (await lines_by_invoice([invoice.id])).get(invoice.id, [])
        payments = (await payments_by_invoice([invoice.id])).get(invoice.id, [])
        for payment in payments:
            audit.record_read("Payment", payment.id, payment.patient_id)
        shipments = (await shipments_by_invoice([invoice.id])).get(invoice.id, [])
        for shipment in shipments:
            audit.record_read("Shipment", shipment.id, shipment.patient_id)
        shipment_ids = [shipment.id for shipment in shipments]
        items = await items_by_shipment(shipment_ids) if shipment_ids else {}
        item_lines = [item.line_id for found in items.values() for item in found]
        described = await visible_lines_by_id(audience, item_lines) if item_lines else {}
        events = await events_by_shipment(shipment_ids) if shipment_ids else {}
        await audit.flush()
        detail = invoice_detail_json(
            invoice,
            location[0].name,
            responsibility[invoice.id],
            lines,
            payments,
            [(s, items.get(s.id, []), events.get(s.id, [])) for s in shipments],
            {line_id: line.description for line_id, line in described.items()},
        )
        return _json(detail)

    async def sign_in(request: Request) -> Response:
        body = orjson.loads(await request.body())
        audit = audit_for(request, None)
        try:
            result = await login(
                body["email"], body["password"], secret_key=secret_key, now=datetime.now(UTC)
            )
        except DomainError as error:
            audit.record_failure("auth.login", error)
            await audit.flush()
            return _json({"data": {"login": {"session": None, "errors": [error.code.value]}}})
        session = result.session
        if session is None:
            return _json({"data": {"login": {"mfaRequired": True}}})
        roles = await User.filter(id=session.user_id).first().values_list("roles", flat=True)
        role = roles[0] if isinstance(roles, list) and roles else ""
        audit.actor = AuditActor(session.user_id, role, audit.actor.ip_address, "")
        audit.record(
            "auth.login",
            AuditOutcome.SUCCESS,
            resource_type="User",
            resource_id=str(session.user_id),
            reference=session.scope.value,
        )
        await audit.flush()
        payload: dict[str, object] = {
            "mfaRequired": False,
            "mfaTicket": None,
            "session": {
                "accessToken": session.access_token,
                "refreshToken": session.refresh_token,
                "expiresAt": session.access_expires_at.isoformat(),
            },
            "errors": [],
        }
        return _json({"data": {"login": payload}})

    async def stripe_webhook(request: Request) -> Response:
        body = await request.body()
        if not _signed(body, request.headers.get("stripe-signature", ""), webhook_secret):
            return _json({"received": False, "result": "bad_signature"}, 400)
        event = orjson.loads(body)
        async with in_transaction():
            if await StripeEvent.exists(event_id=event["id"]):
                return _json({"received": True, "result": "duplicate"})
            await StripeEvent.create(
                event_id=event["id"],
                type=event["type"][:100],
                outcome=StripeEventOutcome.IGNORED.value,
                detail="unhandled event type",
            )
        return _json({"received": True, "result": "ignored"})

    async def healthz(_request: Request) -> Response:
        return _json({"status": "ok"})

    cipher = PhiCipher.from_setting(settings.phi_encryption_key.reveal())

    async def staff_caller(request: Request) -> _Caller | None:
        return await _caller(request, settings.session_idle_minutes)

    routes = [
        *office_routes(cipher, staff_caller, audit_for),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/my-invoices", my_invoices, methods=["POST"]),
        Route("/invoice-detail", invoice_detail, methods=["POST"]),
        Route("/login", sign_in, methods=["POST"]),
        Route("/webhooks/stripe", stripe_webhook, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _caller(request: Request, idle_minutes: int) -> _Caller | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    connection = get_connection("default")
    rows = await connection.execute_query_dict(
        _sql(_SESSION_SQL, connection), [token_hash(token.strip())]
    )
    if not rows:
        return None
    row = rows[0]
    now = datetime.now(UTC)
    last_seen = _timestamp(row["last_seen_at"])
    alive = (
        row["rotated_at"] is None
        and row["revoked_at"] is None
        and bool(row["is_active"])
        and _timestamp(row["access_expires_at"]) > now
        and _timestamp(row["absolute_expires_at"]) > now
        and last_seen + timedelta(minutes=idle_minutes) > now
    )
    if not alive:
        return None
    if now - last_seen >= LAST_SEEN_RESOLUTION:
        stamp = _db_timestamp(now, connection)
        await connection.execute_query(_sql(_TOUCH_SQL, connection), [stamp, row["id"], stamp])
    roles = row["roles"]
    if isinstance(roles, str):
        roles = orjson.loads(roles)
    return _Caller(int(row["user_id"]), roles[0] if roles else "", row["patient_id"])


def _sql(text: str, connection: Any) -> str:
    """``$n`` placeholders for PostgreSQL, ``?`` for SQLite (each is used once, in order)."""
    if connection.capabilities.dialect == "sqlite":
        for position in range(9, 0, -1):
            text = text.replace(f"${position}", "?")
    return text


def _timestamp(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _db_timestamp(value: datetime, connection: Any) -> datetime | str:
    if connection.capabilities.dialect == "sqlite":
        return value.isoformat(sep=" ", timespec="microseconds")
    return value


def _invoice_id(global_id: str) -> int:
    type_name, _, row_id = base64.b64decode(global_id).decode().partition(":")
    if type_name != "Invoice":
        raise ValueError("not an invoice id")
    return int(row_id)


def _signed(body: bytes, header: str, secret: bytes) -> bool:
    fields = [part.strip().partition("=") for part in header.split(",")]
    timestamps = [value for name, _, value in fields if name == "t"]
    candidates = [value for name, _, value in fields if name == "v1"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not candidates:
        return False
    signed = timestamps[0].encode() + b"." + body
    expected = hmac.new(secret, signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(timestamps[0])) <= _WEBHOOK_TOLERANCE_SECONDS
    return fresh and any(hmac.compare_digest(c.encode(), expected.encode()) for c in candidates)


def _json(content: object, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "bench.baseline:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
