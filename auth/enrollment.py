"""Patients activate an account with a one-time code from staff and their date of birth.

Nobody can sign up freely. The code (60 random bits in Crockford base32, e.g.
``7KQ2-M9XD-4RTV``) is kept only as a keyed hash and expires after seven days. A wrong
code and a wrong date of birth fail alike, with ``INVALID_ENROLLMENT_CODE``; failures are
rate-limited per client, and a code dies after five wrong dates of birth, so it cannot be
brute-forced from many addresses either. Both limits are reserved before anything is
checked (``auth.rate_limit``, and a conditional update of the code's count), so parallel
attempts get no more evaluations than the limits allow; an activation that succeeds
gives its reservations back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.accounts import email_taken, normalize_email
from auth.code_tries import MAX_WRONG_PROOFS_PER_CODE, claim_code_try, give_code_try_back
from auth.password_policy import check_new_password
from auth.passwords import hash_password
from auth.rate_limit import ENROLLMENT_CODE_LIMIT, claim_attempt, release_attempt
from auth.tokens import keyed_hash, new_human_code, normalize_human_code
from billing.errors import DomainError, ErrorCode
from models.enums import Role
from models.patients import Patient
from models.users import EnrollmentCode, User

ENROLLMENT_CODE_LIFETIME = timedelta(days=7)
MAX_WRONG_BIRTH_DATES_PER_CODE = MAX_WRONG_PROOFS_PER_CODE
_PURPOSE = "enrollment-code"

ReadDateOfBirth = Callable[[Patient], date]


@dataclass(frozen=True)
class IssuedEnrollmentCode:
    """The code to give the patient (shown once) and when it stops working."""

    code: str
    expires_at: datetime


@dataclass(frozen=True)
class ActivatedAccount:
    user_id: int
    patient_id: int
    email: str


async def issue_enrollment_code(
    patient_id: int, *, secret_key: str, now: datetime
) -> IssuedEnrollmentCode:
    """A new one-time code for ``patient_id``; earlier unused codes stop working.
    ``NOT_FOUND`` for an unknown patient, ``CONFLICT`` if the patient has an account."""
    if not await Patient.filter(id=patient_id).exists():
        raise DomainError(ErrorCode.NOT_FOUND, "No such patient.", "patient_id")
    if await User.filter(patient_id=patient_id).exists():
        raise DomainError(ErrorCode.CONFLICT, "This patient already has an account.", "patient_id")
    code = new_human_code(12, group=4)
    expires_at = now + ENROLLMENT_CODE_LIFETIME
    await EnrollmentCode.filter(
        patient_id=patient_id, used_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    await EnrollmentCode.create(
        patient_id=patient_id, code_hash=_hash(secret_key, code), expires_at=expires_at
    )
    return IssuedEnrollmentCode(code=code, expires_at=expires_at)


async def activate_patient_account(
    code: str,
    date_of_birth: date,
    email: str,
    password: str,
    *,
    read_date_of_birth: ReadDateOfBirth,
    client_key: str,
    secret_key: str,
    now: datetime,
) -> ActivatedAccount:
    """Create the patient's account (role patient, linked to the record) if ``code`` is
    valid and ``date_of_birth`` matches the record, and use the code up.

    ``read_date_of_birth`` decrypts a patient's date of birth; ``client_key`` identifies
    the caller for rate limiting (e.g. the IP address). Errors: ``RATE_LIMITED``,
    ``INVALID_ENROLLMENT_CODE``, ``EMAIL_TAKEN``, ``WEAK_PASSWORD``, ``INVALID_INPUT``."""
    normalized_email = normalize_email(email)
    normalized_password = check_new_password(password, mfa_enforced=False, email=normalized_email)
    if not await claim_attempt(ENROLLMENT_CODE_LIMIT, client_key, now):
        raise DomainError(ErrorCode.RATE_LIMITED, "Too many attempts. Try again later.")
    row = await EnrollmentCode.get_or_none(code_hash=_hash(secret_key, code)).select_related(
        "patient"
    )
    if row is None or not await claim_code_try(EnrollmentCode, row.id, now):
        raise _invalid_code()
    if read_date_of_birth(row.patient) != date_of_birth:
        raise _invalid_code()
    # The right code and date of birth: neither reservation was a failure.
    await give_code_try_back(EnrollmentCode, row.id)
    await release_attempt(ENROLLMENT_CODE_LIMIT, client_key, now)
    if await User.filter(email=normalized_email).exists():
        raise email_taken()
    password_hash = await hash_password(normalized_password)
    try:
        async with in_transaction():
            # Conditional, so of two activations racing with one code only one uses it.
            used = await EnrollmentCode.filter(
                id=row.id, used_at__isnull=True, expires_at__gt=now
            ).update(used_at=now)
            if not used:
                raise _invalid_code()
            user = await User.create(
                email=normalized_email,
                password_hash=password_hash,
                roles=[Role.PATIENT.value],
                patient_id=row.patient.id,
                password_changed_at=now,
            )
    except IntegrityError:
        # Taken meanwhile: the email by anyone, or the patient by another activation.
        if await User.filter(email=normalized_email).exists():
            raise email_taken() from None
        raise _invalid_code() from None
    return ActivatedAccount(user_id=user.id, patient_id=row.patient.id, email=normalized_email)


def _hash(secret_key: str, code: str) -> str:
    return keyed_hash(secret_key, _PURPOSE, normalize_human_code(code))


def _invalid_code() -> DomainError:
    return DomainError(
        ErrorCode.INVALID_ENROLLMENT_CODE,
        "The code or the date of birth is not right, or the code expired.",
        "code",
    )
