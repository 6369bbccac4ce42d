"""What staff ask of exports, one function per request: a link, on the access log."""

from __future__ import annotations

from datetime import date, datetime

from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.exports.columns import Sensitivity
from billing.exports.links import RESOURCE_TYPE, IssuedExportLink, create_export_link
from models.exports import ExportKind

CREATE_EXPORT = AuditedAction("export.link", RESOURCE_TYPE)


async def create_export(
    audit: AuditBuffer,
    kind: ExportKind,
    *,
    from_date: date | None,
    to_date: date | None,
    location_id: int | None,
    allowed: frozenset[Sensitivity],
    now: datetime,
) -> IssuedExportLink:
    """A short-lived link to a CSV export with the columns ``allowed`` lets the caller
    see; the link's making is on the access log with the kind it exports."""
    actor = audit.actor
    if actor.user_id is None:
        raise ValueError("an export is made for a signed-in caller")
    async with in_transaction():
        link = await create_export_link(
            kind,
            from_date=from_date,
            to_date=to_date,
            location_id=location_id,
            allowed=allowed,
            requested_by=actor.user_id,
            requested_by_role=actor.role,
            now=now,
        )
        await audit.record_success(CREATE_EXPORT, resource_id=link.id, reference=kind.value)
    return link
