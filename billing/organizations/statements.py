"""An organization's monthly statement: opening balance, the month's invoices and payments,
closing balance and aging, as a PDF behind the same opaque short-lived links as an
invoice's statement (``{public_base_url}/statements/{token}``, only the token's SHA-256
stored, every download on the access log)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from tortoise.transactions import in_transaction

from billing.audit.chain import AuditRecord, append_audit_records
from billing.errors import DomainError, ErrorCode
from billing.ledger.figures import summarize
from billing.statements.links import (
    CHANNEL_LABELS,
    DOWNLOAD_ACTION,
    LINK_LIFETIME,
    format_money,
    hash_token,
    payment_channels,
    plausible_token,
)
from models.enums import AuditOutcome, InvoiceStatus, LedgerEntryKind, PaymentChannel
from models.invoices import Invoice
from models.ledger import LedgerEntry
from models.organizations import Organization, OrganizationStatementLink

RESOURCE_TYPE = "Organization"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Aging buckets of what is open at the month's end, by days past due.
AGING_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("Current", None, 0),
    ("1-30 days", 1, 30),
    ("31-60 days", 31, 60),
    ("61-90 days", 61, 90),
    ("Over 90 days", 91, None),
)


@dataclass(frozen=True, slots=True)
class MonthlyStatementRequester:
    """Who asks: staff who read any organization, or one organization's user."""

    user_id: int
    any_organization: bool
    organization_id: int | None

    def may_see(self, organization_id: int) -> bool:
        return self.any_organization or self.organization_id == organization_id


@dataclass(frozen=True, slots=True)
class IssuedMonthlyLink:
    """A new link. ``token`` is shown once and never stored."""

    id: int
    token: str
    organization_id: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class MonthlyGrant:
    link_id: int
    organization_id: int
    month: date


@dataclass(frozen=True, slots=True)
class StatementInvoice:
    number: str
    purchase_order_number: str
    issued_at: date
    due_at: date
    total: str
    balance: str


@dataclass(frozen=True, slots=True)
class StatementMovement:
    on: date
    invoice_number: str
    description: str
    amount: str


@dataclass(frozen=True, slots=True)
class MonthlyStatement:
    """What the PDF prints, amounts formatted. No PHI: an organization has none."""

    organization_name: str
    month: date
    opening_balance: str
    invoices: tuple[StatementInvoice, ...]
    payments: tuple[StatementMovement, ...]
    closing_balance: str
    aging: tuple[tuple[str, str], ...]


