"""Re-encrypting stored PHI under the active key after ``PHI_ENCRYPTION_KEY`` gains a new one.

Run after putting the new key first in the setting (the old one stays listed so existing values
still decrypt). When it reports nothing left to rotate, the old key can be removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from billing.patients.rules import (
    DATE_OF_BIRTH,
    EMAIL,
    FIRST_NAME,
    INSURANCE_MEMBER_ID,
    LAST_NAME,
    PHONE,
)
from billing.phi_cipher import PhiCipher
from models.patients import Patient
from models.users import User

PATIENT_COLUMNS: Mapping[str, str] = {
    "first_name_ct": FIRST_NAME,
    "last_name_ct": LAST_NAME,
    "date_of_birth_ct": DATE_OF_BIRTH,
    "email_ct": EMAIL,
    "phone_ct": PHONE,
    "insurance_member_id_ct": INSURANCE_MEMBER_ID,
}


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
    purpose) not yet under the active key, and recompute email lookup hashes. A row changed
    by someone else meanwhile is left for the next run (the update is conditional)."""
    rows = values = 0
    for model, columns in ((Patient, PATIENT_COLUMNS), (User, user_columns or {})):
        if not columns:
            continue
        last_id = 0
        while True:
            batch = await model.filter(id__gt=last_id).order_by("id").limit(batch_size)
            if not batch:
                break
            for row in batch:
                changes = _rotated_values(cipher, row, columns)
                if isinstance(row, Patient):
                    changes.update(_refreshed_lookup(cipher, row, changes))
                if changes:
                    current = {column: getattr(row, column) for column in changes}
                    updated = await model.filter(id=row.id, **current).update(**changes)
                    rows += updated
                    values += updated * sum(1 for c in changes if c.endswith("_ct"))
            last_id = batch[-1].id
    return RotationReport(rows_updated=rows, values_reencrypted=values)


def _rotated_values(cipher: PhiCipher, row: object, columns: Mapping[str, str]) -> dict[str, str]:
    changes: dict[str, str] = {}
    for column, purpose in columns.items():
        token = getattr(row, column)
        if token and cipher.needs_rotation(token):
            changes[column] = cipher.encrypt(cipher.decrypt(token, purpose), purpose)
    return changes


def _refreshed_lookup(
    cipher: PhiCipher, patient: Patient, changes: dict[str, str]
) -> dict[str, str]:
    token = changes.get("email_ct", patient.email_ct)
    if not token:
        return {}
    active_hash = cipher.lookup_hash(cipher.decrypt(token, EMAIL), EMAIL)
    return {} if patient.email_lookup == active_hash else {"email_lookup": active_hash}
