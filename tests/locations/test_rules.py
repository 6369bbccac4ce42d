"""Creating locations."""

from __future__ import annotations

import pytest

from billing.errors import DomainError, ErrorCode
from billing.locations.rules import create_location


async def test_a_location_is_created(db: None) -> None:
    location = await create_location("  Riverside   Clinic ", "America/Chicago", " 1 River Rd ")

    assert (location.name, location.timezone, location.address) == (
        "Riverside Clinic",
        "America/Chicago",
        "1 River Rd",
    )
    assert location.last_invoice_number == 0


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "america/chicago"])
async def test_an_unknown_time_zone_is_refused(db: None, zone: str) -> None:
    with pytest.raises(DomainError) as caught:
        await create_location("Riverside Clinic", zone)

    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID_TIMEZONE, "timezone")


async def test_a_taken_name_is_a_conflict(db: None) -> None:
    await create_location("Riverside Clinic", "America/Chicago")

    with pytest.raises(DomainError) as caught:
        await create_location("riverside clinic", "America/New_York")

    assert (caught.value.code, caught.value.field) == (ErrorCode.CONFLICT, "name")


async def test_a_blank_name_is_refused(db: None) -> None:
    with pytest.raises(DomainError) as caught:
        await create_location("   ", "UTC")

    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID_INPUT, "name")
