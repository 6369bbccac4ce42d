"""``POST /intake/fhir/Bundle``: ChargeItems from the clinical system, as a FHIR ``batch``.

A thin adapter (``shared/contract/intake.md``): authenticate the API client by its bearer
secret, check its scope, read the Bundle (``billing.intake.bundles``), hand the entries to
one use case and answer a ``batch-response`` Bundle with one entry per charge. Every answer
is FHIR JSON; refusals carry an ``OperationOutcome``. Bodies hold PHI, so nothing of them
is logged, only outcome codes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from billing.audit.buffer import AuditActor, AuditBuffer
from billing.audit.chain import audit_chain_key
from billing.intake.bundles import BundleRefused, EntryIssue, read_charge_bundle
from billing.intake.charges import EntryAnswer, EntryOutcome
from billing.intake.clients import (
    API_CLIENT_ROLE,
    CHARGES_WRITE,
    authenticate_client,
    client_secret_key,
    has_scope,
)
from billing.intake.use_cases import receive_charge_bundle, record_refused_bundle

if TYPE_CHECKING:
    from config.settings import Settings

FHIR_JSON = "application/fhir+json"
_ACCEPTED_TYPES = (FHIR_JSON, "application/json")
_BEARER = "bearer "

_log = logging.getLogger("billing.intake")

Endpoint = Callable[[Request], Awaitable[Response]]

# What each outcome says besides its status, as an informational issue.
_NOTES: dict[EntryOutcome, tuple[str, str]] = {
    EntryOutcome.ALREADY_HAD: ("duplicate", "This charge was received before; it is stored once."),
    EntryOutcome.WITHDRAWN: ("informational", "The held charge is withdrawn."),
    EntryOutcome.ADJUSTED: (
        "informational",
        "The charge was invoiced; an adjustment takes it off the invoice.",
    ),
    EntryOutcome.ALREADY_WITHDRAWN: ("informational", "This charge was withdrawn before."),
}


def charge_bundle_endpoint(settings: Settings) -> Endpoint:
    """The endpoint, bound to the client-secret key and the audit chain key."""
    secret_key = client_secret_key(settings.secret_key.reveal())
    audit_key = audit_chain_key(settings.secret_key.reveal())

    async def receive_bundle(request: Request) -> Response:
        client = await authenticate_client(secret_key, _bearer(request) or "")
        if client is None:
            return _refusal(401, "login", "A valid API client secret is required.")
        audit = AuditBuffer(
            AuditActor(
                user_id=client.id,
                role=API_CLIENT_ROLE,
                ip_address=request.client.host if request.client else "",
                request_id=request.scope.get("state", {}).get("request_id", ""),
            ),
            key=audit_key,
        )
        if not has_scope(client, CHARGES_WRITE):
            await record_refused_bundle(audit, "missing_scope")
            return _refusal(403, "forbidden", f"The API client lacks the {CHARGES_WRITE} scope.")
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in _ACCEPTED_TYPES:
            await record_refused_bundle(audit, "unsupported_media_type")
            return _refusal(415, "not-supported", f"Send the Bundle as {FHIR_JSON}.")
        try:
            entries = read_charge_bundle(await request.body())
        except BundleRefused as refusal:
            await record_refused_bundle(audit, "not_a_charge_bundle")
            return _refusal(400, "structure", refusal.reason)
        answers = await receive_charge_bundle(audit, entries)
        _log.info("charge bundle", extra={"event": "received", "entries": len(answers)})
        return _fhir(200, _batch_response(answers))

    return receive_bundle


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[: len(_BEARER)].lower() != _BEARER:
        return None
    return header[len(_BEARER) :].strip()


def _batch_response(answers: Sequence[EntryAnswer]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "batch-response",
        "entry": [{"response": _entry_response(answer)} for answer in answers],
    }


def _entry_response(answer: EntryAnswer) -> dict[str, Any]:
    response: dict[str, Any] = {"status": str(answer.outcome.http_status)}
    if answer.issue is not None:
        response["outcome"] = _outcome_of(answer.issue)
    elif answer.outcome in _NOTES:
        code, text = _NOTES[answer.outcome]
        response["outcome"] = _outcome("information", code, text)
    return response


def _outcome_of(issue: EntryIssue) -> dict[str, Any]:
    outcome = _outcome("error", issue.code, issue.diagnostics)
    outcome["issue"][0]["expression"] = [issue.expression]
    return outcome


def _outcome(severity: str, code: str, diagnostics: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


def _refusal(status: int, code: str, diagnostics: str) -> Response:
    _log.info("charge bundle", extra={"event": code, "status": status})
    response = _fhir(status, _outcome("error", code, diagnostics))
    if status == 401:
        response.headers["www-authenticate"] = "Bearer"
    return response


def _fhir(status: int, body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=FHIR_JSON)
