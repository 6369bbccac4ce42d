from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.invoices import Invoice
    from models.patients import Patient


class PaperStatementStatus(StrEnum):
    """Stored values: never rename one."""

    REQUESTED = "REQUESTED"
    MAILED = "MAILED"


class StatementLink(Model):
    """A short-lived link to an invoice's PDF statement. Only the SHA-256 of the random
    token is stored, so a copy of the table opens no statement. A link may be used again
    until it expires, and ``downloaded_at`` is its first use."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="statement_links", on_delete=fields.CASCADE
    )
    invoice_id: int
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="statement_links", on_delete=fields.CASCADE
    )
    patient_id: int
    # The user who asked for the link (the patient, or staff).
    requested_by_id = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    downloaded_at = fields.DatetimeField(null=True)
    download_count = fields.IntField(default=0)

    class Meta:
        table = "statement_link"


class PaperStatementRequest(Model):
    """A patient's request for a statement by post. ``dedupe_key`` is unique per patient,
    set of invoices and UTC day, so asking again that day finds the same request."""

    id = fields.BigIntField(primary_key=True)
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="paper_statement_requests", on_delete=fields.RESTRICT
    )
    patient_id: int
    status = fields.CharEnumField(
        PaperStatementStatus, max_length=20, default=PaperStatementStatus.REQUESTED
    )
    dedupe_key = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    mailed_at = fields.DatetimeField(null=True)
    mailed_by_id = fields.BigIntField(null=True)

    invoices: fields.ReverseRelation[PaperStatementInvoice]

    class Meta:
        table = "paper_statement_request"
        indexes = (("status", "id"),)


class PaperStatementInvoice(Model):
    """One invoice of a paper statement request."""

    id = fields.BigIntField(primary_key=True)
    request: fields.ForeignKeyRelation[PaperStatementRequest] = fields.ForeignKeyField(
        "models.PaperStatementRequest", related_name="invoices", on_delete=fields.CASCADE
    )
    request_id: int
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="paper_statement_entries", on_delete=fields.RESTRICT
    )
    invoice_id: int

    class Meta:
        table = "paper_statement_invoice"
        unique_together = (("request", "invoice"),)
