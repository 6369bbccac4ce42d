"""Organizations and the invoices they are billed on terms.

An organization's invoice names no patient (no PHI on a business's bill), carries the
purchase order it answers, is due its terms after the issue date, and is refused when the
organization's open balance plus the new total would pass its credit limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.invoices.rules import NewInvoiceLine, create_invoice
from billing.money import MAX_AMOUNT_MINOR, normalize_currency, to_minor
from models.enums import InvoiceStatus
from models.invoices import Invoice
from models.locations import Location
from models.organizations import CollectionsTier, Organization

MAX_TERMS_DAYS = 365
_PO_MAX = 64
# The same shape of address as accounts accept (``auth.accounts``, which billing may not use).
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")


@dataclass(frozen=True, slots=True)
class NewOrganization:
    """An organization as staff fill it in; ``credit_limit`` in major units."""

    name: str
    billing_email: str
    payment_terms_days: int
    credit_limit: Decimal
    currency: str
    collections_tier: CollectionsTier
    requires_purchase_order: bool = False


@dataclass(frozen=True, slots=True)
class OrganizationFigures:
    """What an organization owes: on every open invoice, and past due."""

    open_minor: int
    overdue_minor: int


async def create_organization(new: NewOrganization) -> Organization:
    """Add a business customer. ``INVALID_INPUT`` on a blank or taken name, a bad address
    or terms outside 0 to 365 days; ``INVALID_AMOUNT`` on a negative credit limit."""
    name = _required_text(new.name, "name", 200)
    email = new.billing_email.strip().lower()
    if not _EMAIL.match(email):
        raise DomainError(ErrorCode.INVALID_INPUT, "Enter a valid email address.", "billing_email")
    currency = normalize_currency(new.currency)
    terms = new.payment_terms_days
    if isinstance(terms, bool) or not 0 <= terms <= MAX_TERMS_DAYS:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"Terms must be 0 to {MAX_TERMS_DAYS} days.",
            "payment_terms_days",
        )
    limit = to_minor(new.credit_limit, currency, "credit_limit")
    if not 0 <= limit <= MAX_AMOUNT_MINOR:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "Not a valid credit limit.", "credit_limit")
    if await Organization.exists(name=name):
        raise _name_taken()
    try:
        async with in_transaction():
            return await Organization.create(
                name=name,
                billing_email=email,
                payment_terms_days=terms,
                credit_limit_minor=limit,
                currency=currency,
                collections_tier=new.collections_tier,
                requires_purchase_order=new.requires_purchase_order,
            )
    except IntegrityError:
        raise _name_taken() from None


async def create_organization_invoice(
    organization_id: int | None,
    location_id: int | None,
    purchase_order_number: str | None,
    currency: str,
    lines: Sequence[NewInvoiceLine],
    *,
    today: date | None = None,
) -> Invoice:
    """Issue an invoice to the organization, due its terms after today (the location's).

    ``NOT_FOUND`` for an unknown organization or location, ``PURCHASE_ORDER_REQUIRED``,
    ``CURRENCY_MISMATCH`` (not the organization's currency), ``CREDIT_LIMIT_EXCEEDED``, and
    the line errors of any invoice. Call inside a transaction: the first statement bumps the
    organization's row, which holds its write lock until commit (PostgreSQL's row lock,
    SQLite's database lock), so of two invoices racing for the last of the credit only one
    passes the check.
    """
    code = normalize_currency(currency)
    purchase_order = (purchase_order_number or "").strip() or None
    if purchase_order is not None and len(purchase_order) > _PO_MAX:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "The purchase order number is too long.",
            "purchase_order_number",
        )
    if organization_id is None or not await _lock_organization(organization_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such organization.", "organization_id")
    organization = await Organization.get(id=organization_id)
    location = await Location.get_or_none(id=location_id or 0)
    if location is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such location.", "location_id")
    if organization.requires_purchase_order and purchase_order is None:
        raise DomainError(
            ErrorCode.PURCHASE_ORDER_REQUIRED,
            "This organization needs a purchase order number on each invoice.",
            "purchase_order_number",
        )
    if code != organization.currency:
        raise DomainError(
            ErrorCode.CURRENCY_MISMATCH,
            f"This organization is billed in {organization.currency}.",
            "currency",
        )
    total = sum(line.quantity * line.unit_price_minor for line in lines if _is_count(line))
    owed = (await organization_figures([organization.id], today=today))[organization.id]
    if owed.open_minor + total > organization.credit_limit_minor:
        raise DomainError(
            ErrorCode.CREDIT_LIMIT_EXCEEDED,
            "The open balance plus this invoice would pass the credit limit.",
            "lines",
        )
    issued = today or datetime.now(ZoneInfo(location.timezone)).date()
    return await create_invoice(
        None,
        location.id,
        location.name,
        issued,
        date.fromordinal(issued.toordinal() + organization.payment_terms_days),
        code,
        lines,
        issued_at=issued,
        organization_id=organization.id,
        purchase_order_number=purchase_order,
    )


async def set_collections_paused(
    organization_id: int | None, paused: bool, reason: str
) -> Organization:
    """Stop (or resume) every collections step for the organization; ``NOT_FOUND``."""
    why = reason.strip()
    if len(why) > 500:
        raise DomainError(ErrorCode.INVALID_INPUT, "The reason is too long.", "reason")
    changed = await Organization.filter(id=organization_id or 0).update(
        collections_paused=paused, collections_paused_reason=why if paused else ""
    )
    if not changed:
        raise DomainError(ErrorCode.NOT_FOUND, "No such organization.", "organization_id")
    return await Organization.get(id=organization_id)


async def set_invoice_disputed(invoice_id: int | None, disputed: bool) -> Invoice:
    """Mark an organization's invoice as disputed by its accounts payable (its collections
    steps wait) or clear it; ``NOT_FOUND`` for any other invoice."""
    changed = await Invoice.filter(id=invoice_id or 0, organization_id__isnull=False).update(
        collections_disputed=disputed
    )
    if not changed:
        raise DomainError(ErrorCode.NOT_FOUND, "No such invoice.", "invoice_id")
    return await Invoice.get(id=invoice_id)


async def organization_figures(
    organization_ids: Sequence[int], *, today: date | None = None
) -> dict[int, OrganizationFigures]:
    """Each organization's open and overdue balance, from the invoices' cached ledger
    figures (void invoices owe nothing), in two queries."""
    wanted = sorted(set(organization_ids))
    live = Invoice.filter(organization_id__in=wanted, balance_minor__gt=0).exclude(
        status=InvoiceStatus.VOID
    )
    cutoff = today or datetime.now(ZoneInfo("UTC")).date()
    open_rows = (
        await live.group_by("organization_id")
        .annotate(owed=Sum("balance_minor"))
        .values_list("organization_id", "owed")
    )
    late_rows = (
        await live.filter(due_at__lt=cutoff)
        .group_by("organization_id")
        .annotate(owed=Sum("balance_minor"))
        .values_list("organization_id", "owed")
    )
    opened = {int(key): int(value or 0) for key, value in open_rows}
    late = {int(key): int(value or 0) for key, value in late_rows}
    return {
        key: OrganizationFigures(open_minor=opened.get(key, 0), overdue_minor=late.get(key, 0))
        for key in wanted
    }


async def _lock_organization(organization_id: int) -> bool:
    bumped = await Organization.filter(id=organization_id).update(
        invoices_issued=F("invoices_issued") + 1
    )
    return bool(bumped)


def _is_count(line: NewInvoiceLine) -> bool:
    # Bad lines are refused by the invoice's own checks; here they add nothing.
    quantity, price = line.quantity, line.unit_price_minor
    return isinstance(quantity, int) and isinstance(price, int) and quantity > 0 and price >= 0


def _required_text(value: str, field: str, max_length: int) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > max_length:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"{field} must be 1-{max_length} characters.", field
        )
    return cleaned


def _name_taken() -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, "An organization has this name.", "name")
