"""Locations: the clinics and sites that issue invoices."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from tortoise.exceptions import IntegrityError

from billing.errors import DomainError, ErrorCode
from models.locations import Location

_NAME_MAX = 200


def validate_timezone(name: str, field: str = "timezone") -> str:
    """The IANA time zone name, stripped, or ``INVALID_TIMEZONE``."""
    candidate = name.strip()
    if candidate not in _known_timezones():
        raise DomainError(ErrorCode.INVALID_TIMEZONE, "Not a known IANA time zone.", field)
    return candidate


@cache
def _known_timezones() -> frozenset[str]:
    # Listing the zone files is slow, and the set only changes with a tzdata upgrade.
    return frozenset(available_timezones())


async def create_location(name: str, timezone: str, address: str = "") -> Location:
    """Create a location. Names are unique, ignoring case (``CONFLICT``)."""
    clean_name = " ".join(name.split())
    if not clean_name or len(clean_name) > _NAME_MAX:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"A name of 1-{_NAME_MAX} characters is required.", "name"
        )
    zone = validate_timezone(timezone)
    if await Location.filter(name__iexact=clean_name).exists():
        raise DomainError(ErrorCode.CONFLICT, "A location with this name exists.", "name")
    try:
        return await Location.create(name=clean_name, timezone=zone, address=address.strip())
    except IntegrityError:
        # Another request created the same name between our check and the insert.
        raise DomainError(ErrorCode.CONFLICT, "A location with this name exists.", "name") from None
