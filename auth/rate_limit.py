"""A fixed-window attempt counter in the database, so every worker and machine shares it.

An attempt is reserved before its secret is checked: ``claim_attempt`` counts it with a
conditional update that only passes while the window has room, which SQLite and
PostgreSQL both apply atomically (on PostgreSQL a second update waits for the first's row
lock and checks the condition again against what the first wrote). Parallel attempts
therefore never get more evaluations than the limit allows. For limits on failures, an
attempt that succeeds gives its reservation back (``release_attempt``): a client that
keeps failing is refused for the rest of the window, however good its next attempt.
Limits on requests (password-reset emails) simply keep every reservation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F

from auth.tokens import token_hash
from models.users import RateLimitCounter

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CLAIM_ROUNDS = 8


@dataclass(frozen=True)
class RateLimit:
    """At most ``max_attempts`` attempts of kind ``name`` per client per ``window``."""

    name: str
    max_attempts: int
    window: timedelta


# Wrong enrollment codes or dates of birth, per client address.
ENROLLMENT_CODE_LIMIT = RateLimit("enrollment_code", max_attempts=5, window=timedelta(minutes=15))


async def claim_attempt(limit: RateLimit, client_key: str, now: datetime) -> bool:
    """Reserve one attempt for ``client_key`` (e.g. the client's IP) in this window;
    False when it has used them all. Safe inside a caller's transaction."""
    key_hash = _key_hash(limit, client_key)
    start = _window_start(limit, now)
    counter = RateLimitCounter.filter(key_hash=key_hash)
    for _ in range(_CLAIM_ROUNDS):
        # A window later than ours (another machine's clock) counts as the current one.
        if await counter.filter(window_start__gte=start, count__lt=limit.max_attempts).update(
            count=F("count") + 1
        ):
            return True
        if await counter.filter(window_start__lt=start).update(window_start=start, count=1):
            return True
        if await counter.filter(window_start__gte=start, count__gte=limit.max_attempts).exists():
            return False  # this window's attempts are used up
        # No row yet, or one a concurrent attempt just made or moved: make sure there is
        # one (ON CONFLICT DO NOTHING) and try the updates again.
        await RateLimitCounter.bulk_create(
            [RateLimitCounter(key_hash=key_hash, window_start=start, count=0)],
            ignore_conflicts=True,
        )
    return False


async def release_attempt(limit: RateLimit, client_key: str, now: datetime) -> None:
    """Give back an attempt reserved in this window: it succeeded, so it is no failure."""
    await RateLimitCounter.filter(
        key_hash=_key_hash(limit, client_key), window_start=_window_start(limit, now), count__gt=0
    ).update(count=F("count") - 1)


async def attempts_used(limit: RateLimit, client_key: str, now: datetime) -> int:
    """How many attempts ``client_key`` has reserved in this window."""
    row = await RateLimitCounter.get_or_none(
        key_hash=_key_hash(limit, client_key), window_start=_window_start(limit, now)
    )
    return 0 if row is None else row.count


async def purge_counters_before(cutoff: datetime) -> int:
    """Delete counters whose window started before ``cutoff`` (pass ``now`` minus the longest
    window in use); returns how many. For a periodic job: the table then holds only
    clients that failed recently."""
    deleted: int = await RateLimitCounter.filter(window_start__lt=cutoff).delete()
    return deleted


def _key_hash(limit: RateLimit, client_key: str) -> str:
    # Hashed so the table holds no IP or email addresses.
    return token_hash(f"{limit.name}\x00{client_key}")


def _window_start(limit: RateLimit, now: datetime) -> datetime:
    windows = (now - _EPOCH) // limit.window
    return _EPOCH + windows * limit.window
