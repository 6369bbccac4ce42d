"""A fixed-window failure counter in the database, so every worker and machine shares it.

Only failures are counted: a client that keeps failing is refused for the rest of the
window, however good its next attempt. Counters change by conditional updates, which
SQLite and PostgreSQL both apply atomically."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from auth.tokens import token_hash
from models.users import RateLimitCounter

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RateLimit:
    """At most ``max_failures`` failures of kind ``name`` per client per ``window``."""

    name: str
    max_failures: int
    window: timedelta


ENROLLMENT_CODE_LIMIT = RateLimit("enrollment_code", max_failures=5, window=timedelta(minutes=15))


async def is_rate_limited(limit: RateLimit, client_key: str, now: datetime) -> bool:
    """Whether ``client_key`` (e.g. the client's IP) used up its failures in this window."""
    row = await RateLimitCounter.get_or_none(
        key_hash=_key_hash(limit, client_key), window_start=_window_start(limit, now)
    )
    return row is not None and row.count >= limit.max_failures


async def record_failure(limit: RateLimit, client_key: str, now: datetime) -> None:
    """Count one failure for ``client_key`` in the current window."""
    key_hash = _key_hash(limit, client_key)
    start = _window_start(limit, now)
    # Three tries: the only way to lose all of them is two racing inserts per try.
    for _ in range(3):
        counter = RateLimitCounter.filter(key_hash=key_hash)
        if await counter.filter(window_start=start).update(count=F("count") + 1):
            return
        if await counter.filter(window_start__lt=start).update(window_start=start, count=1):
            return
        try:
            await RateLimitCounter.create(key_hash=key_hash, window_start=start, count=1)
        except IntegrityError:
            continue  # another process created the row first: increment it
        return


async def purge_counters_before(cutoff: datetime) -> int:
    """Delete counters whose window started before ``cutoff`` (pass ``now`` minus the longest
    window in use); returns how many. For a periodic job: the table then holds only
    clients that failed recently."""
    deleted: int = await RateLimitCounter.filter(window_start__lt=cutoff).delete()
    return deleted


def _key_hash(limit: RateLimit, client_key: str) -> str:
    # Hashed so the table holds no IP addresses.
    return token_hash(f"{limit.name}\x00{client_key}")


def _window_start(limit: RateLimit, now: datetime) -> datetime:
    windows = (now - _EPOCH) // limit.window
    return _EPOCH + windows * limit.window
