"""The patient's clock: reminders and quiet hours go by the patient's own time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models.patients import Patient

# The default of ``Patient.timezone``, for a zone name that is not (or no longer) known.
FALLBACK_TIMEZONE = "America/New_York"


def patient_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK_TIMEZONE)


async def local_dates(now: datetime, patient_ids: Sequence[int]) -> dict[int, date]:
    """The date ``now`` falls on where each patient lives, in one query."""
    wanted = sorted(set(patient_ids))
    if not wanted:
        return {}
    rows = await Patient.filter(id__in=wanted).values("id", "timezone")
    return {
        int(row["id"]): now.astimezone(patient_zone(str(row["timezone"]))).date() for row in rows
    }
