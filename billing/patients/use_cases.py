"""What staff ask of patients' records, one function per request.

Each use case opens its transaction, applies the rules and appends its access-log record
inside it. Expected failures are ``DomainError``s; the API records the refused attempt
under the same action. (Registering a patient is an account matter: ``auth.use_cases``.)
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.patients.updates import PatientChanges, UpdatedPatient, apply_patient_changes
from billing.phi_cipher import PhiCipher

UPDATE_PATIENT = AuditedAction("patient.updated", "Patient")


async def update_patient(
    audit: AuditBuffer, cipher: PhiCipher, patient_id: int, changes: PatientChanges
) -> UpdatedPatient:
    """Change a patient's contact details or coverages; the access log names the fields
    that changed, never their values."""
    async with in_transaction():
        updated = await apply_patient_changes(cipher, patient_id, changes)
        await audit.record_success(
            UPDATE_PATIENT,
            resource_id=patient_id,
            patient_id=patient_id,
            reference="fields:" + ",".join(updated.changed_fields),
        )
    return updated
