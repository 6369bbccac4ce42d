"""``GET /statements/{token}``: the PDF statement a short-lived link opens.

An unknown and an expired token get the same bare 404. A valid one gets the PDF, with
headers that name nothing and keep it out of caches; the download is on the access log
before a byte is sent, and when the log cannot be written the PDF is not served.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from billing.audit.chain import AuditWriteError, audit_chain_key
from billing.organizations.statement_pdf import render_monthly_statement_pdf
from billing.organizations.statements import (
    MonthlyGrant,
    find_monthly_link,
    load_monthly_statement,
    record_monthly_download,
)
from billing.phi_cipher import PhiCipher
from billing.statements.links import find_statement_link, load_statement, record_statement_download
from billing.statements.pdf import render_statement_pdf
from config.settings import Settings

_log = logging.getLogger("billing.audit")

_PDF_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Disposition": 'inline; filename="statement.pdf"',
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def statement_download(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint, for a ``Route``."""
    return StatementDownload(settings).serve


class StatementDownload:
    """The endpoint, holding what it needs from the settings (read once)."""

    def __init__(self, settings: Settings) -> None:
        self._audit_key = audit_chain_key(settings.secret_key.reveal())
        self._cipher = PhiCipher.from_setting(settings.phi_encryption_key.reveal())

    async def serve(self, request: Request) -> Response:
        now = datetime.now(UTC)
        token = str(request.path_params["token"])
        grant = await find_statement_link(token, now=now)
        if grant is None:
            monthly = await find_monthly_link(token, now=now)
            return (
                _not_found()
                if monthly is None
                else await self._serve_monthly(request, monthly, now)
            )
        document = await load_statement(grant.invoice_id, self._cipher, today=now.date())
        # Laying out the pages is CPU work: keep it off the event loop.
        pdf = await asyncio.to_thread(render_statement_pdf, document)
        try:
            served = await record_statement_download(
                grant,
                now=now,
                audit_key=self._audit_key,
                ip_address=request.client.host if request.client else "",
                request_id=request.scope.get("state", {}).get("request_id", ""),
            )
        except AuditWriteError:
            _log.error("access log write failed; statement withheld")
            return Response(status_code=500, headers={"Cache-Control": "no-store"})
        if not served:
            return _not_found()
        return Response(pdf, media_type="application/pdf", headers=_PDF_HEADERS)

    async def _serve_monthly(
        self, request: Request, grant: MonthlyGrant, now: datetime
    ) -> Response:
        statement = await load_monthly_statement(grant.organization_id, grant.month)
        pdf = await asyncio.to_thread(render_monthly_statement_pdf, statement)
        try:
            served = await record_monthly_download(
                grant,
                now=now,
                audit_key=self._audit_key,
                ip_address=request.client.host if request.client else "",
                request_id=request.scope.get("state", {}).get("request_id", ""),
            )
        except AuditWriteError:
            _log.error("access log write failed; statement withheld")
            return Response(status_code=500, headers={"Cache-Control": "no-store"})
        if not served:
            return _not_found()
        return Response(pdf, media_type="application/pdf", headers=_PDF_HEADERS)


def _not_found() -> Response:
    return Response(status_code=404, headers={"Cache-Control": "no-store"})
