"""Failed sign-in attempts per sign-in address, across passwords, TOTP and recovery codes.

From the third failure in a row the address refuses attempts for a growing delay
(30 s, 1 min, 2 min), and from the sixth it locks for 30 minutes; while it refuses, no
secret is checked at all. A full sign-in resets the count.

An attempt is reserved before its secret is checked: ``claim_attempt`` counts it as a
failure, and sets the delay or lock that failure brings, in one compare-and-set on the
address's ``SignInGuard`` row. Of any number of parallel guesses, on any number of
processes, only those that won a reservation are checked, and the reservation that
starts a delay shuts out every other until it ends. A refused attempt is answered
``ACCOUNT_LOCKED`` without looking at its secret, so the right secret sent while the
address refuses gets the answer a wrong one gets. A secret that turns out right settles
the reservation: ``signed_in`` resets the count, ``passed`` gives the reservation back (a
right password that still waits for its second factor is not a failure, and not a reset).

Guards are keyed by a keyed hash of the normalised address, whether an account has it or
not, so unknown and known addresses answer the same sequence and the table holds no
addresses.

Every failure is reported to an optional ``on_failure`` hook with an ``AuthFailure``, so the
caller can write it to the audit trail: the domain functions stay free of auditing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tortoise.expressions import F, Q

from auth.tokens import keyed_hash
from billing.errors import DomainError, ErrorCode
from models.users import SignInGuard

FIRST_DELAY_AT = 3
FIRST_DELAY = timedelta(seconds=30)
LOCK_AT = 6
LOCK_DURATION = timedelta(minutes=30)
# A reservation is a compare-and-set; parallel attempts that lose it read the row again.
# At most FIRST_DELAY_AT reservations can succeed before one sets a delay, so a few
# rounds always decide; a caller still undecided after these is refused.
_CLAIM_ROUNDS = 12
_GUARD_PURPOSE = "sign-in-guard"


class FailureReason(StrEnum):
    UNKNOWN_EMAIL = "unknown_email"
    INACTIVE_ACCOUNT = "inactive_account"
    PASSWORD = "password"  # noqa: S105 (a reason, not a password)
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"
    # An attempt refused unchecked because the address is in a delay or locked.
    LOCKED = "locked"


@dataclass(frozen=True)
class AuthFailure:
    """One failed attempt, for the audit trail. ``user_id`` is None for an unknown email."""

    user_id: int | None
    reason: FailureReason
    failed_attempts: int
    locked_until: datetime | None


FailureHook = Callable[[AuthFailure], Awaitable[None]]


@dataclass(frozen=True)
class Attempt:
    """One attempt reserved on a guard: counted as a failure (with the delay or lock it
    brings) until it is settled as passed or signed in."""

    guard_id: int
    failures_before: int
    locked_before: datetime | None
    failures: int
    locked_until: datetime | None
    version: int


def guard_key(secret_key: str, email: str) -> str:
    """The guard of a sign-in address: a keyed hash of it, trimmed and lower-cased."""
    return keyed_hash(secret_key, _GUARD_PURPOSE, email.strip().lower())


def delay_after(failures: int) -> timedelta | None:
    """How long the address refuses attempts after ``failures`` failures in a row."""
    if failures >= LOCK_AT:
        return LOCK_DURATION
    if failures >= FIRST_DELAY_AT:
        return FIRST_DELAY * (1 << (failures - FIRST_DELAY_AT))
    return None


async def claim_attempt(
    key_hash: str,
    now: datetime,
    *,
    user_id: int | None = None,
    on_failure: FailureHook | None = None,
) -> Attempt:
    """Reserve one attempt at the address ``key_hash`` before its secret is checked.

    Raises ``ACCOUNT_LOCKED`` (reported as ``LOCKED`` for ``user_id``) while the address
    refuses attempts."""
    for _ in range(_CLAIM_ROUNDS):
        row = await SignInGuard.get_or_none(key_hash=key_hash)
        if row is None:
            await SignInGuard.bulk_create([SignInGuard(key_hash=key_hash)], ignore_conflicts=True)
            continue
        if row.locked_until is not None and row.locked_until > now:
            await report(
                on_failure,
                AuthFailure(user_id, FailureReason.LOCKED, row.failures, row.locked_until),
            )
            raise locked_error(row.locked_until)
        failures = row.failures + 1
        delay = delay_after(failures)
        locked_until = None if delay is None else now + delay
        reserved = await SignInGuard.filter(id=row.id, version=row.version).update(
            failures=failures,
            locked_until=locked_until,
            version=row.version + 1,
            last_attempt_at=now,
        )
        if reserved == 1:
            return Attempt(
                guard_id=row.id,
                failures_before=row.failures,
                locked_before=row.locked_until,
                failures=failures,
                locked_until=locked_until,
                version=row.version + 1,
            )
    await report(on_failure, AuthFailure(user_id, FailureReason.LOCKED, 0, None))
    raise DomainError(ErrorCode.ACCOUNT_LOCKED, "Too many attempts at once. Try again shortly.")


async def failed(
    attempt: Attempt,
    reason: FailureReason,
    *,
    user_id: int | None,
    on_failure: FailureHook | None,
) -> AuthFailure:
    """The reserved attempt's secret was wrong: it stays counted; report it."""
    failure = AuthFailure(user_id, reason, attempt.failures, attempt.locked_until)
    await report(on_failure, failure)
    return failure


async def passed(attempt: Attempt) -> None:
    """The reserved attempt's secret was right, but the sign-in is not complete (a
    password that waits for its second factor): give the reservation back. When nothing
    touched the guard since, it is as it was; otherwise the failure is uncounted and
    whatever delay later attempts set stays."""
    restored = await SignInGuard.filter(id=attempt.guard_id, version=attempt.version).update(
        failures=attempt.failures_before,
        locked_until=attempt.locked_before,
        version=attempt.version + 1,
    )
    if restored != 1:
        await SignInGuard.filter(id=attempt.guard_id, failures__gt=0).update(
            failures=F("failures") - 1, version=F("version") + 1
        )


async def signed_in(key_hash: str) -> None:
    """A full sign-in (or a password reset) succeeded: forget the failures."""
    await SignInGuard.filter(key_hash=key_hash).update(
        failures=0, locked_until=None, version=F("version") + 1
    )


async def clear_lockout(key_hash: str) -> bool:
    """Staff lift a delay or lock; whether there was anything to clear."""
    cleared: int = await SignInGuard.filter(key_hash=key_hash, failures__gt=0).update(
        failures=0, locked_until=None, version=F("version") + 1
    )
    return cleared > 0


async def purge_idle_guards(cutoff: datetime) -> int:
    """Delete guards with no attempt since ``cutoff`` and no lock beyond it; returns how
    many. For a periodic job: what they counted is forgotten, for every address alike."""
    deleted: int = await SignInGuard.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=cutoff), last_attempt_at__lt=cutoff
    ).delete()
    return deleted


async def report(on_failure: FailureHook | None, failure: AuthFailure) -> None:
    """Pass ``failure`` to the caller's hook, if any."""
    if on_failure is not None:
        await on_failure(failure)


def locked_error(locked_until: datetime) -> DomainError:
    """``ACCOUNT_LOCKED``, saying until when."""
    return DomainError(
        ErrorCode.ACCOUNT_LOCKED,
        f"Too many failed attempts. Try again after {locked_until.astimezone(UTC):%H:%M:%S} UTC.",
    )
