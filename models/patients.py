from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import CreditEntryKind

if TYPE_CHECKING:
    from models.locations import Location


class Patient(Model):
    """A person billed by us. Every PHI column holds AES-GCM ciphertext (``*_ct``)."""

    id = fields.BigIntField(primary_key=True)
    location: fields.ForeignKeyNullableRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="patients", null=True, on_delete=fields.RESTRICT
    )
    location_id: int | None
    first_name_ct = fields.TextField()
    last_name_ct = fields.TextField()
    date_of_birth_ct = fields.TextField()
    email_ct = fields.TextField(null=True)
    phone_ct = fields.TextField(null=True)
    insurance_member_id_ct = fields.TextField(null=True)
    # Keyed hash of the normalised email, for equality lookups without decrypting.
    email_lookup = fields.CharField(max_length=64, null=True, db_index=True)
    timezone = fields.CharField(max_length=64, default="America/New_York")
    sms_consent = fields.BooleanField(default=False)
    stripe_customer_id = fields.CharField(max_length=255, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "patient"


class CreditEntry(Model):
    """A movement of a patient's credit balance. Amounts are signed (OVERPAYMENT positive,
    APPLIED and REFUNDED negative, ADJUSTMENT either), so the balance is their sum."""

    id = fields.BigIntField(primary_key=True)
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="credit_entries", on_delete=fields.RESTRICT
    )
    patient_id: int
    kind = fields.CharEnumField(CreditEntryKind, max_length=20)
    amount_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    payment_id = fields.BigIntField(null=True)
    invoice_id = fields.BigIntField(null=True)
    memo = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "credit_entry"
        indexes = (("patient_id", "currency"), ("payment_id",))
