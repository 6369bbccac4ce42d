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
    AuthFailure,
    FailureHook,
    FailureReason,
    record_failure,
    refuse_if_locked,
    refuse_if_locked_meanwhile,
    report,
    reset_failures,
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
    email: str, password: str, *, now: datetime, on_failure: FailureHook | None = None
) -> LoginResult:
    """Check ``email`` and ``password``. An unknown email costs the time of a wrong password
    and fails the same way, with ``INVALID_CREDENTIALS``; ``ACCOUNT_LOCKED`` while the
    account refuses attempts. A hash with outdated parameters is upgraded."""
    normalized = email.strip().lower()
    # Longer than the column, or not storable at all: no account can have it.
    plausible = len(normalized) <= 320 and "\x00" not in normalized
    user = await User.get_or_none(email=normalized) if plausible else None
    if user is None or not user.is_active:
        await spend_equal_time(password)
        reason = FailureReason.UNKNOWN_EMAIL if user is None else FailureReason.INACTIVE_ACCOUNT
        user_id = None if user is None else user.id
        await report(on_failure, AuthFailure(user_id, reason, 0, None))
        raise _invalid_credentials()
    await refuse_if_locked(user, now, on_failure)
    check = await verify_password(user.password_hash, password)
    if not check.matches:
        await record_failure(user.id, FailureReason.PASSWORD, now, on_failure)
        raise _invalid_credentials()
    await refuse_if_locked_meanwhile(user.id, now)
    if check.upgraded_hash is not None:
        # Conditional, so a password changed meanwhile is not overwritten.
        await User.filter(id=user.id, password_hash=user.password_hash).update(
            password_hash=check.upgraded_hash
        )
    if user.mfa_enabled:
        # The failure count is kept until the second factor passes, so a known password
        # does not buy fresh guesses at the code.
        ticket = new_token(MFA_TICKET_PREFIX)
        expires_at = now + MFA_TICKET_LIFETIME
        await MfaChallenge.create(user=user, ticket_hash=token_hash(ticket), expires_at=expires_at)
        return LoginResult(
            user.id, mfa_required=True, mfa_ticket=ticket, mfa_ticket_expires_at=expires_at
        )
    await reset_failures(user.id)
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
    ``INVALID_MFA_CODE`` for a wrong code, ``ACCOUNT_LOCKED`` while the account refuses."""
    challenge = None
    if ticket.startswith(MFA_TICKET_PREFIX):
        challenge = await MfaChallenge.get_or_none(ticket_hash=token_hash(ticket))
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
        raise _invalid_ticket()
    user = await User.get_or_none(id=challenge.user_id)
    if user is None or not user.is_active:
        raise _invalid_ticket()
    await refuse_if_locked(user, now, on_failure)
    if looks_like_recovery_code(code):
        factor = SecondFactor.RECOVERY_CODE
        accepted = await use_recovery_code(user.id, code, secret_key=secret_key, now=now)
    else:
        factor = SecondFactor.TOTP
        accepted = await accept_totp_code(user, code, decrypt=decrypt, now=now)
    if not accepted:
        await record_failure(user.id, FailureReason(factor.value), now, on_failure)
        raise DomainError(ErrorCode.INVALID_MFA_CODE, "The code is not valid.", "code")
    await refuse_if_locked_meanwhile(user.id, now)
    if not await MfaChallenge.filter(id=challenge.id, used_at__isnull=True).update(used_at=now):
        raise _invalid_ticket()
    await reset_failures(user.id)
    session = await create_session(user.id, scope=SessionScope.FULL, now=now)
    return MfaVerification(session=session, factor=factor)


async def purge_expired_mfa_challenges(now: datetime) -> int:
    """Delete tickets that expired; returns how many. For a periodic job."""
    deleted: int = await MfaChallenge.filter(expires_at__lte=now).delete()
    return deleted


def _invalid_credentials() -> DomainError:
    return DomainError(ErrorCode.INVALID_CREDENTIALS, "The email or password is not right.")


def _invalid_ticket() -> DomainError:
    return DomainError(ErrorCode.INVALID_TOKEN, "Sign in again.")
