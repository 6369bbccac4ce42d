"""Proving, inside a session, that the caller holds the account: its password and a current
second factor. A session alone can be stolen (a shared computer, a leaked token), so the
changes that would lock the owner out ask for this first: replacing the authenticator.

Each secret is an attempt reserved on the account's guard (``auth.lockout``), so guesses
made through a stolen session count towards the same lock as guesses at sign-in."""

from __future__ import annotations

from datetime import datetime

from auth.accounts import check_current_password
from auth.lockout import FailureHook, guard_key, signed_in
from auth.login import SecondFactor, verify_second_factor
from auth.totp import Decrypt
from billing.errors import DomainError, ErrorCode
from models.users import User


async def prove_both_factors(
    user: User,
    password: str | None,
    code: str | None,
    *,
    decrypt: Decrypt,
    secret_key: str,
    now: datetime,
    on_failure: FailureHook | None = None,
) -> SecondFactor:
    """Check ``password`` and ``code`` (a TOTP or recovery code, used up) of ``user``.

    ``MFA_REQUIRED`` when either is missing, ``INVALID_CREDENTIALS`` on
    ``current_password``, ``INVALID_MFA_CODE`` on ``current_code`` (its password was right),
    ``ACCOUNT_LOCKED`` while the account refuses attempts. Both right counts as a full
    sign-in: the failures are forgotten."""
    if not password or not code or not code.strip():
        raise DomainError(
            ErrorCode.MFA_REQUIRED,
            "This account has an authenticator: give your current password and a current "
            "code (or a recovery code) to replace it.",
        )
    await check_current_password(
        user, password, secret_key=secret_key, now=now, on_failure=on_failure
    )
    factor, _attempt = await verify_second_factor(
        user,
        code,
        decrypt=decrypt,
        secret_key=secret_key,
        now=now,
        on_failure=on_failure,
        field="current_code",
    )
    await signed_in(guard_key(secret_key, user.email))
    return factor
