"""Local dates in SQL: which day, week or month an instant falls in where a location is.

PostgreSQL converts with ``AT TIME ZONE``. SQLite knows no time zones, so the app's SQLite
connections carry ``local_period``, a function registered on each connection (by
``api.sqlite_engine``) that does the same conversion with ``zoneinfo``. Weeks start on
Monday in both (ISO weeks, as PostgreSQL's ``date_trunc('week', ...)``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The name the SQLite function is registered under.
SQLITE_LOCAL_PERIOD = "local_period"


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def period_start(day: date, interval: Interval) -> date:
    """The first day of the period ``day`` falls in."""
    if interval is Interval.WEEK:
        return day - timedelta(days=day.weekday())
    if interval is Interval.MONTH:
        return day.replace(day=1)
    return day


def local_period(stored: str | None, zone: str | None, interval: str) -> str | None:
    """The SQLite function: the ISO start date of the period (``interval`` ``day``, ``week``
    or ``month``) in which the stored UTC instant falls in time zone ``zone``."""
    if stored is None or zone is None:
        return None
    instant = datetime.fromisoformat(stored)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=_zone("UTC"))
    local = instant.astimezone(_zone(zone)).date()
    return period_start(local, Interval(interval)).isoformat()


def local_period_sql(dialect: str, instant: str, zone: str, interval: Interval) -> str:
    """SQL for the start date of ``instant``'s period in time zone ``zone`` (two column
    expressions); ``dialect`` is Tortoise's (``postgres`` or ``sqlite``)."""
    if dialect == "postgres":
        local = f"({instant} AT TIME ZONE {zone})"
        if interval is Interval.DAY:
            return f"CAST({local} AS DATE)"
        return f"CAST(date_trunc('{interval.value}', {local}) AS DATE)"
    return f"{SQLITE_LOCAL_PERIOD}({instant}, {zone}, '{interval.value}')"


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
