"""Charges from the clinical system: the API clients that send them, the location codes they
name, and the charges held until they are invoiced."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.invoices import Invoice
    from models.locations import Location
    from models.patients import Patient


class HeldChargeStatus(StrEnum):
    HELD = "HELD"  # waiting for its encounter to be invoiced
    INVOICED = "INVOICED"  # a line of ``invoice``
    WITHDRAWN = "WITHDRAWN"  # entered in error before it was invoiced
    # Entered in error after it was invoiced: an adjustment took it off the invoice.
    ADJUSTED = "ADJUSTED"


class ApiClient(Model):
    """A system allowed to call the intake API. Its secret is kept only as an HMAC-SHA256
    under a key derived from the service's secret key; revoking it refuses the next request."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    # Space-separated scopes, such as ``charges:write``.
    scopes = fields.CharField(max_length=200)
    secret_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_client"


class IntakeLocation(Model):
    """The code by which the clinical system names a location (``urn:billing:location``)."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="intake_codes", on_delete=fields.CASCADE
    )
    location_id: int

    class Meta:
        table = "intake_location"


class HeldCharge(Model):
    """One ChargeItem as the clinical system sent it, until ``billing issue-held-charges``
    puts it on the invoice of its patient, location and encounter. Holds no PHI beyond
    what an invoice line holds."""

    id = fields.BigIntField(primary_key=True)
    # ``identifier[0]`` of the ChargeItem: unique, so the same charge is stored once.
    identifier_system = fields.CharField(max_length=255)
    identifier_value = fields.CharField(max_length=128)
    client_id = fields.BigIntField()
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="held_charges", on_delete=fields.RESTRICT
    )
    patient_id: int
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "models.Location", related_name="held_charges", on_delete=fields.RESTRICT
    )
    location_id: int
    encounter = fields.CharField(max_length=128)
    provider_name = fields.CharField(max_length=200)
    code = fields.CharField(max_length=40)
    description = fields.CharField(max_length=500)
    sku = fields.CharField(max_length=64, null=True)
    quantity = fields.IntField()
    unit_price_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    service_date = fields.DateField()
    status = fields.CharEnumField(HeldChargeStatus, max_length=10, default=HeldChargeStatus.HELD)
    received_at = fields.DatetimeField()
    invoice: fields.ForeignKeyNullableRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="held_charges", null=True, on_delete=fields.RESTRICT
    )
    invoice_id: int | None
    line_position = fields.IntField(null=True)

    class Meta:
        table = "held_charge"
        unique_together = (("identifier_system", "identifier_value"),)
        indexes = (("status", "patient_id", "location_id", "encounter"),)
