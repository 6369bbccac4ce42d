"""Resetting a forgotten password with a link sent to the account's address.

Asking answers the same for every address, known or not: a known, active one gets a
reset (30 minutes, single use; a newer one retires the older) and its email is queued,
an unknown one gets nothing. Asking is rate-limited per address, whoever asks, and per
client; past the address's limit no more emails go out, with the same answer. The link's
token is derived when the email is sent (``billing.notifications.account_messages``);
only its SHA-256 is kept.

Using the link: the token must name an unused, unexpired reset; an account with MFA
also gives a current TOTP or recovery code, as an attempt reserved on the account's
guard (``auth.lockout``) like any second factor. The new password follows the rules of
activation. Checking writes nothing but the attempt; ``consume_reset`` then uses the
reset up inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from auth.accounts import mfa_enforced, normalize_email
from auth.lockout import FailureHook, guard_key
from auth.login import verify_second_factor
from auth.password_policy import check_new_password
from auth.passwords import hash_password
from auth.rate_limit import RateLimit
from auth.rate_limit import claim_attempt as claim_request
from auth.tokens import token_hash
from auth.totp import Decrypt
from billing.errors import DomainError, ErrorCode
from billing.notifications.account_messages import (
    PASSWORD_RESET_TOKEN_PREFIX,
    new_reset_nonce,
    password_reset_token,
)
from models.users import PasswordReset, User

RESET_LIFETIME = timedelta(minutes=30)
# Emails to one address, whoever asks: enough for a typo'd first try, too few to flood it.
RESET_EMAILS_PER_ADDRESS = RateLimit(
    "password_reset_address", max_attempts=3, window=timedelta(hours=1)
)
RESET_REQUESTS_PER_CLIENT = RateLimit(
    "password_reset_client", max_attempts=10, window=timedelta(minutes=15)
)


@dataclass(frozen=True)
class CheckedReset:
    """A reset whose token, new password and second factor passed: what to store."""

    reset_id: int
    user: User
    new_password_hash: str


async def request_password_reset(
    email: str, *, client_key: str, link_key: bytes, secret_key: str, now: datetime
) -> PasswordReset | None:
    """The reset to email, for a known and active address within its limit; None
    otherwise, which the caller must answer exactly like a reset. ``INVALID_INPUT`` for
    what is no email address, ``RATE_LIMITED`` for a client asking too often."""
    normalized = normalize_email(email)
    if not await claim_request(RESET_REQUESTS_PER_CLIENT, client_key, now):
        raise DomainError(ErrorCode.RATE_LIMITED, "Too many requests. Try again later.")
    # Keyed like the sign-in guard, so the counter table holds no addresses either.
    if not await claim_request(RESET_EMAILS_PER_ADDRESS, guard_key(secret_key, normalized), now):
        return None
    user = await User.get_or_none(email=normalized, is_active=True)
    if user is None:
        return None
    return await issue_reset(user.id, link_key=link_key, now=now, forced=False)


async def issue_reset(
    user_id: int, *, link_key: bytes, now: datetime, forced: bool
) -> PasswordReset:
    """A new reset for ``user_id``; earlier unused ones stop working."""
    await PasswordReset.filter(user_id=user_id, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    nonce = new_reset_nonce()
    return await PasswordReset.create(
        user_id=user_id,
        nonce=nonce,
        token_hash=token_hash(password_reset_token(link_key, nonce)),
        forced=forced,
        expires_at=now + RESET_LIFETIME,
    )


async def check_password_reset(
    token: str,
    new_password: str,
    mfa_code: str | None,
    *,
    decrypt: Decrypt,
    secret_key: str,
    now: datetime,
    on_failure: FailureHook | None = None,
) -> CheckedReset:
    """Check a reset link's token, the new password and, for an account with MFA, the
    code. ``INVALID_TOKEN`` for a token that names no usable reset, ``WEAK_PASSWORD``,
    ``MFA_REQUIRED`` without a code, ``INVALID_MFA_CODE`` for a wrong one (the link stays
    usable), ``ACCOUNT_LOCKED`` while the account refuses attempts."""
    reset = None
    if token.startswith(PASSWORD_RESET_TOKEN_PREFIX):
        reset = await PasswordReset.get_or_none(token_hash=token_hash(token)).select_related("user")
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise _invalid_link()
    user: User = reset.user
    if not user.is_active:
        raise _invalid_link()
    normalized = check_new_password(
        new_password, mfa_enforced=mfa_enforced(user), email=user.email, field="new_password"
    )
    if user.mfa_enabled:
        await _check_code(
            user, mfa_code, decrypt=decrypt, secret_key=secret_key, now=now, on_failure=on_failure
        )
    return CheckedReset(reset.id, user, await hash_password(normalized))


async def consume_reset(reset_id: int, *, now: datetime) -> None:
    """Use the reset up, unless a concurrent request did (``INVALID_TOKEN``). Call inside
    the transaction that stores the new password."""
    used = await PasswordReset.filter(id=reset_id, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if used != 1:
        raise _invalid_link()


async def retire_resets(user_id: int, *, now: datetime) -> None:
    """Every unused reset of ``user_id`` stops working."""
    await PasswordReset.filter(user_id=user_id, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )


async def purge_spent_resets(cutoff: datetime) -> int:
    """Delete resets that expired before ``cutoff``; returns how many. For a periodic job."""
    deleted: int = await PasswordReset.filter(expires_at__lt=cutoff).delete()
    return deleted


async def _check_code(
    user: User,
    code: str | None,
    *,
    decrypt: Decrypt,
    secret_key: str,
    now: datetime,
    on_failure: FailureHook | None,
) -> None:
    if not code or not code.strip():
        raise DomainError(
            ErrorCode.MFA_REQUIRED,
            "Give a current code from your authenticator app, or a recovery code.",
            "mfa_code",
        )
    await verify_second_factor(
        user,
        code,
        decrypt=decrypt,
        secret_key=secret_key,
        now=now,
        on_failure=on_failure,
        field="mfa_code",
    )


def _invalid_link() -> DomainError:
    return DomainError(
        ErrorCode.INVALID_TOKEN,
        "This link is no longer valid. Ask for a new one.",
        "token",
    )
