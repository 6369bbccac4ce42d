from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import InvoiceStatus

if TYPE_CHECKING:
    from models.locations import Location
    from models.organizations import Organization
    from models.patients import Patient


class Invoice(Model):
    """A bill. The ``*_minor`` summary columns and ``status`` are recomputed from the
    ledger rows in the same transaction as every posting, so lists can sort and filter
    on them in SQL. The ledger stays the only source of truth."""

    id = fields.BigIntField(primary_key=True)
    # Exactly one of patient and organization: an organization's invoice names no patient.
    patient: fields.ForeignKeyNullableRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="invoices", null=True, on_delete=fields.RESTRICT
    )
    patient_id: int | None
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="invoices", null=True, on_delete=fields.RESTRICT
    )
    organization_id: int | None
    purchase_order_number = fields.CharField(max_length=64, null=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="invoices", on_delete=fields.RESTRICT
    )
    location_id: int
    number = fields.CharField(max_length=40)
    provider_name = fields.CharField(max_length=200)
    service_date = fields.DateField()
    issued_at = fields.DateField()
    due_at = fields.DateField()
    currency = fields.CharField(max_length=3)
    insurance_payer_name = fields.CharField(max_length=200, null=True)
    reordered_from: fields.ForeignKeyNullableRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="reorders", null=True, on_delete=fields.SET_NULL
    )
    reordered_from_id: int | None
    status = fields.CharEnumField(InvoiceStatus, default=InvoiceStatus.OPEN)
    total_minor = fields.BigIntField(default=0)
    balance_minor = fields.BigIntField(default=0)
    insurance_pending_minor = fields.BigIntField(default=0)
    # Held by card payments still in flight (see billing.reservations): balance minus this
    # is what a new payment may take. Never part of the figures.
    reserved_minor = fields.BigIntField(default=0)
    # Set while a payment on this invoice is under an open card dispute, for staff to see.
    disputed = fields.BooleanField(default=False)
    # An organization disputes the invoice with its accounts payable: its collections
    # steps wait until staff clear it.
    collections_disputed = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "invoice"
        unique_together = (("location", "number"),)
        indexes = (
            ("patient_id", "issued_at"),
            ("patient_id", "due_at"),
            ("issued_at", "id"),
            ("location_id", "issued_at"),
            ("status", "issued_at"),
            ("organization_id", "issued_at"),
        )


class InvoiceLine(Model):
    id = fields.BigIntField(primary_key=True)
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="lines", on_delete=fields.CASCADE
    )
    invoice_id: int
    position = fields.IntField()
    code = fields.CharField(max_length=40)
    description = fields.CharField(max_length=500)
    quantity = fields.IntField()
    unit_price_minor = fields.BigIntField()
    amount_minor = fields.BigIntField()
    reorderable = fields.BooleanField(default=False)
    sku = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "invoice_line"
        unique_together = (("invoice", "position"),)


class CatalogItem(Model):
    """Current price of a reorderable product, by sku."""

    id = fields.BigIntField(primary_key=True)
    sku = fields.CharField(max_length=64, unique=True)
    description = fields.CharField(max_length=500)
    code = fields.CharField(max_length=40)
    unit_price_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)

    class Meta:
        table = "catalog_item"
