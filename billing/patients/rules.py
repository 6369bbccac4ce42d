"""Patients: creation with encrypted PHI columns and their blind indexes, and the
decrypted profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import orjson

from billing.errors import DomainError, ErrorCode
from billing.patients.contact import MailingAddress, clean_email, e164_phone

# Re-exported: the purposes are part of what patients' rules are about.
from billing.patients.purposes import DATE_OF_BIRTH as DATE_OF_BIRTH
from billing.patients.purposes import EMAIL as EMAIL
from billing.patients.purposes import FIRST_NAME as FIRST_NAME
from billing.patients.purposes import INSURANCE_MEMBER_ID as INSURANCE_MEMBER_ID
from billing.patients.purposes import LAST_NAME as LAST_NAME
from billing.patients.purposes import MAILING_ADDRESS as MAILING_ADDRESS
from billing.patients.purposes import PHONE as PHONE
from billing.patients.search_keys import patient_lookups
from billing.phi_cipher import PhiCipher
from models.locations import Location
from models.patients import Patient

_NAME_MAX = 100
_EARLIEST_BIRTH = date(1900, 1, 1)


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
    account_number: str
    mailing_address: MailingAddress | None


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
    """Create a patient, encrypting every PHI column and storing its blind indexes (see
    ``billing.patients.search_keys``); the phone is kept in E.164. The patient gets a new
    random account number.

    The patient's time zone is the location's. Raises ``DomainError`` (``INVALID_INPUT``
    with the field name, or ``NOT_FOUND`` for an unknown location).
    """
    first = clean_name(first_name, "first_name")
    last = clean_name(last_name, "last_name")
    check_birth_date(date_of_birth, today or date.today())
    email_address = clean_email(email)
    phone_number = e164_phone(phone)
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
        email_ct=encrypt_optional(cipher, email_address, EMAIL),
        phone_ct=encrypt_optional(cipher, phone_number, PHONE),
        insurance_member_id_ct=encrypt_optional(cipher, member_id, INSURANCE_MEMBER_ID),
        timezone=timezone,
        **patient_lookups(
            cipher,
            first_name=first,
            last_name=last,
            date_of_birth=date_of_birth,
            email=email_address,
            phone_e164=phone_number,
        ).as_columns(),
    )


def read_patient_profile(cipher: PhiCipher, patient: Patient) -> PatientProfile:
    """Decrypt a patient's PHI columns into a ``PatientProfile``."""
    return PatientProfile(
        id=patient.id,
        first_name=cipher.decrypt(patient.first_name_ct, FIRST_NAME),
        last_name=cipher.decrypt(patient.last_name_ct, LAST_NAME),
        date_of_birth=date.fromisoformat(cipher.decrypt(patient.date_of_birth_ct, DATE_OF_BIRTH)),
        email=decrypt_optional(cipher, patient.email_ct, EMAIL),
        phone=decrypt_optional(cipher, patient.phone_ct, PHONE),
        insurance_member_id=decrypt_optional(
            cipher, patient.insurance_member_id_ct, INSURANCE_MEMBER_ID
        ),
        location_id=patient.location_id,
        timezone=patient.timezone,
        account_number=patient.account_number,
        mailing_address=read_mailing_address(cipher, patient.mailing_address_ct),
    )


def encrypt_mailing_address(cipher: PhiCipher, address: MailingAddress | None) -> str | None:
    """The address as one encrypted JSON object, or ``None``."""
    if address is None:
        return None
    fields = {name: getattr(address, name) for name in address.__slots__}
    return cipher.encrypt(orjson.dumps(fields).decode(), MAILING_ADDRESS)


def read_mailing_address(cipher: PhiCipher, token: str | None) -> MailingAddress | None:
    if token is None:
        return None
    return MailingAddress(**orjson.loads(cipher.decrypt(token, MAILING_ADDRESS)))


async def find_patients_by_email(cipher: PhiCipher, email: str) -> list[Patient]:
    """Patients whose email matches, ignoring case and surrounding whitespace.

    Matches hashes made under any configured key, so lookups survive a key rotation.
    """
    return await Patient.filter(email_lookup__in=cipher.lookup_hash_candidates(email, EMAIL))


def display_name(profile: PatientProfile) -> str:
    """First name and last initial, e.g. ``"Jane D."``."""
    initial = profile.last_name[:1].upper()
    return f"{profile.first_name} {initial}." if initial else profile.first_name


def clean_name(value: str, field: str) -> str:
    """A name with its spacing tidied; ``INVALID_INPUT`` when empty or too long."""
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > _NAME_MAX:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"{field} must be 1-{_NAME_MAX} characters.", field
        )
    return cleaned


def check_birth_date(value: date, today: date) -> None:
    if value > today:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "date_of_birth cannot be in the future.", "date_of_birth"
        )
    if value < _EARLIEST_BIRTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "date_of_birth is implausibly early.", "date_of_birth"
        )


def encrypt_optional(cipher: PhiCipher, value: str | None, purpose: str) -> str | None:
    return None if value is None else cipher.encrypt(value, purpose)


def decrypt_optional(cipher: PhiCipher, token: str | None, purpose: str) -> str | None:
    return None if token is None else cipher.decrypt(token, purpose)
