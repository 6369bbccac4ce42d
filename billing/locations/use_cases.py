"""What admins ask of locations, one function per request, each in its transaction with
its access-log record."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.locations.rules import create_location as add_location
from models.locations import Location

CREATE_LOCATION = AuditedAction("location.create", "Location")


async def create_location(audit: AuditBuffer, name: str, timezone: str, address: str) -> Location:
    """Add a clinic or site that issues invoices."""
    async with in_transaction():
        location = await add_location(name, timezone, address)
        await audit.record_success(CREATE_LOCATION, resource_id=location.id)
    return location
