"""Creating user accounts and changing their passwords."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from tortoise.exceptions import IntegrityError

from auth.lockout import (
    FailureHook,
    FailureReason,
    record_failure,
    refuse_if_locked,
    refuse_if_locked_meanwhile,
)
from auth.password_policy import check_new_password
from auth.passwords import hash_password, verify_password
from auth.sessions import revoke_other_sessions
from billing.errors import DomainError, ErrorCode
from models.enums import Role
from models.users import User

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
STAFF_ROLES = frozenset({Role.BILLING_STAFF, Role.ACCOUNTANT, Role.ADMIN, Role.AUDITOR})


def normalize_email(email: str, field: str = "email") -> str:
    """The address trimmed and lower-cased, or ``INVALID_INPUT`` if it is not one."""
    normalized = email.strip().lower()
    if not _EMAIL.match(normalized):
        raise DomainError(ErrorCode.INVALID_INPUT, "Enter a valid email address.", field)
    return normalized


def is_staff(roles: Iterable[str]) -> bool:
    """Whether any of ``roles`` is a staff role; staff must use MFA."""
    return any(role in STAFF_ROLES for role in roles)


def mfa_enforced(user: User) -> bool:
    """Whether ``user`` signs in with a second factor: all staff, and patients who enabled
    it. Their passwords then follow the shorter multi-factor length rule."""
    return user.mfa_enabled or is_staff(user.roles)


async def create_user(email: str, role: Role, password: str) -> User:
    """A new account. Staff must enroll MFA before they can do anything, so their
    passwords follow the multi-factor length rule; patients' the single-factor one."""
    normalized_email = normalize_email(email)
    normalized_password = check_new_password(
        password, mfa_enforced=role in STAFF_ROLES, email=normalized_email
    )
    if await User.filter(email=normalized_email).exists():
        raise _email_taken()
    password_hash = await hash_password(normalized_password)
    try:
        return await User.create(
            email=normalized_email, password_hash=password_hash, roles=[role.value]
        )
    except IntegrityError:
        raise _email_taken() from None


async def change_password(
    user_id: int,
    current_password: str,
    new_password: str,
    *,
    current_session_id: int | None,
    now: datetime,
    on_failure: FailureHook | None = None,
) -> None:
    """Replace the password of ``user_id`` after checking the current one, and revoke every
    other session. A wrong current password counts as a failed attempt
    (``INVALID_CREDENTIALS``); a weak new one is ``WEAK_PASSWORD``."""
    user = await User.get_or_none(id=user_id)
    if user is None or not user.is_active:
        raise DomainError(ErrorCode.NOT_FOUND, "No such account.")
    normalized = check_new_password(
        new_password, mfa_enforced=mfa_enforced(user), email=user.email, field="new_password"
    )
    await refuse_if_locked(user, now, on_failure)
    check = await verify_password(user.password_hash, current_password)
    if not check.matches:
        await record_failure(user.id, FailureReason.PASSWORD, now, on_failure)
        raise DomainError(
            ErrorCode.INVALID_CREDENTIALS, "The current password is not right.", "current_password"
        )
    await refuse_if_locked_meanwhile(user.id, now)
    new_hash = await hash_password(normalized)
    await User.filter(id=user.id).update(password_hash=new_hash, password_changed_at=now)
    await revoke_other_sessions(user.id, current_session_id, now=now)


def _email_taken() -> DomainError:
    return DomainError(ErrorCode.EMAIL_TAKEN, "An account with this email exists.", "email")
