"""What staff and organizations' users ask of organizations, one function per request.

Each use case opens its transaction, applies the rules (``billing.organizations.rules``) and
appends its access-log record inside it. An organization holds no PHI, so its records name
no patient.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from tortoise.transactions import in_transaction

from billing.audit.buffer import AuditBuffer, AuditedAction
from billing.invoices.rules import NewInvoiceLine
from billing.organizations import rules
from billing.organizations.rules import NewOrganization
from billing.organizations.statements import (
    IssuedMonthlyLink,
    MonthlyStatementRequester,
    create_monthly_link,
)
from billing.statements.links import LINK_ACTION
from models.invoices import Invoice
from models.organizations import Organization

RESOURCE_TYPE = "Organization"
CREATE_ORGANIZATION = AuditedAction("organization.create", RESOURCE_TYPE)
CREATE_ORGANIZATION_INVOICE = AuditedAction("organization.invoice_create", "Invoice")
SET_COLLECTIONS_PAUSED = AuditedAction("organization.collections_paused", RESOURCE_TYPE)
CREATE_STATEMENT_LINK = AuditedAction(LINK_ACTION, RESOURCE_TYPE)
SET_INVOICE_DISPUTED = AuditedAction("organization.invoice_disputed", "Invoice")


async def create_organization(audit: AuditBuffer, new: NewOrganization) -> Organization:
    """Add a business customer billed on terms."""
    async with in_transaction():
        organization = await rules.create_organization(new)
        await audit.record_success(CREATE_ORGANIZATION, resource_id=organization.id)
    return organization


async def create_organization_invoice(
    audit: AuditBuffer,
    organization_id: int | None,
    location_id: int | None,
    purchase_order_number: str | None,
    currency: str,
    lines: Sequence[NewInvoiceLine],
    *,
    today: date | None = None,
) -> Invoice:
    """Issue an invoice to an organization, within its credit limit."""
    async with in_transaction():
        invoice = await rules.create_organization_invoice(
            organization_id, location_id, purchase_order_number, currency, lines, today=today
        )
        await audit.record_success(
            CREATE_ORGANIZATION_INVOICE,
            resource_id=invoice.id,
            reference=f"organization:{invoice.organization_id}",
        )
    return invoice


async def set_collections_paused(
    audit: AuditBuffer, organization_id: int | None, paused: bool, reason: str
) -> Organization:
    """Stop or resume every collections step for the organization, on the access log with
    the reason."""
    async with in_transaction():
        organization = await rules.set_collections_paused(organization_id, paused, reason)
        await audit.record_success(
            SET_COLLECTIONS_PAUSED,
            resource_id=organization.id,
            reference=("paused" if paused else "resumed")
            + (f": {reason.strip()}" if reason.strip() else ""),
        )
    return organization


async def set_invoice_disputed(
    audit: AuditBuffer, invoice_id: int | None, disputed: bool, reason: str
) -> Invoice:
    """Pause (or resume) the collections steps of one disputed organization invoice."""
    async with in_transaction():
        invoice = await rules.set_invoice_disputed(invoice_id, disputed)
        label = "disputed" if disputed else "cleared"
        await audit.record_success(
            SET_INVOICE_DISPUTED,
            resource_id=invoice.id,
            reference=(f"{label}: {reason.strip()}" if reason.strip() else label)[:255],
        )
    return invoice


async def create_statement_link(
    audit: AuditBuffer,
    requester: MonthlyStatementRequester,
    organization_id: int | None,
    month: str,
    *,
    now: datetime | None = None,
) -> IssuedMonthlyLink:
    """A short-lived link to the organization's statement of ``month``."""
    async with in_transaction():
        link = await create_monthly_link(
            requester, organization_id, month, now=now or datetime.now(UTC)
        )
        await audit.record_success(
            CREATE_STATEMENT_LINK,
            resource_id=link.organization_id,
            reference=f"month:{month.strip()} link:{link.id}",
        )
    return link
