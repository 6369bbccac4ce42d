"""Data and helpers shared by the ``test_auth_*`` modules (no tests here)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pyotp
from argon2 import PasswordHasher

from auth.lockout import LOCK_AT, guard_key
from auth.passwords import ARGON2_PARAMETERS
from auth.sessions import IssuedSession, SessionScope, create_session
from auth.totp import confirm_totp_enrollment, start_totp_enrollment
from models.enums import Role
from models.patients import Patient
from models.users import SignInGuard, User

NOW = datetime(2025, 3, 4, 10, 0, 0, tzinfo=UTC)
SECRET_KEY = "test-secret-key-that-is-long-enough"
PASSWORD = "plum ladder quietly orbit"
BIRTH_DATE = date(1980, 2, 3)


@functools.cache
def password_hash() -> str:
    """One real argon2id hash of ``PASSWORD``, computed once for the whole run."""
    return PasswordHasher.from_parameters(ARGON2_PARAMETERS).hash(PASSWORD)


def encrypt(plaintext: str) -> str:
    """A stand-in for the PHI cipher: reversible and visibly not the plaintext."""
    return "ct:" + plaintext[::-1]


def decrypt(ciphertext: str) -> str:
    assert ciphertext.startswith("ct:")
    return ciphertext[3:][::-1]


def read_date_of_birth(patient: Patient) -> date:
    return date.fromisoformat(decrypt(patient.date_of_birth_ct))


async def make_patient(date_of_birth: date = BIRTH_DATE) -> Patient:
    return await Patient.create(
        first_name_ct=encrypt("Ada"),
        last_name_ct=encrypt("Lovelace"),
        date_of_birth_ct=encrypt(date_of_birth.isoformat()),
    )


async def make_user(
    email: str = "ada@example.org", role: Role = Role.PATIENT, *, patient: Patient | None = None
) -> User:
    return await User.create(
        email=email, password_hash=password_hash(), roles=[role.value], patient=patient
    )


@dataclass(frozen=True)
class MfaDevice:
    totp: pyotp.TOTP
    recovery_codes: list[str]


async def enable_mfa(user: User, *, at: datetime = NOW - timedelta(minutes=10)) -> MfaDevice:
    """Enroll and confirm TOTP for ``user`` at ``at``: before NOW, so NOW's codes are fresh."""
    enrollment = await start_totp_enrollment(user, encrypt=encrypt)
    totp = pyotp.TOTP(enrollment.secret)
    codes = await confirm_totp_enrollment(
        user,
        totp.at(at),
        decrypt=decrypt,
        secret_key=SECRET_KEY,
        current_session_id=None,
        now=at,
    )
    await user.refresh_from_db()
    return MfaDevice(totp=totp, recovery_codes=codes)


async def signed_in(user: User, now: datetime = NOW) -> IssuedSession:
    return await create_session(user.id, scope=SessionScope.FULL, now=now)


async def guard_state(email: str, secret_key: str = SECRET_KEY) -> tuple[int, datetime | None]:
    """The failures counted against a sign-in address and its lock, as stored."""
    row = await SignInGuard.get_or_none(key_hash=guard_key(secret_key, email))
    return (0, None) if row is None else (row.failures, row.locked_until)


async def lock_address(
    email: str, secret_key: str = SECRET_KEY, *, until: datetime, failures: int = LOCK_AT
) -> None:
    """Lock a sign-in address as ``failures`` failures in a row would have."""
    key = guard_key(secret_key, email)
    await SignInGuard.bulk_create([SignInGuard(key_hash=key)], ignore_conflicts=True)
    await SignInGuard.filter(key_hash=key).update(
        failures=failures, locked_until=until, last_attempt_at=until - timedelta(minutes=30)
    )
