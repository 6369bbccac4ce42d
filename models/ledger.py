from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import LedgerEntryKind

if TYPE_CHECKING:
    from models.invoices import Invoice


class LedgerEntry(Model):
    """One money movement on an invoice. Rows are only ever inserted.

    ``amount_minor`` is positive, except ADJUSTMENT (signed, never zero, negative is a
    discount or write-off) and VOID (a marker, zero). The sign rules live in billing.ledger.
    """

    id = fields.BigIntField(primary_key=True)
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="ledger_entries", on_delete=fields.RESTRICT
    )
    invoice_id: int
    kind = fields.CharEnumField(LedgerEntryKind)
    amount_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    payment_id = fields.BigIntField(null=True)
    refund_id = fields.BigIntField(null=True)
    actor_id = fields.BigIntField(null=True)
    reason = fields.CharField(max_length=500, default="")
    # Makes a posting idempotent: the same fact is never booked twice.
    dedupe_key = fields.CharField(max_length=128, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_entry"
        indexes = (("invoice_id", "kind"), ("payment_id",), ("created_at",))
