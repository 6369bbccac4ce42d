"""Signing in: email and password, then the second factor when the account has MFA.

A password that matches on an account with MFA yields a short-lived, single-use ticket
(stored as a hash) instead of a session; ``verify_mfa`` trades it and a TOTP or recovery
code for a session. Staff without MFA get a session that can only enroll it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from auth.accounts import is_staff
from auth.lockout import (
    Attempt,
    FailureHook,
    FailureReason,
    claim_attempt,
    failed,
    guard_key,
    passed,
    signed_in,
)
from auth.passwords import spend_equal_time, verify_password
from auth.recovery_codes import looks_like_recovery_code, use_recovery_code
from auth.sessions import IssuedSession, SessionScope, create_session
from auth.tokens import new_token, token_hash
from auth.totp import Decrypt, accept_totp_code
from billing.errors import DomainError, ErrorCode
from models.users import MfaChallenge, User

MFA_TICKET_LIFETIME = timedelta(minutes=5)
MFA_TICKET_PREFIX = "mt_"


@dataclass(frozen=True)
class LoginResult:
    """Either ``session`` (signed in), or ``mfa_required`` with a ticket for ``verify_mfa``."""

    user_id: int
    mfa_required: bool
    session: IssuedSession | None = None
    mfa_ticket: str | None = None
    mfa_ticket_expires_at: datetime | None = None


class SecondFactor(StrEnum):
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"


@dataclass(frozen=True)
class MfaVerification:
    """The new session, and which factor opened it (a used recovery code is worth auditing
    and telling the user about)."""

    session: IssuedSession
    factor: SecondFactor


async def login(
    email: str,
    password: str,
    *,
    secret_key: str,
    now: datetime,
    on_failure: FailureHook | None = None,
) -> LoginResult:
    """Check ``email`` and ``password``. The attempt is reserved on the address's guard
    first (``auth.lockout``): ``ACCOUNT_LOCKED``, unchecked, while the address refuses.
    An unknown email costs the time of a wrong password and fails the same way, with
    ``INVALID_CREDENTIALS``, and counts towards a lock just the same. A hash with outdated
    parameters is upgraded."""
    normalized = email.strip().lower()
    # Longer than the column, or not storable at all: no account can have it.
    plausible = len(normalized) <= 320 and "\x00" not in normalized
    user = await User.get_or_none(email=normalized) if plausible else None
    user_id = None if user is None else user.id
    key = guard_key(secret_key, normalized)
    attempt = await claim_attempt(key, now, user_id=user_id, on_failure=on_failure)
    if user is None or not user.is_active:
        await spend_equal_time(password)
        reason = FailureReason.UNKNOWN_EMAIL if user is None else FailureReason.INACTIVE_ACCOUNT
        await failed(attempt, reason, user_id=user_id, on_failure=on_failure)
        raise _invalid_credentials()
    check = await verify_password(user.password_hash, password)
    if not check.matches:
        await failed(attempt, FailureReason.PASSWORD, user_id=user.id, on_failure=on_failure)
        raise _invalid_credentials()
    if check.upgraded_hash is not None:
        # Conditional, so a password changed meanwhile is not overwritten.
        await User.filter(id=user.id, password_hash=user.password_hash).update(
            password_hash=check.upgraded_hash
        )
    if user.mfa_enabled:
        # The failures are kept until the second factor passes, so a known password does
        # not buy fresh guesses at the code; this attempt was not one of them.
        await passed(attempt)
        ticket = new_token(MFA_TICKET_PREFIX)
        expires_at = now + MFA_TICKET_LIFETIME
        await MfaChallenge.create(user=user, ticket_hash=token_hash(ticket), expires_at=expires_at)
        return LoginResult(
            user.id, mfa_required=True, mfa_ticket=ticket, mfa_ticket_expires_at=expires_at
        )
    await signed_in(key)
    scope = SessionScope.MFA_ENROLLMENT if is_staff(user.roles) else SessionScope.FULL
    session = await create_session(user.id, scope=scope, now=now)
    return LoginResult(user.id, mfa_required=False, session=session)


async def verify_mfa(
    ticket: str,
    code: str,
    *,
    decrypt: Decrypt,
    secret_key: str,
    now: datetime,
    on_failure: FailureHook | None = None,
) -> MfaVerification:
    """A full session for the ticket from ``login`` and a TOTP or recovery ``code``, each
    usable once. ``INVALID_TOKEN`` for an unknown, used or expired ticket (sign in again),
    ``INVALID_MFA_CODE`` for a wrong code, ``ACCOUNT_LOCKED``, with the code unchecked,
    while the account's address refuses attempts."""
    challenge = None
    if ticket.startswith(MFA_TICKET_PREFIX):
        challenge = await MfaChallenge.get_or_none(ticket_hash=token_hash(ticket))
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
        raise _invalid_ticket()
    user = await User.get_or_none(id=challenge.user_id)
    if user is None or not user.is_active:
        raise _invalid_ticket()
    factor, attempt = await verify_second_factor(
        user, code, decrypt=decrypt, secret_key=secret_key, now=now, on_failure=on_failure
    )
    if not await MfaChallenge.filter(id=challenge.id, used_at__isnull=True).update(used_at=now):
        await passed(attempt)
        raise _invalid_ticket()
    await signed_in(guard_key(secret_key, user.email))
    session = await create_session(user.id, scope=SessionScope.FULL, now=now)
    return MfaVerification(session=session, factor=factor)


async def verify_second_factor(
    user: User,
    code: str,
    *,
    decrypt: Decrypt,
    secret_key: str,
    now: datetime,
    on_failure: FailureHook | None = None,
    field: str = "code",
) -> tuple[SecondFactor, Attempt]:
    """Check ``code`` (a current TOTP code or an unused recovery code, used up) as an
    attempt reserved on ``user``'s guard: ``ACCOUNT_LOCKED`` unchecked while it refuses,
    ``INVALID_MFA_CODE`` on ``field`` for a wrong code. A right one returns the factor and
    its attempt, still reserved: the caller settles it (``signed_in`` or ``passed``)."""
    attempt = await claim_attempt(
        guard_key(secret_key, user.email), now, user_id=user.id, on_failure=on_failure
    )
    factor = await _second_factor(user, code, decrypt=decrypt, secret_key=secret_key, now=now)
    if factor is None:
        reason = (
            FailureReason.RECOVERY_CODE if looks_like_recovery_code(code) else FailureReason.TOTP
        )
        await failed(attempt, reason, user_id=user.id, on_failure=on_failure)
        raise DomainError(ErrorCode.INVALID_MFA_CODE, "The code is not valid.", field)
    return factor, attempt


async def _second_factor(
    user: User, code: str, *, decrypt: Decrypt, secret_key: str, now: datetime
) -> SecondFactor | None:
    if looks_like_recovery_code(code):
        if await use_recovery_code(user.id, code, secret_key=secret_key, now=now):
            return SecondFactor.RECOVERY_CODE
        return None
    if await accept_totp_code(user, code, decrypt=decrypt, now=now):
        return SecondFactor.TOTP
    return None


async def purge_expired_mfa_challenges(now: datetime) -> int:
    """Delete tickets that expired; returns how many. For a periodic job."""
    deleted: int = await MfaChallenge.filter(expires_at__lte=now).delete()
    return deleted


def _invalid_credentials() -> DomainError:
    return DomainError(ErrorCode.INVALID_CREDENTIALS, "The email or password is not right.")


def _invalid_ticket() -> DomainError:
    return DomainError(ErrorCode.INVALID_TOKEN, "Sign in again.")
