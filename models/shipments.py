from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import ShipmentStatus

if TYPE_CHECKING:
    from models.invoices import Invoice, InvoiceLine


class Shipment(Model):
    id = fields.BigIntField(primary_key=True)
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="shipments", on_delete=fields.RESTRICT
    )
    invoice_id: int
    carrier = fields.CharField(max_length=40)
    tracking_number = fields.CharField(max_length=64, unique=True)
    status = fields.CharEnumField(ShipmentStatus, default=ShipmentStatus.LABEL_CREATED)
    status_at = fields.DatetimeField(null=True)
    estimated_delivery = fields.DateField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shipment"
        indexes = (("invoice_id",),)


class ShipmentItem(Model):
    id = fields.BigIntField(primary_key=True)
    shipment: fields.ForeignKeyRelation[Shipment] = fields.ForeignKeyField(
        "models.Shipment", related_name="items", on_delete=fields.CASCADE
    )
    shipment_id: int
    line: fields.ForeignKeyRelation[InvoiceLine] = fields.ForeignKeyField(
        "models.InvoiceLine", related_name="shipment_items", on_delete=fields.RESTRICT
    )
    line_id: int
    quantity = fields.IntField()

    class Meta:
        table = "shipment_item"
        indexes = (("shipment_id",),)


class ShipmentEvent(Model):
    id = fields.BigIntField(primary_key=True)
    shipment: fields.ForeignKeyRelation[Shipment] = fields.ForeignKeyField(
        "models.Shipment", related_name="events", on_delete=fields.CASCADE
    )
    shipment_id: int
    occurred_at = fields.DatetimeField()
    status = fields.CharEnumField(ShipmentStatus)
    description = fields.CharField(max_length=500, default="")
    location = fields.CharField(max_length=200, default="")
    # Hash of the raw event, so a redelivered update is stored once.
    dedupe_key = fields.CharField(max_length=64, unique=True)
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shipment_event"
        indexes = (("shipment_id",),)
