"""The columns of each export, and which of them a caller may see.

Columns follow the same field permissions as the API: procedure codes and descriptions
only for callers who may see clinical details (not accountants), patients' names only for
callers who may read patient records. Account numbers are not PHI and always shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.exports import ExportKind


class Sensitivity(StrEnum):
    """What a caller must be allowed to see to get a column."""

    NONE = "NONE"
    CLINICAL = "CLINICAL"
    PATIENT_IDENTITY = "PATIENT_IDENTITY"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    sensitivity: Sensitivity = Sensitivity.NONE


_PATIENT_NAME = Column("patient_name", Sensitivity.PATIENT_IDENTITY)
# Who an invoice bills, PATIENT or ORGANIZATION, and a business's name and purchase order
# (its patient columns are then empty).
_BUSINESS_INVOICE = (Column("billed_to"), Column("organization"), Column("purchase_order_number"))

COLUMNS: dict[ExportKind, tuple[Column, ...]] = {
    ExportKind.INVOICES: (
        Column("invoice_number"),
        Column("location"),
        Column("patient_account_number"),
        _PATIENT_NAME,
        Column("provider"),
        Column("service_date"),
        Column("issued_at"),
        Column("due_at"),
        Column("status"),
        Column("currency"),
        Column("total"),
        Column("balance"),
        Column("insurance_pending"),
        Column("insurance_payer"),
        Column("disputed"),
        *_BUSINESS_INVOICE,
    ),
    ExportKind.PAYMENTS: (
        Column("payment_id"),
        Column("created_at"),
        Column("patient_account_number"),
        _PATIENT_NAME,
        Column("channel"),
        Column("status"),
        Column("currency"),
        Column("amount"),
        Column("credit_applied"),
        Column("refunded"),
        Column("disputed"),
        Column("needs_review"),
        Column("reference"),
        Column("billed_to"),
        Column("organization"),
    ),
    ExportKind.RECEIVABLES_AGING: (
        Column("invoice_number"),
        Column("location"),
        Column("patient_account_number"),
        _PATIENT_NAME,
        Column("due_at"),
        Column("days_past_due"),
        Column("aging_bucket"),
        Column("currency"),
        Column("balance"),
        Column("insurance_pending"),
        *_BUSINESS_INVOICE,
    ),
    ExportKind.COLLECTIONS: (
        Column("day"),
        Column("currency"),
        Column("billed"),
        Column("collected"),
        Column("refunded"),
        Column("adjusted"),
    ),
    ExportKind.REVENUE_BY_SERVICE: (
        Column("code", Sensitivity.CLINICAL),
        Column("description", Sensitivity.CLINICAL),
        Column("currency"),
        Column("quantity"),
        Column("billed"),
        Column("collected"),
    ),
}


def visible_columns(kind: ExportKind, allowed: frozenset[Sensitivity]) -> tuple[str, ...]:
    """The names of ``kind``'s columns a caller allowed ``allowed`` may see, in order."""
    return tuple(
        column.name
        for column in COLUMNS[kind]
        if column.sensitivity is Sensitivity.NONE or column.sensitivity in allowed
    )
