from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

# Statements print in this colour until an admin chooses the practice's own.
DEFAULT_ACCENT_COLOR = "#1F4E79"


class Location(Model):
    """A clinic or site that issues invoices. Invoice numbers run per location. Its name,
    address, phone, accent colour and logo are the letterhead of its statements."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    timezone = fields.CharField(max_length=64)
    address = fields.TextField(default="")
    phone = fields.CharField(max_length=40, default="")
    # "#RRGGBB"
    accent_color = fields.CharField(max_length=7, default=DEFAULT_ACCENT_COLOR)
    # The last invoice number handed out here; bumped with a conditional update.
    last_invoice_number = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "location"


class LocationLogo(Model):
    """The logo an admin uploaded for a location's letterhead: checked PNG or SVG bytes,
    kept apart from the location so reading a location never loads them."""

    id = fields.BigIntField(primary_key=True)
    location: fields.OneToOneRelation[Location] = fields.OneToOneField(
        "models.Location", related_name="logo", on_delete=fields.CASCADE
    )
    location_id: int
    # "image/png" or "image/svg+xml"
    content_type = fields.CharField(max_length=32)
    content = fields.BinaryField()
    byte_size = fields.IntField()
    uploaded_by_id = fields.BigIntField(null=True)
    uploaded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "location_logo"
