"""``GET /exports/{token}``: the CSV file a short-lived export link opens, streamed.

An unknown and an expired token get the same bare 404. A valid one gets the file, built
from the database while it is sent (keyset batches, a few hundred rows per chunk), with
headers that keep it out of caches. The download is on the access log before a byte is
sent, and when the log cannot be written nothing is served.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from billing.audit.chain import AuditWriteError, audit_chain_key
from billing.exports.cells import csv_chunks
from billing.exports.links import file_name, find_export_link, record_export_download
from billing.exports.sources import export_rows
from billing.phi_cipher import PhiCipher
from config.settings import Settings

_log = logging.getLogger("billing.audit")


def export_download(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint, for a ``Route``."""
    return ExportDownload(settings).serve


class ExportDownload:
    def __init__(self, settings: Settings) -> None:
        self._audit_key = audit_chain_key(settings.secret_key.reveal())
        self._cipher = PhiCipher.from_setting(settings.phi_encryption_key.reveal())

    async def serve(self, request: Request) -> Response:
        now = datetime.now(UTC)
        grant = await find_export_link(str(request.path_params["token"]), now=now)
        if grant is None:
            return _not_found()
        try:
            served = await record_export_download(
                grant,
                now=now,
                audit_key=self._audit_key,
                ip_address=request.client.host if request.client else "",
                request_id=request.scope.get("state", {}).get("request_id", ""),
            )
        except AuditWriteError:
            _log.error("access log write failed; export withheld")
            return Response(status_code=500, headers={"Cache-Control": "no-store"})
        if not served:
            return _not_found()
        rows = export_rows(grant.request, self._cipher, now=now)
        body: AsyncIterator[str] = csv_chunks(grant.request.columns, rows)
        return StreamingResponse(
            body,
            media_type="text/csv; charset=utf-8",
            headers={
                "Cache-Control": "no-store",
                "Pragma": "no-cache",
                "Content-Disposition": (
                    f'attachment; filename="{file_name(grant.request.kind, now.date())}"'
                ),
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )


def _not_found() -> Response:
    return Response(status_code=404, headers={"Cache-Control": "no-store"})
