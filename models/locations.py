from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Location(Model):
    """A clinic or site that issues invoices. Invoice numbers run per location."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    timezone = fields.CharField(max_length=64)
    address = fields.TextField(default="")
    # The last invoice number handed out here; bumped with a conditional update.
    last_invoice_number = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "location"
