"""The database-backed fixed-window attempt counter: attempts are reserved before they are
evaluated, so parallel attempts never get more than the limit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from auth.rate_limit import (
    RateLimit,
    attempts_used,
    claim_attempt,
    purge_counters_before,
    release_attempt,
)
from models.users import RateLimitCounter
from tests.support.factories.auth import NOW

LIMIT = RateLimit("test", max_attempts=3, window=timedelta(minutes=15))


async def test_a_client_gets_its_attempts_and_no_more_and_others_are_not_limited(
    db: None,
) -> None:
    granted = [await claim_attempt(LIMIT, "198.51.100.1", NOW) for _ in range(4)]

    assert granted == [True, True, True, False]
    assert await claim_attempt(LIMIT, "198.51.100.2", NOW)


async def test_an_attempt_given_back_can_be_used_again(db: None) -> None:
    for _ in range(3):
        await claim_attempt(LIMIT, "198.51.100.1", NOW)

    await release_attempt(LIMIT, "198.51.100.1", NOW)

    assert await attempts_used(LIMIT, "198.51.100.1", NOW) == 2
    assert await claim_attempt(LIMIT, "198.51.100.1", NOW)
    assert not await claim_attempt(LIMIT, "198.51.100.1", NOW)


async def test_the_next_window_starts_from_zero(db: None) -> None:
    for _ in range(3):
        await claim_attempt(LIMIT, "198.51.100.1", NOW)

    later = NOW + timedelta(minutes=15)

    assert await claim_attempt(LIMIT, "198.51.100.1", later)
    counter = await RateLimitCounter.get()
    assert counter.count == 1


async def test_parallel_attempts_get_exactly_the_limit_and_no_address_is_stored(
    db: None,
) -> None:
    granted = await asyncio.gather(*(claim_attempt(LIMIT, "198.51.100.9", NOW) for _ in range(20)))

    assert sorted(granted) == [False] * 17 + [True] * 3
    counters = await RateLimitCounter.all()
    assert [counter.count for counter in counters] == [3]
    assert "198.51.100.9" not in counters[0].key_hash


async def test_stale_counters_can_be_purged(db: None) -> None:
    await claim_attempt(LIMIT, "198.51.100.1", NOW - timedelta(hours=2))
    await claim_attempt(LIMIT, "198.51.100.2", NOW)

    assert await purge_counters_before(NOW - timedelta(hours=1)) == 1
    assert await RateLimitCounter.all().count() == 1
