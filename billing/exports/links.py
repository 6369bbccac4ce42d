"""Short-lived links to CSV exports, made like the PDF statements' links
(``billing.statements.links``): ``{public_base_url}/exports/{token}``, the token random and
meaningless, only its SHA-256 stored, usable until it expires (5 minutes), every download
on the access log before a byte is sent.

A link fixes what it exports and which columns, as allowed to the caller who asked; the
file itself is built from the database when it is downloaded and never stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.transactions import in_transaction

from billing.audit.chain import AuditRecord, append_audit_records
from billing.errors import DomainError, ErrorCode
from billing.exports.columns import Sensitivity, visible_columns
from billing.exports.sources import ExportRequest
from billing.reports.collections import check_report_dates, require_location
from models.enums import AuditOutcome
from models.exports import ExportKind, ExportLink

LINK_LIFETIME = timedelta(minutes=5)
DOWNLOAD_ACTION = "export.download"
RESOURCE_TYPE = "Export"
# Reports over dates need both ends; lists may be of everything.
_DATED_KINDS = frozenset({ExportKind.COLLECTIONS, ExportKind.REVENUE_BY_SERVICE})
_MAX_TOKEN_LENGTH = 64
_TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True, slots=True)
class IssuedExportLink:
    """A new link. ``token`` is shown to the caller once and never stored."""

    id: int
    token: str
    kind: ExportKind
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ExportGrant:
    """A valid link, resolved to what it exports."""

    link_id: int
    request: ExportRequest


def export_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}/exports/{token}"


def file_name(kind: ExportKind, today: date) -> str:
    """``invoices-2026-12-03.csv``: names the kind and day, nothing about anyone."""
    return f"{kind.value.lower().replace('_', '-')}-{today.isoformat()}.csv"


async def create_export_link(
    kind: ExportKind,
    *,
    from_date: date | None,
    to_date: date | None,
    location_id: int | None,
    allowed: frozenset[Sensitivity],
    requested_by: int,
    requested_by_role: str,
    now: datetime,
) -> IssuedExportLink:
    """A new link to an export of ``kind`` with the columns ``allowed`` lets the caller see.

    ``INVALID_INPUT`` for dates out of order (or missing, for collections and revenue by
    service), ``NOT_FOUND`` for an unknown location.
    """
    if kind in _DATED_KINDS and (from_date is None or to_date is None):
        raise DomainError(ErrorCode.INVALID_INPUT, "This export needs `from` and `to`.", "from")
    if from_date is not None and to_date is not None:
        check_report_dates(from_date, to_date)
    await require_location(location_id)
    token = secrets.token_urlsafe(32)
    row = await ExportLink.create(
        token_hash=_hash(token),
        kind=kind,
        from_date=from_date,
        to_date=to_date,
        location_id=location_id,
        columns=",".join(visible_columns(kind, allowed)),
        requested_by_id=requested_by,
        requested_by_role=requested_by_role,
        expires_at=now + LINK_LIFETIME,
    )
    return IssuedExportLink(id=row.id, token=token, kind=kind, expires_at=row.expires_at)


async def find_export_link(token: str, *, now: datetime) -> ExportGrant | None:
    """What ``token`` exports, or ``None`` when it is unknown or expired (alike)."""
    if not 0 < len(token) <= _MAX_TOKEN_LENGTH or not _TOKEN_ALPHABET.issuperset(token):
        return None
    row = await ExportLink.get_or_none(token_hash=_hash(token), expires_at__gt=now)
    if row is None:
        return None
    request = ExportRequest(
        kind=row.kind,
        from_date=row.from_date,
        to_date=row.to_date,
        location_id=row.location_id,
        columns=tuple(name for name in row.columns.split(",") if name),
    )
    return ExportGrant(link_id=row.id, request=request)


async def record_export_download(
    grant: ExportGrant,
    *,
    now: datetime,
    audit_key: bytes,
    ip_address: str,
    request_id: str,
) -> bool:
    """Mark the link used and put the download on the access log, in one transaction.

    ``False`` when the link expired meanwhile. Raises ``AuditWriteError`` when the access
    log cannot be extended; then nothing is marked and the file must not be served.
    """
    async with in_transaction():
        row = (
            await ExportLink.select_for_update()
            .filter(id=grant.link_id, expires_at__gt=now)
            .first()
        )
        if row is None:
            return False
        row.downloaded_at = row.downloaded_at or now
        row.download_count += 1
        await row.save(update_fields=["downloaded_at", "download_count"])
        record = AuditRecord(
            action=DOWNLOAD_ACTION,
            outcome=AuditOutcome.SUCCESS,
            actor_id=row.requested_by_id,
            actor_role=row.requested_by_role,
            resource_type=RESOURCE_TYPE,
            resource_id=str(row.id),
            ip_address=ip_address,
            request_id=request_id,
            reference=f"{row.kind.value};columns:{row.columns}",
        )
        await append_audit_records([record], key=audit_key, now=now)
    return True


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
