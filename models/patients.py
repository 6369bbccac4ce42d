from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import CreditEntryKind

if TYPE_CHECKING:
    from models.locations import Location


# Digits only, so an account number reads out clearly on the phone.
ACCOUNT_NUMBER_DIGITS = 8


def new_account_number() -> str:
    """A random account number, ``1234-5678-9``: eight random digits and a Luhn check digit
    (a mistyped digit or two swapped ones are caught). Random, so it says nothing about the
    patient; uniqueness is the column's."""
    digits = "".join(str(secrets.randbelow(10)) for _ in range(ACCOUNT_NUMBER_DIGITS))
    return f"{digits[:4]}-{digits[4:]}-{luhn_check_digit(digits)}"


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit of a string of digits."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


class Patient(Model):
    """A person billed by us. Every PHI column holds AES-GCM ciphertext (``*_ct``).

    The ``*_lookup`` columns hold keyed hashes of normalised values (blind indexes), so
    staff can find a patient by equality without anything being decrypted."""

    id = fields.BigIntField(primary_key=True)
    # What staff read out on the phone and statements and charges carry; not PHI.
    account_number = fields.CharField(max_length=16, unique=True, default=new_account_number)
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
    # The mailing address (statements go there) as one encrypted JSON object.
    mailing_address_ct = fields.TextField(null=True)
    # Keyed hashes of the normalised values, for equality lookups without decrypting.
    email_lookup = fields.CharField(max_length=64, null=True, db_index=True)
    first_name_lookup = fields.CharField(max_length=64, null=True)
    last_name_lookup = fields.CharField(max_length=64, null=True)
    date_of_birth_lookup = fields.CharField(max_length=64, null=True, db_index=True)
    phone_lookup = fields.CharField(max_length=64, null=True, db_index=True)
    timezone = fields.CharField(max_length=64, default="America/New_York")
    sms_consent = fields.BooleanField(default=False)
    stripe_customer_id = fields.CharField(max_length=255, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    coverages: fields.ReverseRelation[Coverage]

    class Meta:
        table = "patient"
        indexes = (("last_name_lookup", "date_of_birth_lookup"), ("last_name_lookup", "id"))


class Coverage(Model):
    """One insurance policy of a patient, its member id encrypted.

    ``priority`` 1 is primary, 2 secondary, and so on."""

    id = fields.BigIntField(primary_key=True)
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="coverages", on_delete=fields.CASCADE
    )
    patient_id: int
    payer_name = fields.CharField(max_length=200)
    member_id_ct = fields.TextField()
    group_number = fields.CharField(max_length=64, null=True)
    priority = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "coverage"
        unique_together = (("patient", "priority"),)


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
