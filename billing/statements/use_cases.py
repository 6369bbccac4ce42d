"""What patients and staff ask of statements, one function per request.

Each use case opens its transaction, applies the rules and appends its access-log record
inside it. Expected failures are ``DomainError``s; the API records the refused attempt
under the same action.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.invoices.reads import Audience
from billing.statements.links import LINK_ACTION, IssuedStatementLink, create_statement_link
from billing.statements.paper import (
    PaperStatementRecord,
    mark_paper_statement_mailed,
    request_paper_statement,
)
from models.enums import AuditOutcome

PAPER_RESOURCE = "PaperStatementRequest"
CREATE_PDF_LINK = AuditedAction(LINK_ACTION, "Invoice")
REQUEST_PAPER_STATEMENT = AuditedAction("statement.paper_request", PAPER_RESOURCE)
MARK_PAPER_STATEMENT_MAILED = AuditedAction("statement.paper_mailed", PAPER_RESOURCE)


async def create_pdf_link(
    audit: AuditBuffer,
    audience: Audience,
    invoice_id: int | None,
    requested_by: int,
    *,
    now: datetime,
) -> IssuedStatementLink:
    """A short-lived link to an invoice's PDF statement, for a caller who may see it."""
    async with in_transaction():
        link = await create_statement_link(audience, invoice_id, requested_by, now=now)
        await audit.record_success(
            CREATE_PDF_LINK,
            resource_id=link.invoice_id,
            patient_id=link.patient_id,
            reference=f"link:{link.id}",
        )
    return link


async def ask_for_paper_statement(
    audit: AuditBuffer, patient_id: int, invoice_ids: Sequence[int | None], *, now: datetime
) -> PaperStatementRecord:
    """The patient's request to get these invoices by post; today's identical one if any."""
    async with in_transaction():
        outcome = await request_paper_statement(patient_id, invoice_ids, now=now)
        if outcome.created:
            await audit.record_success(
                REQUEST_PAPER_STATEMENT, resource_id=outcome.request.id, patient_id=patient_id
            )
    if not outcome.created:
        # Nothing changed: the read of the existing request is on record with the request.
        audit.record(
            REQUEST_PAPER_STATEMENT.name,
            AuditOutcome.SUCCESS,
            resource_type=PAPER_RESOURCE,
            resource_id=str(outcome.request.id),
            patient_id=patient_id,
            reference="existing",
        )
    return outcome.request


async def mark_mailed(
    audit: AuditBuffer, request_id: int | None, mailed_by: int, *, now: datetime
) -> PaperStatementRecord:
    """Staff record that a requested paper statement went out."""
    async with in_transaction():
        record = await mark_paper_statement_mailed(request_id, mailed_by, now=now)
        await audit.record_success(
            MARK_PAPER_STATEMENT_MAILED, resource_id=record.id, patient_id=record.patient_id
        )
    return record
