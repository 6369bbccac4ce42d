"""The database-backed fixed-window failure counter."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from auth.rate_limit import (
    RateLimit,
    is_rate_limited,
    purge_counters_before,
    record_failure,
)
from models.users import RateLimitCounter
from tests.support.factories.auth import NOW

LIMIT = RateLimit("test", max_failures=3, window=timedelta(minutes=15))


async def test_a_client_is_limited_after_its_failures_and_others_are_not(db: None) -> None:
    for _ in range(2):
        await record_failure(LIMIT, "198.51.100.1", NOW)
    assert not await is_rate_limited(LIMIT, "198.51.100.1", NOW)

    await record_failure(LIMIT, "198.51.100.1", NOW)

    assert await is_rate_limited(LIMIT, "198.51.100.1", NOW)
    assert not await is_rate_limited(LIMIT, "198.51.100.2", NOW)


async def test_the_next_window_starts_from_zero(db: None) -> None:
    for _ in range(3):
        await record_failure(LIMIT, "198.51.100.1", NOW)

    later = NOW + timedelta(minutes=15)

    assert not await is_rate_limited(LIMIT, "198.51.100.1", later)
    await record_failure(LIMIT, "198.51.100.1", later)
    counter = await RateLimitCounter.get()
    assert counter.count == 1


async def test_concurrent_failures_are_all_counted_and_no_address_is_stored(db: None) -> None:
    await asyncio.gather(*(record_failure(LIMIT, "198.51.100.9", NOW) for _ in range(10)))

    counters = await RateLimitCounter.all()
    assert [counter.count for counter in counters] == [10]
    assert "198.51.100.9" not in counters[0].key_hash


async def test_stale_counters_can_be_purged(db: None) -> None:
    await record_failure(LIMIT, "198.51.100.1", NOW - timedelta(hours=2))
    await record_failure(LIMIT, "198.51.100.2", NOW)

    assert await purge_counters_before(NOW - timedelta(hours=1)) == 1
    assert await RateLimitCounter.all().count() == 1
