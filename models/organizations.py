"""Business customers billed on terms, their monthly statement links and collections steps.

An organization holds no PHI: its invoices name no patient, and nothing here refers to one.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CollectionsTier(StrEnum):
    """Stored values: never rename one. The steps of each tier are in the settings."""

    STANDARD = "STANDARD"
    ENTERPRISE = "ENTERPRISE"


class CollectionsOutcome(StrEnum):
    """Stored values: never rename one."""

    SENT = "SENT"
    FLAGGED = "FLAGGED"
    SKIPPED = "SKIPPED"


class Organization(Model):
    """A clinic, hospital or supplier that buys on net terms against purchase orders."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    billing_email = fields.CharField(max_length=320)
    payment_terms_days = fields.IntField()
    credit_limit_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    collections_tier = fields.CharEnumField(CollectionsTier, max_length=16)
    requires_purchase_order = fields.BooleanField(default=False)
    collections_paused = fields.BooleanField(default=False)
    collections_paused_reason = fields.CharField(max_length=500, default="")
    # Bumped by every new invoice: the UPDATE takes the row's write lock first (PostgreSQL's
    # row lock, SQLite's database lock), so two invoices never both pass the credit check.
    invoices_issued = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organization"


class OrganizationStatementLink(Model):
    """A short-lived link to an organization's monthly PDF statement. Only the SHA-256 of
    the random token is stored, as for an invoice's statement."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="statement_links", on_delete=fields.CASCADE
    )
    organization_id: int
    # The first day of the statement's month.
    month = fields.DateField()
    requested_by_id = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    downloaded_at = fields.DatetimeField(null=True)
    download_count = fields.IntField(default=0)

    class Meta:
        table = "organization_statement_link"


class CollectionsStep(Model):
    """One dunning step taken for one invoice. Unique per invoice and step, so a second run
    (or a second process) of the collections command takes no step twice."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="collections_steps", on_delete=fields.CASCADE
    )
    organization_id: int
    invoice_id = fields.BigIntField()
    # "remind:-7", "remind:0", "flag:21", ...: the step's kind and days from the due date.
    step = fields.CharField(max_length=32)
    # SENT (a reminder queued), FLAGGED (for a person), SKIPPED (a later step was due too).
    outcome = fields.CharEnumField(CollectionsOutcome, max_length=8)
    taken_on = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "collections_step"
        unique_together = (("invoice_id", "step"),)
