"""Re-encrypting stored PHI under the active key after ``PHI_ENCRYPTION_KEY`` gains a new one.

Run after putting the new key first in the setting (the old one stays listed so existing values
still decrypt). When it reports nothing left to rotate, the old key can be removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from billing.patients.purposes import (
    COVERAGE_MEMBER_ID,
    DATE_OF_BIRTH,
    EMAIL,
    FIRST_NAME,
    INSURANCE_MEMBER_ID,
    LAST_NAME,
    MAILING_ADDRESS,
    PHONE,
)
from billing.patients.search_keys import patient_lookups
from billing.phi_cipher import PhiCipher, PhiDecryptionError
from models.patients import Coverage, Patient
from models.users import User

PATIENT_COLUMNS: Mapping[str, str] = {
    "first_name_ct": FIRST_NAME,
    "last_name_ct": LAST_NAME,
    "date_of_birth_ct": DATE_OF_BIRTH,
    "email_ct": EMAIL,
    "phone_ct": PHONE,
    "insurance_member_id_ct": INSURANCE_MEMBER_ID,
    "mailing_address_ct": MAILING_ADDRESS,
}
COVERAGE_COLUMNS: Mapping[str, str] = {"member_id_ct": COVERAGE_MEMBER_ID}


@dataclass(frozen=True, slots=True)
class RotationReport:
    rows_updated: int
    values_reencrypted: int


async def rotate_phi_keys(
    cipher: PhiCipher,
    *,
    user_columns: Mapping[str, str] | None = None,
    batch_size: int = 500,
) -> RotationReport:
    """Re-encrypt every patient PHI value (and the ``user_columns`` of users, column name to
    purpose) and coverage member id not yet under the active key, and recompute the patients'
    blind indexes under it. A row changed by someone else meanwhile is left for the next run
    (the update is conditional)."""
    rows = values = 0
    tables = (
        (Patient, PATIENT_COLUMNS),
        (Coverage, COVERAGE_COLUMNS),
        (User, user_columns or {}),
    )
    for model, columns in tables:
        if not columns:
            continue
        last_id = 0
        while True:
            batch = await model.filter(id__gt=last_id).order_by("id").limit(batch_size)
            if not batch:
                break
            for row in batch:
                changes: dict[str, str | None] = dict(_rotated_values(cipher, row, columns))
                if isinstance(row, Patient):
                    changes.update(refreshed_lookups(cipher, row, _texts(changes)))
                if changes:
                    current = {column: getattr(row, column) for column in changes}
                    updated = await model.filter(id=row.id, **current).update(**changes)
                    rows += updated
                    values += updated * sum(1 for c in changes if c.endswith("_ct"))
            last_id = batch[-1].id
    return RotationReport(rows_updated=rows, values_reencrypted=values)


def _texts(changes: dict[str, str | None]) -> dict[str, str]:
    return {column: value for column, value in changes.items() if value is not None}


def _rotated_values(cipher: PhiCipher, row: object, columns: Mapping[str, str]) -> dict[str, str]:
    changes: dict[str, str] = {}
    for column, purpose in columns.items():
        token = getattr(row, column)
        if token and cipher.needs_rotation(token):
            changes[column] = cipher.encrypt(cipher.decrypt(token, purpose), purpose)
    return changes


def refreshed_lookups(
    cipher: PhiCipher, patient: Patient, changes: dict[str, str] | None = None
) -> dict[str, str | None]:
    """The blind-index columns of ``patient`` that differ from their value under the
    active key (``changes`` are new ciphertexts not yet saved)."""
    changes = changes or {}

    def plain(column: str, purpose: str) -> str | None:
        token = changes.get(column, getattr(patient, column))
        return cipher.decrypt(token, purpose) if token else None

    wanted = patient_lookups(
        cipher,
        first_name=plain("first_name_ct", FIRST_NAME) or "",
        last_name=plain("last_name_ct", LAST_NAME) or "",
        date_of_birth=date.fromisoformat(plain("date_of_birth_ct", DATE_OF_BIRTH) or ""),
        email=plain("email_ct", EMAIL),
        phone_e164=plain("phone_ct", PHONE),
    ).as_columns()
    return {column: value for column, value in wanted.items() if getattr(patient, column) != value}


async def fill_missing_lookups(cipher: PhiCipher, *, batch_size: int = 500) -> int:
    """Give the blind indexes to patients stored without them (before migration 0005).
    Returns how many patients got them; safe to run again. A patient whose details no
    configured key decrypts is skipped (and stays out of search results)."""
    filled = 0
    last_id = 0
    while True:
        batch = (
            await Patient.filter(id__gt=last_id, last_name_lookup__isnull=True)
            .order_by("id")
            .limit(batch_size)
        )
        if not batch:
            return filled
        for patient in batch:
            try:
                lookups = refreshed_lookups(cipher, patient)
            except PhiDecryptionError:
                # Under a key no longer configured: left out of search until it is.
                continue
            if lookups:
                filled += await Patient.filter(id=patient.id, last_name_lookup__isnull=True).update(
                    **lookups
                )
        last_id = batch[-1].id
