from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ExportKind(StrEnum):
    """What a CSV export holds. Stored values: never rename one."""

    INVOICES = "INVOICES"
    PAYMENTS = "PAYMENTS"
    RECEIVABLES_AGING = "RECEIVABLES_AGING"
    COLLECTIONS = "COLLECTIONS"
    REVENUE_BY_SERVICE = "REVENUE_BY_SERVICE"


class ExportLink(Model):
    """A short-lived link to a CSV export. Only the SHA-256 of the random token is stored.

    The link keeps what was asked (kind, dates, location) and which columns the asker may
    see (``columns``, comma-separated), fixed when it was made: the file is built from the
    database when it is downloaded, never stored."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    kind = fields.CharEnumField(ExportKind, max_length=24)
    from_date = fields.DateField(null=True)
    to_date = fields.DateField(null=True)
    location_id = fields.BigIntField(null=True)
    columns = fields.TextField()
    requested_by_id = fields.BigIntField()
    requested_by_role = fields.CharField(max_length=20, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    downloaded_at = fields.DatetimeField(null=True)
    download_count = fields.IntField(default=0)

    class Meta:
        table = "export_link"
