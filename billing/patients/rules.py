"""Patients: creation with encrypted PHI columns, and the decrypted profile."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from billing.errors import DomainError, ErrorCode
from billing.phi_cipher import PhiCipher
from models.locations import Location
from models.patients import Patient

# Purposes bind each ciphertext to its column (see ``billing.phi_cipher``).
FIRST_NAME = "patient.first_name"
LAST_NAME = "patient.last_name"
DATE_OF_BIRTH = "patient.date_of_birth"
EMAIL = "patient.email"
PHONE = "patient.phone"
INSURANCE_MEMBER_ID = "patient.insurance_member_id"

_NAME_MAX = 100
_EARLIEST_BIRTH = date(1900, 1, 1)
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
_PHONE_CHARS = re.compile(r"\+?[0-9 ().-]+")


@dataclass(frozen=True, slots=True)
class PatientProfile:
    """A patient's decrypted details. Holds PHI: never log it or put it in an error."""

    id: int
    first_name: str
    last_name: str
    date_of_birth: date
    email: str | None
    phone: str | None
    insurance_member_id: str | None
    location_id: int | None
    timezone: str


async def create_patient(
    cipher: PhiCipher,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    email: str | None,
    phone: str | None,
    location_id: int | None,
    *,
    insurance_member_id: str | None = None,
    today: date | None = None,
) -> Patient:
    """Create a patient, encrypting every PHI column and storing the email lookup hash.

    The patient's time zone is the location's. Raises ``DomainError`` (``INVALID_INPUT``
    with the field name, or ``NOT_FOUND`` for an unknown location).
    """
    first = _clean_name(first_name, "first_name")
    last = _clean_name(last_name, "last_name")
    _check_birth_date(date_of_birth, today or date.today())
    clean_email = _clean_email(email)
    clean_phone = _clean_phone(phone)
    member_id = (insurance_member_id or "").strip() or None
    timezone = "America/New_York"
    if location_id is not None:
        location = await Location.get_or_none(id=location_id)
        if location is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such location.", "location_id")
        timezone = location.timezone
    return await Patient.create(
        location_id=location_id,
        first_name_ct=cipher.encrypt(first, FIRST_NAME),
        last_name_ct=cipher.encrypt(last, LAST_NAME),
        date_of_birth_ct=cipher.encrypt(date_of_birth.isoformat(), DATE_OF_BIRTH),
        email_ct=_encrypt_optional(cipher, clean_email, EMAIL),
        phone_ct=_encrypt_optional(cipher, clean_phone, PHONE),
        insurance_member_id_ct=_encrypt_optional(cipher, member_id, INSURANCE_MEMBER_ID),
        email_lookup=cipher.lookup_hash(clean_email, EMAIL) if clean_email else None,
        timezone=timezone,
    )


def read_patient_profile(cipher: PhiCipher, patient: Patient) -> PatientProfile:
    """Decrypt a patient's PHI columns into a ``PatientProfile``."""
    return PatientProfile(
        id=patient.id,
        first_name=cipher.decrypt(patient.first_name_ct, FIRST_NAME),
        last_name=cipher.decrypt(patient.last_name_ct, LAST_NAME),
        date_of_birth=date.fromisoformat(cipher.decrypt(patient.date_of_birth_ct, DATE_OF_BIRTH)),
        email=_decrypt_optional(cipher, patient.email_ct, EMAIL),
        phone=_decrypt_optional(cipher, patient.phone_ct, PHONE),
        insurance_member_id=_decrypt_optional(
            cipher, patient.insurance_member_id_ct, INSURANCE_MEMBER_ID
        ),
        location_id=patient.location_id,
        timezone=patient.timezone,
    )


async def find_patients_by_email(cipher: PhiCipher, email: str) -> list[Patient]:
    """Patients whose email matches, ignoring case and surrounding whitespace.

    Matches hashes made under any configured key, so lookups survive a key rotation.
    """
    return await Patient.filter(email_lookup__in=cipher.lookup_hash_candidates(email, EMAIL))


def display_name(profile: PatientProfile) -> str:
    """First name and last initial, e.g. ``"Jane D."``."""
    initial = profile.last_name[:1].upper()
    return f"{profile.first_name} {initial}." if initial else profile.first_name


def _clean_name(value: str, field: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > _NAME_MAX:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"{field} must be 1-{_NAME_MAX} characters.", field
        )
    return cleaned


def _check_birth_date(value: date, today: date) -> None:
    if value > today:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "date_of_birth cannot be in the future.", "date_of_birth"
        )
    if value < _EARLIEST_BIRTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "date_of_birth is implausibly early.", "date_of_birth"
        )


def _clean_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    if len(cleaned) > 254 or not _EMAIL.fullmatch(cleaned):
        raise DomainError(ErrorCode.INVALID_INPUT, "email is not a valid address.", "email")
    return cleaned


def _clean_phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    digits = sum(ch.isdigit() for ch in cleaned)
    if not _PHONE_CHARS.fullmatch(cleaned) or not 7 <= digits <= 15:
        raise DomainError(ErrorCode.INVALID_INPUT, "phone is not a valid number.", "phone")
    return cleaned


def _encrypt_optional(cipher: PhiCipher, value: str | None, purpose: str) -> str | None:
    return None if value is None else cipher.encrypt(value, purpose)


def _decrypt_optional(cipher: PhiCipher, token: str | None, purpose: str) -> str | None:
    return None if token is None else cipher.decrypt(token, purpose)
