"""Failed sign-in attempts per account, across password, TOTP and recovery codes.

From the third failure in a row the account refuses attempts for a growing delay
(30 s, 1 min, 2 min), and from the sixth it locks for 30 minutes; while it refuses, we do
not check the attempt at all. A full sign-in resets the count.

Every failure is reported to an optional ``on_failure`` hook with an ``AuthFailure``, so the
caller can write it to the audit trail: the domain functions stay free of auditing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tortoise.expressions import F, Q

from billing.errors import DomainError, ErrorCode
from models.users import User

FIRST_DELAY_AT = 3
FIRST_DELAY = timedelta(seconds=30)
LOCK_AT = 6
LOCK_DURATION = timedelta(minutes=30)


class FailureReason(StrEnum):
    UNKNOWN_EMAIL = "unknown_email"
    INACTIVE_ACCOUNT = "inactive_account"
    PASSWORD = "password"  # noqa: S105 (a reason, not a password)
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"
    # An attempt refused unchecked because the account is in a delay or locked.
    LOCKED = "locked"


@dataclass(frozen=True)
class AuthFailure:
    """One failed attempt, for the audit trail. ``user_id`` is None for an unknown email."""

    user_id: int | None
    reason: FailureReason
    failed_attempts: int
    locked_until: datetime | None


FailureHook = Callable[[AuthFailure], Awaitable[None]]


def delay_after(failures: int) -> timedelta | None:
    """How long the account refuses attempts after ``failures`` failures in a row."""
    if failures >= LOCK_AT:
        return LOCK_DURATION
    if failures >= FIRST_DELAY_AT:
        return FIRST_DELAY * (1 << (failures - FIRST_DELAY_AT))
    return None


async def refuse_if_locked(user: User, now: datetime, on_failure: FailureHook | None) -> None:
    """Raise ``ACCOUNT_LOCKED`` (and report it) while ``user`` is in a delay or locked."""
    if user.locked_until is not None and user.locked_until > now:
        await report(
            on_failure,
            AuthFailure(user.id, FailureReason.LOCKED, user.failed_attempts, user.locked_until),
        )
        raise DomainError(ErrorCode.ACCOUNT_LOCKED, _locked_message(user.locked_until))


async def refuse_if_locked_meanwhile(user_id: int, now: datetime) -> None:
    """After a good attempt: raise ``ACCOUNT_LOCKED`` if concurrent failures locked the
    account while we checked, so parallel guesses learn nothing while it is locked."""
    locked_until = await User.filter(id=user_id).first().values_list("locked_until", flat=True)
    if isinstance(locked_until, datetime) and locked_until > now:
        raise DomainError(ErrorCode.ACCOUNT_LOCKED, _locked_message(locked_until))


async def record_failure(
    user_id: int, reason: FailureReason, now: datetime, on_failure: FailureHook | None
) -> AuthFailure:
    """Count one failure for ``user_id``, start a delay or lock when due, and report it."""
    # An increment in the database, so concurrent failures are all counted.
    await User.filter(id=user_id).update(failed_attempts=F("failed_attempts") + 1)
    failures = await User.filter(id=user_id).first().values_list("failed_attempts", flat=True)
    count = int(failures) if isinstance(failures, int) else 0
    delay = delay_after(count)
    locked_until = None
    if delay is not None:
        locked_until = now + delay
        # Never shorten a lock that a concurrent failure set further out.
        await User.filter(
            Q(locked_until__isnull=True) | Q(locked_until__lt=locked_until), id=user_id
        ).update(locked_until=locked_until)
    failure = AuthFailure(user_id, reason, count, locked_until)
    await report(on_failure, failure)
    return failure


async def reset_failures(user_id: int) -> None:
    """A full sign-in succeeded: forget the failures."""
    await User.filter(id=user_id).update(failed_attempts=0, locked_until=None)


async def report(on_failure: FailureHook | None, failure: AuthFailure) -> None:
    """Pass ``failure`` to the caller's hook, if any."""
    if on_failure is not None:
        await on_failure(failure)


def _locked_message(locked_until: datetime) -> str:
    return f"Too many failed attempts. Try again after {locked_until.astimezone(UTC):%H:%M:%S} UTC."