def parse_month(value: str) -> date:
    """The first day of ``"2026-11"``; ``INVALID_INPUT`` on ``month`` otherwise."""
    match = _MONTH.match(value.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise DomainError(ErrorCode.INVALID_INPUT, 'A month such as "2026-11".', "month")
    return date(int(match.group(1)), int(match.group(2)), 1)


async def create_monthly_link(
    requester: MonthlyStatementRequester,
    organization_id: int | None,
    month: str,
    *,
    now: datetime,
) -> IssuedMonthlyLink:
    """A link to the organization's statement of ``month``. Another organization's and a
    missing one are both ``NOT_FOUND``; a month not begun yet is ``INVALID_INPUT``."""
    first_day = parse_month(month)
    if first_day > now.astimezone(UTC).date():
        raise DomainError(ErrorCode.INVALID_INPUT, "That month has not begun.", "month")
    if (
        organization_id is None
        or not requester.may_see(organization_id)
        or not await Organization.exists(id=organization_id)
    ):
        raise DomainError(ErrorCode.NOT_FOUND, "No such organization.", "organization_id")
    token = secrets.token_urlsafe(32)
    row = await OrganizationStatementLink.create(
        token_hash=hash_token(token),
        organization_id=organization_id,
        month=first_day,
        requested_by_id=requester.user_id,
        expires_at=now + LINK_LIFETIME,
    )
    return IssuedMonthlyLink(
        id=row.id, token=token, organization_id=organization_id, expires_at=row.expires_at
    )


async def find_monthly_link(token: str, *, now: datetime) -> MonthlyGrant | None:
    """What ``token`` opens, or ``None`` when it is unknown or expired (alike)."""
    if not plausible_token(token):
        return None
    row = await OrganizationStatementLink.get_or_none(
        token_hash=hash_token(token), expires_at__gt=now
    )
    if row is None:
        return None
    return MonthlyGrant(link_id=row.id, organization_id=row.organization_id, month=row.month)


async def record_monthly_download(
    grant: MonthlyGrant, *, now: datetime, audit_key: bytes, ip_address: str, request_id: str
) -> bool:
    """Mark the link used and put the download on the access log in one transaction;
    ``False`` when it expired meanwhile."""
    async with in_transaction():
        row = (
            await OrganizationStatementLink.select_for_update()
            .filter(id=grant.link_id, expires_at__gt=now)
            .first()
        )
        if row is None:
            return False
        row.downloaded_at = row.downloaded_at or now
        row.download_count += 1
        await row.save(update_fields=["downloaded_at", "download_count"])
        record = AuditRecord(
            action=DOWNLOAD_ACTION,
            outcome=AuditOutcome.SUCCESS,
            resource_type=RESOURCE_TYPE,
            resource_id=str(grant.organization_id),
            patient_id=None,
            ip_address=ip_address,
            request_id=request_id,
            reference=f"month:{grant.month:%Y-%m} link:{grant.link_id}",
        )
        await append_audit_records([record], key=audit_key, now=now)
    return True


async def load_monthly_statement(organization_id: int, month: date) -> MonthlyStatement:
    """Everything the month's statement prints, from the ledger rows of the organization's
    invoices (UTC month boundaries)."""
    organization = await Organization.get(id=organization_id)
    start = datetime.combine(month, time(), tzinfo=UTC)
    next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    end = datetime.combine(next_month, time(), tzinfo=UTC)
    invoices = await Invoice.filter(organization_id=organization_id, issued_at__lt=next_month)
    by_id = {invoice.id: invoice for invoice in invoices}
    entries = await LedgerEntry.filter(invoice_id__in=list(by_id), created_at__lt=end)
    currency = organization.currency

    def money(minor: int) -> str:
        return format_money(minor, currency)

    opening = _balance(entry for entry in entries if entry.created_at < start)
    closing_by_invoice = {
        invoice_id: summarize(e for e in entries if e.invoice_id == invoice_id).balance
        for invoice_id in by_id
    }
    issued = sorted(
        (invoice for invoice in invoices if invoice.issued_at >= month),
        key=lambda invoice: (invoice.issued_at, invoice.id),
    )
    movements = sorted(
        (
            entry
            for entry in entries
            if entry.created_at >= start
            and entry.kind in (LedgerEntryKind.PAYMENT, LedgerEntryKind.REFUND)
        ),
        key=lambda entry: (entry.created_at, entry.id),
    )
    last_day = date.fromordinal(next_month.toordinal() - 1)
    channels = await payment_channels(entry.payment_id for entry in movements)
    return MonthlyStatement(
        organization_name=organization.name,
        month=month,
        opening_balance=money(opening),
        invoices=tuple(
            StatementInvoice(
                number=invoice.number,
                purchase_order_number=invoice.purchase_order_number or "",
                issued_at=invoice.issued_at,
                due_at=invoice.due_at,
                total=money(summarize(e for e in entries if e.invoice_id == invoice.id).total),
                balance=money(closing_by_invoice[invoice.id]),
            )
            for invoice in issued
        ),
        payments=tuple(
            StatementMovement(
                on=entry.created_at.astimezone(UTC).date(),
                invoice_number=by_id[entry.invoice_id].number,
                description=_label(entry, channels),
                amount=money(
                    entry.amount_minor
                    if entry.kind is LedgerEntryKind.PAYMENT
                    else -entry.amount_minor
                ),
            )
            for entry in movements
        ),
        closing_balance=money(sum(closing_by_invoice.values())),
        aging=_aging(invoices, closing_by_invoice, last_day, money),
    )


def _label(entry: LedgerEntry, channels: dict[int, PaymentChannel]) -> str:
    if entry.kind is not LedgerEntryKind.PAYMENT:
        return "Refund"
    channel = channels.get(entry.payment_id or 0)
    return "Payment" if channel is None else CHANNEL_LABELS.get(channel, "Payment")


def _balance(entries: Iterable[LedgerEntry]) -> int:
    by_invoice: dict[int, list[LedgerEntry]] = {}
    for entry in entries:
        by_invoice.setdefault(entry.invoice_id, []).append(entry)
    return sum(summarize(rows).balance for rows in by_invoice.values())


def _aging(
    invoices: Sequence[Invoice],
    balances: dict[int, int],
    as_of: date,
    money: Callable[[int], str],
) -> tuple[tuple[str, str], ...]:
    totals = dict.fromkeys((label for label, _low, _high in AGING_BUCKETS), 0)
    for invoice in invoices:
        owed = balances.get(invoice.id, 0)
        if owed <= 0 or invoice.status is InvoiceStatus.VOID:
            continue
        late = (as_of - invoice.due_at).days
        for label, low, high in AGING_BUCKETS:
            if (low is None or late >= low) and (high is None or late <= high):
                totals[label] += owed
                break
    return tuple((label, money(value)) for label, value in totals.items())
