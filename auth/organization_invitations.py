"""Organizations' billing users activate an account with a one-time code from staff.

As with a patient's enrollment code (``auth.enrollment``): nobody signs up freely; the code
(60 random bits, e.g. ``7KQ2-M9XD-4RTV``) is stored only as a keyed hash and lasts seven
days. The proof beside the code is the address staff invited, instead of a date of birth:
a wrong code and a wrong address fail alike (``INVALID_ENROLLMENT_CODE``), failures are
rate-limited per client, and a code dies after five wrong addresses. The account has role
``organization_billing``, so it must enroll MFA before it can do anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.accounts import email_taken, normalize_email
from auth.code_tries import claim_code_try, give_code_try_back
from auth.enrollment import ENROLLMENT_CODE_LIFETIME
from auth.password_policy import check_new_password
from auth.passwords import hash_password
from auth.rate_limit import ENROLLMENT_CODE_LIMIT, claim_attempt, release_attempt
from auth.tokens import keyed_hash, new_human_code, normalize_human_code
from billing.errors import DomainError, ErrorCode
from models.enums import Role
from models.organizations import Organization
from models.users import OrganizationInvitation, User

_PURPOSE = "organization-invitation"


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    """The code to give the invited user (shown once) and when it stops working."""

    id: int
    organization_id: int
    code: str
    expires_at: datetime


async def invite_organization_user(
    organization_id: int | None, email: str, *, invited_by: int, secret_key: str, now: datetime
) -> IssuedInvitation:
    """A new code for ``email`` to join the organization; earlier unused codes for the same
    address stop working. ``NOT_FOUND`` for an unknown organization, ``EMAIL_TAKEN`` when
    the address has an account."""
    address = normalize_email(email)
    if organization_id is None or not await Organization.exists(id=organization_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such organization.", "organization_id")
    if await User.filter(email=address).exists():
        raise email_taken()
    await OrganizationInvitation.filter(
        email=address, used_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    code = new_human_code(12, group=4)
    row = await OrganizationInvitation.create(
        organization_id=organization_id,
        email=address,
        code_hash=_hash(secret_key, code),
        expires_at=now + ENROLLMENT_CODE_LIFETIME,
        invited_by_id=invited_by,
    )
    return IssuedInvitation(row.id, organization_id, code, row.expires_at)


async def activate_organization_account(
    code: str, email: str, password: str, *, client_key: str, secret_key: str, now: datetime
) -> User:
    """The invited user's account, once ``code`` and the invited ``email`` match; the code
    is used up. Errors: ``RATE_LIMITED``, ``INVALID_ENROLLMENT_CODE``, ``EMAIL_TAKEN``,
    ``WEAK_PASSWORD``, ``INVALID_INPUT``."""
    address = normalize_email(email)
    normalized_password = check_new_password(password, mfa_enforced=True, email=address)
    if not await claim_attempt(ENROLLMENT_CODE_LIMIT, client_key, now):
        raise DomainError(ErrorCode.RATE_LIMITED, "Too many attempts. Try again later.")
    row = await OrganizationInvitation.get_or_none(code_hash=_hash(secret_key, code))
    if row is None or not await claim_code_try(OrganizationInvitation, row.id, now):
        raise _invalid_code()
    if row.email != address:
        raise _invalid_code()
    await give_code_try_back(OrganizationInvitation, row.id)
    await release_attempt(ENROLLMENT_CODE_LIMIT, client_key, now)
    if await User.filter(email=address).exists():
        raise email_taken()
    password_hash = await hash_password(normalized_password)
    try:
        async with in_transaction():
            used = await OrganizationInvitation.filter(
                id=row.id, used_at__isnull=True, expires_at__gt=now
            ).update(used_at=now)
            if not used:
                raise _invalid_code()
            return await User.create(
                email=address,
                password_hash=password_hash,
                roles=[Role.ORGANIZATION_BILLING.value],
                organization_id=row.organization_id,
                password_changed_at=now,
            )
    except IntegrityError:
        raise email_taken() from None


def _hash(secret_key: str, code: str) -> str:
    return keyed_hash(secret_key, _PURPOSE, normalize_human_code(code))


def _invalid_code() -> DomainError:
    return DomainError(
        ErrorCode.INVALID_ENROLLMENT_CODE,
        "The code or the email address is not right, or the code expired.",
        "code",
    )
