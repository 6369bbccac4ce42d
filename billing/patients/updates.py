"""Changing a patient's contact details and coverages.

A change names only what it changes (``KEEP`` elsewhere). Everything given is checked
before anything is written, so a bad value changes nothing. The caller learns which fields
actually changed, to put their names (never their values) on the access log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from billing.errors import DomainError, ErrorCode
from billing.patients.contact import MailingAddress, clean_address, clean_email, e164_phone
from billing.patients.coverages import (
    NewCoverage,
    check_coverages,
    coverages_by_patient,
    replace_coverages,
)
from billing.patients.purposes import EMAIL, FIRST_NAME, LAST_NAME, PHONE
from billing.patients.rules import (
    clean_name,
    encrypt_mailing_address,
    encrypt_optional,
    read_patient_profile,
)
from billing.patients.search_keys import fold_name
from billing.phi_cipher import PhiCipher
from models.patients import Patient


class Keep(Enum):
    """The value of a field a change leaves as it is."""

    KEEP = "KEEP"


KEEP: Final = Keep.KEEP


@dataclass(frozen=True, slots=True)
class AddressChange:
    """A mailing address as typed, checked by ``clean_address``."""

    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str


@dataclass(frozen=True, slots=True)
class PatientChanges:
    """What to change. ``None`` clears an optional field (email, phone, address)."""

    first_name: str | Keep = KEEP
    last_name: str | Keep = KEEP
    email: str | Keep | None = KEEP
    phone: str | Keep | None = KEEP
    mailing_address: AddressChange | Keep | None = KEEP
    coverages: tuple[NewCoverage, ...] | Keep = KEEP


@dataclass(frozen=True, slots=True)
class UpdatedPatient:
    patient: Patient
    changed_fields: tuple[str, ...] = field(default=())


async def apply_patient_changes(
    cipher: PhiCipher, patient_id: int, changes: PatientChanges
) -> UpdatedPatient:
    """Apply ``changes`` to the patient, under the patient's row lock. Call inside a
    transaction. ``NOT_FOUND`` for no such patient, ``INVALID_INPUT`` (with the field) for
    a bad value; then nothing is written."""
    checked = _checked(changes)
    patient = await Patient.select_for_update().get_or_none(id=patient_id)
    if patient is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such patient.", "patient_id")
    current = read_patient_profile(cipher, patient)
    columns: dict[str, Any] = {}
    changed: list[str] = []
    first = checked.get("first_name", current.first_name)
    if first != current.first_name:
        columns["first_name_ct"] = cipher.encrypt(first, FIRST_NAME)
        columns["first_name_lookup"] = cipher.lookup_hash(fold_name(first), FIRST_NAME)
        changed.append("first_name")
    last = checked.get("last_name", current.last_name)
    if last != current.last_name:
        columns["last_name_ct"] = cipher.encrypt(last, LAST_NAME)
        columns["last_name_lookup"] = cipher.lookup_hash(fold_name(last), LAST_NAME)
        changed.append("last_name")
    if "email" in checked and checked["email"] != current.email:
        email = checked["email"]
        columns["email_ct"] = encrypt_optional(cipher, email, EMAIL)
        columns["email_lookup"] = cipher.lookup_hash(email, EMAIL) if email else None
        changed.append("email")
    if "phone" in checked and checked["phone"] != current.phone:
        phone = checked["phone"]
        columns["phone_ct"] = encrypt_optional(cipher, phone, PHONE)
        columns["phone_lookup"] = cipher.lookup_hash(phone, PHONE) if phone else None
        changed.append("phone")
    if "mailing_address" in checked and checked["mailing_address"] != current.mailing_address:
        columns["mailing_address_ct"] = encrypt_mailing_address(cipher, checked["mailing_address"])
        changed.append("mailing_address")
    if columns:
        await Patient.filter(id=patient_id).update(**columns)
    if "coverages" in checked:
        wanted: list[NewCoverage] = checked["coverages"]
        existing = (await coverages_by_patient(cipher, [patient_id])).get(patient_id, [])
        before = [
            NewCoverage(c.payer_name, c.member_id, c.group_number, c.priority) for c in existing
        ]
        if before != wanted:
            await replace_coverages(cipher, patient_id, wanted)
            changed.append("coverages")
    return UpdatedPatient(await Patient.get(id=patient_id), tuple(changed))


def _checked(changes: PatientChanges) -> dict[str, Any]:
    """The given fields, checked and normalised (the phone in E.164)."""
    checked: dict[str, Any] = {}
    if changes.first_name is not KEEP:
        checked["first_name"] = clean_name(changes.first_name, "first_name")
    if changes.last_name is not KEEP:
        checked["last_name"] = clean_name(changes.last_name, "last_name")
    if changes.email is not KEEP:
        checked["email"] = clean_email(changes.email)
    if changes.phone is not KEEP:
        checked["phone"] = e164_phone(changes.phone)
    if changes.mailing_address is not KEEP:
        checked["mailing_address"] = _address(changes.mailing_address)
    if changes.coverages is not KEEP:
        checked["coverages"] = check_coverages(changes.coverages)
    return checked


def _address(given: AddressChange | None) -> MailingAddress | None:
    if given is None:
        return None
    return clean_address(
        given.line1, given.line2, given.city, given.region, given.postal_code, given.country
    )
