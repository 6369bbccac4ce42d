"""Insurance remittances: one X12 835 file each, with the claims it pays.

A remittance is stored only once its file validated and balanced; ``(payer_key,
trace_number)`` is unique, so the same file uploaded twice (or by two people at once) is
stored, and posted, once. No patient name or member id from the file is kept.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.invoices import Invoice


class RemittanceStatus(StrEnum):
    """Stored values: never rename one."""

    POSTED = "POSTED"
    NEEDS_MATCHING = "NEEDS_MATCHING"


class RemittanceClaimStatus(StrEnum):
    """Stored values: never rename one."""

    POSTED = "POSTED"
    UNMATCHED = "UNMATCHED"
    REVERSED = "REVERSED"


class Remittance(Model):
    """One 835 file: who paid, the payment's trace number and amount, its claims."""

    id = fields.BigIntField(primary_key=True)
    # The payer's identifier from TRN03 (or its name when the file gives none).
    payer_key = fields.CharField(max_length=80)
    payer_name = fields.CharField(max_length=200)
    trace_number = fields.CharField(max_length=80)
    file_name = fields.CharField(max_length=255)
    payment_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    status = fields.CharEnumField(RemittanceStatus)
    claim_count = fields.IntField(default=0)
    unmatched_count = fields.IntField(default=0)
    uploaded_by_id = fields.BigIntField(null=True)
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "remittance"
        unique_together = (("payer_key", "trace_number"),)
        indexes = (("unmatched_count", "id"),)


class RemittanceClaim(Model):
    """One claim (CLP) of a remittance, posted to an invoice or waiting for staff.

    Amounts are the file's, in minor units: ``charged`` (CLP03), ``paid`` (CLP04),
    ``patient_responsibility`` (the PR adjustments), ``write_off`` (CO, PI and OA
    adjustments). ``denied_minor`` is what posting moved from insurance to the patient,
    kept so that a reversal can undo exactly what was posted.
    """

    id = fields.BigIntField(primary_key=True)
    remittance: fields.ForeignKeyRelation[Remittance] = fields.ForeignKeyField(
        "models.Remittance", related_name="claims", on_delete=fields.RESTRICT
    )
    remittance_id: int
    position = fields.IntField()
    claim_number = fields.CharField(max_length=38)
    status_code = fields.CharField(max_length=2)
    payer_claim_number = fields.CharField(max_length=50, default="")
    charged_minor = fields.BigIntField()
    paid_minor = fields.BigIntField()
    patient_responsibility_minor = fields.BigIntField()
    write_off_minor = fields.BigIntField()
    denied_minor = fields.BigIntField(default=0)
    # [{"group": "CO", "reason": "45", "amount_minor": 5000}, ...]
    adjustments: Any = fields.JSONField(default=list)
    status = fields.CharEnumField(RemittanceClaimStatus)
    # Why it is unmatched, a code such as UNKNOWN_INVOICE; empty once posted.
    unmatched_reason = fields.CharField(max_length=40, default="")
    invoice: fields.ForeignKeyNullableRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="remittance_claims", null=True, on_delete=fields.RESTRICT
    )
    invoice_id: int | None
    reverses: fields.ForeignKeyNullableRelation[RemittanceClaim] = fields.ForeignKeyField(
        "models.RemittanceClaim", related_name="reversals", null=True, on_delete=fields.RESTRICT
    )
    reverses_id: int | None
    posted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "remittance_claim"
        unique_together = (("remittance", "position"),)
        indexes = (("invoice_id", "status"), ("status", "remittance_id"))
