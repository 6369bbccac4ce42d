"""Creating user accounts, checking their passwords and changing them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from tortoise.exceptions import IntegrityError

from auth.lockout import FailureHook, FailureReason, claim_attempt, failed, guard_key, passed
from auth.password_policy import check_new_password
from auth.passwords import hash_password, verify_password
from billing.errors import DomainError, ErrorCode
from models.enums import Role
from models.users import User

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
STAFF_ROLES = frozenset({Role.BILLING_STAFF, Role.ACCOUNTANT, Role.ADMIN, Role.AUDITOR})
# Roles that must sign in with a second factor: staff, and organizations' billing users.
MFA_REQUIRED_ROLES = STAFF_ROLES | {Role.ORGANIZATION_BILLING}


def normalize_email(email: str, field: str = "email") -> str:
    """The address trimmed and lower-cased, or ``INVALID_INPUT`` if it is not one."""
    normalized = email.strip().lower()
    if not _EMAIL.match(normalized):
        raise DomainError(ErrorCode.INVALID_INPUT, "Enter a valid email address.", field)
    return normalized


def is_staff(roles: Iterable[str]) -> bool:
    """Whether any of ``roles`` must use MFA: a staff role, or an organization's billing
    user (who pays a business's invoices)."""
    return any(role in MFA_REQUIRED_ROLES for role in roles)


def mfa_enforced(user: User) -> bool:
    """Whether ``user`` signs in with a second factor: all staff, and patients who enabled
    it. Their passwords then follow the shorter multi-factor length rule."""
    return user.mfa_enabled or is_staff(user.roles)


async def create_user(email: str, role: Role, password: str) -> User:
    """A new account. Staff must enroll MFA before they can do anything, so their
    passwords follow the multi-factor length rule; patients' the single-factor one."""
    normalized_email = normalize_email(email)
    normalized_password = check_new_password(
        password, mfa_enforced=role in MFA_REQUIRED_ROLES, email=normalized_email
    )
    if await User.filter(email=normalized_email).exists():
        raise email_taken()
    password_hash = await hash_password(normalized_password)
    try:
        return await User.create(
            email=normalized_email, password_hash=password_hash, roles=[role.value]
        )
    except IntegrityError:
        raise email_taken() from None


async def check_password_change(
    user: User,
    current_password: str,
    new_password: str,
    *,
    secret_key: str,
    now: datetime,
    on_failure: FailureHook | None = None,
) -> str:
    """The argon2id hash of ``new_password`` once ``current_password`` proves the caller
    holds the account. The new one follows the rules of activation (``WEAK_PASSWORD`` on
    ``new_password``); the current one is an attempt reserved on the account's guard, so a
    wrong one (``INVALID_CREDENTIALS``) counts towards its lock like a wrong sign-in, and
    ``ACCOUNT_LOCKED`` while it refuses. Nothing is written but the attempt."""
    normalized = check_new_password(
        new_password, mfa_enforced=mfa_enforced(user), email=user.email, field="new_password"
    )
    await check_current_password(
        user, current_password, secret_key=secret_key, now=now, on_failure=on_failure
    )
    return await hash_password(normalized)


async def check_current_password(
    user: User,
    password: str,
    *,
    secret_key: str,
    now: datetime,
    on_failure: FailureHook | None = None,
    field: str = "current_password",
) -> None:
    """``INVALID_CREDENTIALS`` on ``field`` unless ``password`` is ``user``'s, checked as
    an attempt reserved on the account's guard (``ACCOUNT_LOCKED`` while it refuses)."""
    attempt = await claim_attempt(
        guard_key(secret_key, user.email), now, user_id=user.id, on_failure=on_failure
    )
    check = await verify_password(user.password_hash, password)
    if not check.matches:
        await failed(attempt, FailureReason.PASSWORD, user_id=user.id, on_failure=on_failure)
        raise DomainError(
            ErrorCode.INVALID_CREDENTIALS, "The current password is not right.", field
        )
    # The password alone proves no full sign-in: give the attempt back, keep the count.
    await passed(attempt)


async def replace_password(user: User, new_hash: str, *, now: datetime) -> None:
    """Store ``new_hash`` as ``user``'s password, unless the password changed since
    ``user`` was read (``CONFLICT``: check it again). Call inside the change's
    transaction."""
    replaced = await User.filter(id=user.id, password_hash=user.password_hash).update(
        password_hash=new_hash, password_changed_at=now
    )
    if replaced != 1:
        raise DomainError(
            ErrorCode.CONFLICT, "The password changed meanwhile. Try again.", "current_password"
        )


def email_taken() -> DomainError:
    """The refusal of an address that already has an account (every way of making one)."""
    return DomainError(ErrorCode.EMAIL_TAKEN, "An account with this email exists.", "email")
