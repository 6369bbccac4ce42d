"""Printable statements of an invoice, behind short-lived links.

A PDF link is ``{public_base_url}/statements/{token}``: the token is random and says
nothing about the patient or the invoice, and only its SHA-256 is stored. A link works for
``LINK_LIFETIME`` and may be used again within it (a phone's viewer often fetches a
document twice), every use on the access log.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tortoise.transactions import in_transaction

from billing.audit.chain import AuditRecord, append_audit_records
from billing.errors import DomainError, ErrorCode
from billing.invoices.reads import Audience, invoices_by_id
from billing.ledger.figures import summarize
from billing.money import to_decimal
from billing.patients.rules import read_patient_profile
from billing.phi_cipher import PhiCipher
from billing.statements.pdf import Letterhead, StatementDocument, StatementLine, StatementPayment
from models.enums import AuditOutcome, LedgerEntryKind, PaymentChannel
from models.invoices import Invoice, InvoiceLine
from models.ledger import LedgerEntry
from models.locations import Location, LocationLogo
from models.patients import Patient
from models.payments import Payment
from models.statements import (
    StatementLink,
)

LINK_LIFETIME = timedelta(minutes=5)
LINK_ACTION = "statement.link"
DOWNLOAD_ACTION = "statement.download"
# token_urlsafe(32) gives 43 characters; anything longer or outside its alphabet is unknown.
_MAX_TOKEN_LENGTH = 64
_TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
CHANNEL_LABELS = {
    PaymentChannel.CARD: "Card payment",
    PaymentChannel.CREDIT_BALANCE: "Credit balance applied",
    PaymentChannel.CHECK: "Check",
    PaymentChannel.CASH: "Cash",
    PaymentChannel.BANK_TRANSFER: "Bank transfer",
    PaymentChannel.BANK_DEBIT: "Bank account debit",
}


@dataclass(frozen=True, slots=True)
class IssuedStatementLink:
    """A new link. ``token`` is shown to the caller once and never stored."""

    id: int
    token: str
    invoice_id: int
    patient_id: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class StatementGrant:
    """A valid link, resolved to what it opens."""

    link_id: int
    invoice_id: int
    patient_id: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def statement_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}/statements/{token}"


async def create_statement_link(
    audience: Audience, invoice_id: int | None, requested_by: int, *, now: datetime
) -> IssuedStatementLink:
    """A new link to the PDF of an invoice the audience may see.

    Raises ``DomainError`` ``NOT_FOUND`` for an invoice that does not exist or that the
    audience may not see, alike.
    """
    found = await invoices_by_id(audience, [invoice_id]) if invoice_id else {}
    invoice = found.get(invoice_id or 0)
    # An organization's invoices are on its monthly statement, not one of their own.
    if invoice is None or invoice.patient_id is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such invoice.", "invoice_id")
    token = secrets.token_urlsafe(32)
    row = await StatementLink.create(
        token_hash=hash_token(token),
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        requested_by_id=requested_by,
        expires_at=now + LINK_LIFETIME,
    )
    return IssuedStatementLink(
        id=row.id,
        token=token,
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        expires_at=row.expires_at,
    )


async def find_statement_link(token: str, *, now: datetime) -> StatementGrant | None:
    """What ``token`` opens, or ``None`` when it is unknown or expired (alike)."""
    if not plausible_token(token):
        return None
    row = await StatementLink.get_or_none(token_hash=hash_token(token), expires_at__gt=now)
    if row is None:
        return None
    return StatementGrant(link_id=row.id, invoice_id=row.invoice_id, patient_id=row.patient_id)


async def record_statement_download(
    grant: StatementGrant,
    *,
    now: datetime,
    audit_key: bytes,
    ip_address: str,
    request_id: str,
) -> bool:
    """Mark the link used and put the download on the access log, in one transaction.

    Returns ``False`` when the link expired meanwhile. Raises ``AuditWriteError`` when the
    access log cannot be extended; then nothing is marked and the PDF must not be served.
    """
    async with in_transaction():
        row = (
            await StatementLink.select_for_update()
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
            resource_type="Invoice",
            resource_id=str(grant.invoice_id),
            patient_id=grant.patient_id,
            ip_address=ip_address,
            request_id=request_id,
            reference=f"link:{grant.link_id}",
        )
        await append_audit_records([record], key=audit_key, now=now)
    return True


async def load_statement(
    invoice_id: int, cipher: PhiCipher, *, today: date | None = None
) -> StatementDocument:
    """Everything the PDF statement of an invoice prints. Holds PHI (the patient's name)."""
    invoice = await Invoice.get(id=invoice_id)
    location = await Location.get(id=invoice.location_id)
    patient = await Patient.get(id=invoice.patient_id)
    lines = await InvoiceLine.filter(invoice_id=invoice_id).order_by("position")
    entries = await LedgerEntry.filter(invoice_id=invoice_id).order_by("created_at", "id")
    channels = await payment_channels(entry.payment_id for entry in entries)
    figures = summarize(entries)
    profile = read_patient_profile(cipher, patient)
    currency = invoice.currency

    def money(minor: int) -> str:
        return format_money(minor, currency)

    logo = await LocationLogo.get_or_none(location_id=location.id)
    return StatementDocument(
        letterhead=Letterhead(
            name=location.name,
            address=location.address,
            phone=location.phone,
            accent_color=location.accent_color,
            logo=None if logo is None else bytes(logo.content),
        ),
        patient_name=f"{profile.first_name} {profile.last_name}",
        account_number=patient.account_number,
        invoice_number=invoice.number,
        provider_name=invoice.provider_name,
        service_date=invoice.service_date,
        issued_at=invoice.issued_at,
        due_at=invoice.due_at,
        status=invoice.status.value.replace("_", " ").capitalize(),
        lines=tuple(
            StatementLine(
                code=line.code,
                description=line.description,
                quantity=line.quantity,
                unit_price=money(line.unit_price_minor),
                amount=money(line.amount_minor),
            )
            for line in lines
        ),
        total=money(figures.total),
        adjustments=money(figures.adjustments) if figures.adjustments else None,
        insurance_payer=invoice.insurance_payer_name,
        insurance_expected=money(figures.insurance_expected),
        insurance_paid=money(figures.insurance_paid),
        insurance_denied=money(figures.insurance_denied),
        insurance_pending=money(figures.insurance_pending),
        patient_responsibility=money(figures.patient_responsibility),
        payments=tuple(
            StatementPayment(
                on=entry.created_at.astimezone(UTC).date(),
                description=_payment_label(entry, channels),
                amount=money(-entry.amount_minor if _is_refund(entry) else entry.amount_minor),
            )
            for entry in entries
            if entry.kind in (LedgerEntryKind.PAYMENT, LedgerEntryKind.REFUND)
        ),
        paid=money(figures.paid),
        balance=money(figures.balance),
        generated_on=today or datetime.now(UTC).date(),
    )


def format_money(minor: int, currency: str) -> str:
    """``"1,234.50 USD"``: plain ASCII, so any PDF font prints it."""
    return f"{to_decimal(minor, currency):,} {currency}"


def plausible_token(token: str) -> bool:
    return 0 < len(token) <= _MAX_TOKEN_LENGTH and _TOKEN_ALPHABET.issuperset(token)


def _is_refund(entry: LedgerEntry) -> bool:
    return entry.kind is LedgerEntryKind.REFUND


def _payment_label(entry: LedgerEntry, channels: dict[int, PaymentChannel]) -> str:
    if _is_refund(entry):
        return "Refund" if entry.refund_id is not None else "Moved to credit balance"
    channel = channels.get(entry.payment_id or 0)
    return CHANNEL_LABELS.get(channel, "Payment") if channel else "Payment"


async def payment_channels(payment_ids: Iterable[int | None]) -> dict[int, PaymentChannel]:
    wanted = sorted({payment_id for payment_id in payment_ids if payment_id})
    if not wanted:
        return {}
    rows = await Payment.filter(id__in=wanted).values_list("id", "channel")
    return {int(row_id): PaymentChannel(channel) for row_id, channel in rows}
