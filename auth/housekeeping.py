"""Forgetting sign-in records nobody needs any more, for a periodic job
(``billing purge-sign-in-records``): guards of addresses nobody tried for a day (and not
locked), rate-limit counters of windows long over, MFA tickets and reset links that
expired. What is purged protected nothing any more: an address still under attack keeps
its guard, since every attempt refreshes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from auth.lockout import purge_idle_guards
from auth.login import purge_expired_mfa_challenges
from auth.password_reset import purge_spent_resets
from auth.rate_limit import purge_counters_before

KEEP_FOR = timedelta(days=1)


@dataclass(frozen=True)
class PurgeReport:
    guards: int
    counters: int
    mfa_tickets: int
    resets: int


async def purge_stale_sign_in_records(now: datetime) -> PurgeReport:
    """Delete what has been stale for ``KEEP_FOR``; how many of each."""
    cutoff = now - KEEP_FOR
    return PurgeReport(
        guards=await purge_idle_guards(cutoff),
        counters=await purge_counters_before(cutoff),
        mfa_tickets=await purge_expired_mfa_challenges(now),
        resets=await purge_spent_resets(cutoff),
    )
