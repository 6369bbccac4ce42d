"""What staff and patients ask of invoices, one function per request.

Each use case opens its transaction, applies the rules (``billing.invoices.rules``) and
appends its access-log record inside that transaction, so the change and its record commit
together. Expected failures are ``DomainError``s; the API records the refused attempt under
the same action.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.idempotency import keyed_request, once
from billing.invoices.reorders import reorder_items as reorder
from billing.invoices.rules import NewInsurance, NewInvoiceLine, invoice_currency
from billing.invoices.rules import adjust_invoice as post_adjustment
from billing.invoices.rules import create_invoice as issue_invoice
from billing.invoices.rules import record_insurance_decision as post_insurance_decision
from billing.money import to_minor
from models.invoices import Invoice

RESOURCE_TYPE = "Invoice"
CREATE_INVOICE = AuditedAction("invoice.create", RESOURCE_TYPE)
RECORD_INSURANCE_DECISION = AuditedAction("invoice.insurance_decision", RESOURCE_TYPE)
ADJUST_INVOICE = AuditedAction("invoice.adjust", RESOURCE_TYPE)
REORDER_ITEMS = AuditedAction("invoice.reorder", RESOURCE_TYPE)


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """A new invoice as staff fill it in; amounts already in the currency's minor units."""

    patient_id: int
    location_id: int
    provider_name: str
    service_date: date
    due_at: date
    currency: str
    lines: Sequence[NewInvoiceLine]
    insurance: NewInsurance | None


async def create_invoice(audit: AuditBuffer, draft: InvoiceDraft) -> Invoice:
    """Issue an invoice with its lines and any expected insurance cover."""
    async with in_transaction():
        invoice = await issue_invoice(
            draft.patient_id,
            draft.location_id,
            draft.provider_name,
            draft.service_date,
            draft.due_at,
            draft.currency,
            draft.lines,
            draft.insurance,
        )
        await _record(audit, CREATE_INVOICE, invoice)
    return invoice


async def record_insurance_decision(
    audit: AuditBuffer,
    invoice_id: int,
    paid: Decimal,
    denied: Decimal,
    *,
    idempotency_key: str | None = None,
) -> Invoice:
    """What the insurer paid and denied of the invoice's pending cover; a retry with the
    same ``idempotency_key`` books it once."""
    currency = await invoice_currency(invoice_id)
    paid_minor = to_minor(paid, currency, "paid_minor")
    denied_minor = to_minor(denied, currency, "denied_minor")
    action = RECORD_INSURANCE_DECISION
    request = keyed_request(
        action.name, audit.actor.user_id, idempotency_key, invoice_id, paid_minor, denied_minor
    )

    async def decide() -> Invoice:
        invoice = await post_insurance_decision(
            invoice_id, paid_minor, denied_minor, actor_id=audit.actor.user_id
        )
        await _record(audit, action, invoice)
        return invoice

    return await once(audit, action, request, decide, identify=_identify, load=_load)


async def adjust_invoice(
    audit: AuditBuffer,
    invoice_id: int,
    amount: Decimal,
    reason: str,
    *,
    idempotency_key: str | None = None,
) -> Invoice:
    """A discount, write-off or fee on the invoice, as a new ledger row with its reason; a
    retry with the same ``idempotency_key`` books it once."""
    amount_minor = to_minor(amount, await invoice_currency(invoice_id), "amount_minor")
    request = keyed_request(
        ADJUST_INVOICE.name, audit.actor.user_id, idempotency_key, invoice_id, amount_minor, reason
    )

    async def adjust() -> Invoice:
        invoice = await post_adjustment(invoice_id, amount_minor, reason, audit.actor.user_id)
        await _record(audit, ADJUST_INVOICE, invoice)
        return invoice

    return await once(audit, ADJUST_INVOICE, request, adjust, identify=_identify, load=_load)


async def reorder_items(
    audit: AuditBuffer, patient_id: int, invoice_id: int, line_ids: Sequence[int] | None
) -> Invoice:
    """The patient orders an invoice's reorderable lines again, as a new open invoice."""
    async with in_transaction():
        invoice = await reorder(patient_id, invoice_id, line_ids)
        await _record(audit, REORDER_ITEMS, invoice, reference=str(invoice_id))
    return invoice


async def _identify(invoice: Invoice) -> tuple[int, int | None]:
    return invoice.id, invoice.patient_id


async def _load(invoice_id: int) -> Invoice:
    return await Invoice.get(id=invoice_id)


async def _record(
    audit: AuditBuffer, action: AuditedAction, invoice: Invoice, *, reference: str = ""
) -> None:
    await audit.record_success(
        action, resource_id=invoice.id, patient_id=invoice.patient_id, reference=reference
    )
