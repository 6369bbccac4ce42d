"""What admins ask of locations, one function per request, each in its transaction with
its access-log record."""

from __future__ import annotations

import asyncio

from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.locations import letterhead
from billing.locations.letterhead import LetterheadChange, LogoFormat
from billing.locations.rules import create_location as add_location
from models.locations import Location, LocationLogo

CREATE_LOCATION = AuditedAction("location.create", "Location")
UPDATE_LETTERHEAD = AuditedAction("location.letterhead_update", "Location")
SET_LOGO = AuditedAction("location.logo_set", "Location")
REMOVE_LOGO = AuditedAction("location.logo_remove", "Location")


async def create_location(audit: AuditBuffer, name: str, timezone: str, address: str) -> Location:
    """Add a clinic or site that issues invoices."""
    async with in_transaction():
        location = await add_location(name, timezone, address)
        await audit.record_success(CREATE_LOCATION, resource_id=location.id)
    return location


async def update_letterhead(
    audit: AuditBuffer, location_id: int | None, change: LetterheadChange
) -> Location:
    """Change what a location's statements print at their top."""
    async with in_transaction():
        location = await letterhead.update_letterhead(location_id, change)
        await audit.record_success(UPDATE_LETTERHEAD, resource_id=location.id)
    return location


async def set_logo(
    audit: AuditBuffer,
    location_id: int | None,
    content: bytes,
    logo_format: LogoFormat,
    uploaded_by: int | None,
) -> LocationLogo:
    """Check an uploaded logo (off the event loop: it is decoded and drawn) and keep it as
    the location's."""
    checked = await asyncio.to_thread(letterhead.check_logo, content, logo_format)
    async with in_transaction():
        logo = await letterhead.set_logo(location_id, checked, logo_format, uploaded_by)
        await audit.record_success(
            SET_LOGO, resource_id=logo.location_id, reference=f"{len(checked)} bytes"
        )
    return logo


async def remove_logo(audit: AuditBuffer, location_id: int | None) -> Location:
    """Print the location's statements without a logo again."""
    async with in_transaction():
        location = await letterhead.remove_logo(location_id)
        await audit.record_success(REMOVE_LOGO, resource_id=location.id)
    return location
