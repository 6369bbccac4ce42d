"""Invoices: creation with per-location numbers, insurance decisions and adjustments.

Every money figure of an invoice comes from its ledger rows (``billing.ledger.postings``); these
actions only ever add rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.invoices.decisions import (
    InsuranceDecision,
    check_decision_amounts,
    decision_postings,
    insurance_decision_postings,
)
from billing.invoices.listeners import balances_lowered
from billing.ledger.figures import summarize
from billing.ledger.postings import Posting, post_entries
from billing.money import MAX_AMOUNT_MINOR, normalize_currency
from models.enums import LedgerEntryKind
from models.invoices import Invoice, InvoiceLine
from models.ledger import LedgerEntry
from models.locations import Location
from models.patients import Patient


@dataclass(frozen=True, slots=True)
class NewInvoiceLine:
    """One line of a new invoice; the amount is ``quantity * unit_price_minor``."""

    code: str
    description: str
    quantity: int
    unit_price_minor: int
    reorderable: bool = False
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class NewInsurance:
    """The insurer expected to pay ``covered_minor`` of the invoice."""

    payer_name: str
    covered_minor: int


async def create_invoice(
    patient_id: int | None,
    location_id: int,
    provider_name: str,
    service_date: date,
    due_at: date,
    currency: str,
    lines: Sequence[NewInvoiceLine],
    insurance: NewInsurance | None = None,
    issued_at: date | None = None,
    reordered_from_id: int | None = None,
    *,
    organization_id: int | None = None,
    purchase_order_number: str | None = None,
) -> Invoice:
    """Create an invoice with its lines and opening ledger rows, in one transaction.

    The number is the location's next one, ``L{location_id}-{n:06d}``. ``issued_at``
    defaults to today in the location's time zone. Posts a ``CHARGE`` per priced line and
    an ``INSURANCE_EXPECTED`` row for the covered part. Raises ``DomainError`` with the
    offending field path (for example ``lines.0.quantity``). ``reordered_from_id`` names
    the invoice a reorder repeats. An organization's invoice (``organization_id``, with
    ``patient_id`` None; see ``billing.organizations``) names no patient.
    """
    if (patient_id is None) == (organization_id is None):
        raise ValueError("an invoice bills exactly one patient or one organization")
    code = normalize_currency(currency)
    provider = _required_text(provider_name, "provider_name", 200)
    amounts = _validate_lines(lines)
    covered = _validate_insurance(insurance, sum(amounts))
    async with in_transaction():
        if patient_id is not None and not await Patient.exists(id=patient_id):
            raise DomainError(ErrorCode.NOT_FOUND, "No such patient.", "patient_id")
        location = await Location.get_or_none(id=location_id)
        if location is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such location.", "location_id")
        issued = issued_at or datetime.now(ZoneInfo(location.timezone)).date()
        if due_at < issued:
            raise DomainError(
                ErrorCode.INVALID_INPUT, "due_at cannot be before issued_at.", "due_at"
            )
        number = await _allocate_number(location_id)
        invoice = await Invoice.create(
            patient_id=patient_id,
            organization_id=organization_id,
            purchase_order_number=purchase_order_number,
            location_id=location_id,
            number=number,
            provider_name=provider,
            service_date=service_date,
            issued_at=issued,
            due_at=due_at,
            currency=code,
            insurance_payer_name=insurance.payer_name.strip() if insurance else None,
            reordered_from_id=reordered_from_id,
        )
        await InvoiceLine.bulk_create(
            [
                InvoiceLine(
                    invoice_id=invoice.id,
                    position=position,
                    code=line.code.strip(),
                    description=line.description.strip(),
                    quantity=line.quantity,
                    unit_price_minor=line.unit_price_minor,
                    amount_minor=amount,
                    reorderable=line.reorderable,
                    sku=(line.sku or "").strip() or None,
                )
                for position, (line, amount) in enumerate(zip(lines, amounts, strict=True))
            ]
        )
        postings = [
            Posting(LedgerEntryKind.CHARGE, amount, dedupe_key=f"invoice:{invoice.id}:charge:{i}")
            for i, amount in enumerate(amounts)
            if amount > 0
        ]
        if covered:
            postings.append(
                Posting(
                    LedgerEntryKind.INSURANCE_EXPECTED,
                    covered,
                    dedupe_key=f"invoice:{invoice.id}:insurance-expected",
                )
            )
        await post_entries(invoice, postings)
    return invoice


async def record_insurance_decision(
    invoice_id: int,
    paid_minor: int,
    denied_minor: int,
    *,
    actor_id: int | None = None,
    dedupe_key: str | None = None,
    write_off_minor: int = 0,
    write_off_reason: str = "",
) -> Invoice:
    """Record what the insurer paid and denied; the denied part becomes the patient's.

    ``write_off_minor`` (what the patient does not owe of it, such as an 835's contractual
    adjustments) comes off in the same posting. Raises ``NO_INSURANCE_PENDING`` when nothing
    is pending, and ``INVALID_AMOUNT`` for negative amounts, a zero decision, or more than
    is pending (``billing.invoices.decisions.plan_insurance_decision``).
    """
    decision = InsuranceDecision(
        paid_minor, denied_minor, write_off_minor, write_off_reason, dedupe_key
    )
    check_decision_amounts(decision)
    async with in_transaction():
        invoice = await _lock_invoice(invoice_id)
        if dedupe_key and await _booked(invoice.id, dedupe_key, "paid", "denied", "write-off"):
            return invoice  # This decision is already booked.
        existing = await LedgerEntry.filter(invoice_id=invoice.id)
        await post_entries(
            invoice, insurance_decision_postings(existing, decision, actor_id=actor_id)
        )
        if write_off_minor > 0:
            await balances_lowered([invoice.id])
    return invoice


async def reverse_insurance_decision(
    invoice_id: int,
    paid_minor: int,
    denied_minor: int,
    *,
    actor_id: int | None = None,
    dedupe_key: str | None = None,
    write_off_minor: int = 0,
) -> Invoice:
    """Undo an insurance decision the payer took back (an 835 reversal claim).

    The paid part is pending with the insurer again (``INSURANCE_REVERSED``), the part the
    decision moved to the patient goes back to the insurer (``INSURANCE_EXPECTED``) and the
    decision's ``write_off_minor`` is put back, so the invoice stands as before the
    decision. ``INVALID_AMOUNT`` when more is reversed than was decided.
    """
    check_decision_amounts(InsuranceDecision(paid_minor, denied_minor, write_off_minor))
    async with in_transaction():
        invoice = await _lock_invoice(invoice_id)
        if dedupe_key and await _booked(
            invoice.id, dedupe_key, "reversed", "re-expected", "write-off"
        ):
            return invoice  # This reversal is already booked.
        figures = summarize(await LedgerEntry.filter(invoice_id=invoice.id))
        if paid_minor > figures.insurance_paid or denied_minor > figures.insurance_denied:
            raise DomainError(
                ErrorCode.INVALID_AMOUNT, "The reversal exceeds what was decided.", "paid_minor"
            )
        reversal = decision_postings(
            dedupe_key,
            actor_id,
            (LedgerEntryKind.INSURANCE_REVERSED, paid_minor, "reversed"),
            (LedgerEntryKind.INSURANCE_EXPECTED, denied_minor, "re-expected"),
            (LedgerEntryKind.ADJUSTMENT, write_off_minor, "write-off"),
            reason="Insurance adjustment reversed",
        )
        await post_entries(invoice, reversal)
    return invoice


async def _booked(invoice_id: int, dedupe_key: str, *suffixes: str) -> bool:
    keys = [f"{dedupe_key}:{suffix}" for suffix in suffixes]
    return await LedgerEntry.filter(invoice_id=invoice_id, dedupe_key__in=keys).exists()


async def adjust_invoice(
    invoice_id: int,
    amount_minor: int,
    reason: str,
    actor_id: int | None,
    *,
    dedupe_key: str | None = None,
) -> Invoice:
    """Post a signed ``ADJUSTMENT``: positive adds to what is owed, negative is a discount
    or write-off. A write-off below what the patient already paid moves the excess to the
    patient's credit balance; one below zero responsibility is ``INVALID_AMOUNT``."""
    _require_amount(amount_minor, "amount_minor", minimum=-MAX_AMOUNT_MINOR)
    if amount_minor == 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "An adjustment cannot be zero.", "amount_minor")
    why = _required_text(reason, "reason", 500)
    async with in_transaction():
        invoice = await _lock_invoice(invoice_id)
        posting = Posting(
            LedgerEntryKind.ADJUSTMENT,
            amount_minor,
            actor_id=actor_id,
            reason=why,
            dedupe_key=dedupe_key,
        )
        await post_entries(invoice, [posting])
        if amount_minor < 0:
            # A write-off shortens a payment plan covering the invoice, as a payment does.
            await balances_lowered([invoice.id])
    return invoice


async def invoice_currency(invoice_id: int) -> str:
    """The currency of an invoice, to read amounts given for it; ``NOT_FOUND`` when there
    is no such invoice."""
    found = await Invoice.filter(id=invoice_id).limit(1).values_list("currency", flat=True)
    if not found:
        raise DomainError(ErrorCode.NOT_FOUND, "No such invoice.", "invoice_id")
    return str(found[0])


async def own_invoice_currencies(
    patient_id: int | None, invoice_ids: Sequence[int], *, organization_id: int | None = None
) -> dict[int, str]:
    """The currency of each of the patient's (or, with ``organization_id``, the
    organization's) invoices among ``invoice_ids``; anyone else's invoice is left out,
    exactly as a missing one."""
    owner = (
        {"patient_id": patient_id}
        if organization_id is None
        else {"organization_id": organization_id}
    )
    if None in owner.values():
        return {}
    rows = await Invoice.filter(id__in=list(invoice_ids), **owner).values_list("id", "currency")
    return {int(invoice_id): str(currency) for invoice_id, currency in rows}


async def _allocate_number(location_id: int) -> str:
    # The UPDATE takes the row lock on PostgreSQL (concurrent callers wait for our commit,
    # then re-read the row); SQLite runs one write transaction at a time. Either way the
    # value read back below is ours alone, and a rollback gives the number back.
    await Location.filter(id=location_id).update(last_invoice_number=F("last_invoice_number") + 1)
    location = await Location.get(id=location_id)
    return f"L{location_id}-{location.last_invoice_number:06d}"


async def _lock_invoice(invoice_id: int) -> Invoice:
    invoice = await Invoice.select_for_update().get_or_none(id=invoice_id)
    if invoice is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such invoice.", "invoice_id")
    return invoice


def _validate_lines(lines: Sequence[NewInvoiceLine]) -> list[int]:
    if not lines:
        raise DomainError(ErrorCode.INVALID_INPUT, "An invoice needs at least one line.", "lines")
    amounts: list[int] = []
    for index, line in enumerate(lines):
        path = f"lines.{index}"
        _required_text(line.code, f"{path}.code", 40)
        _required_text(line.description, f"{path}.description", 500)
        if line.sku is not None and len(line.sku.strip()) > 64:
            raise DomainError(ErrorCode.INVALID_INPUT, "sku is too long.", f"{path}.sku")
        quantity = line.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise DomainError(
                ErrorCode.INVALID_QUANTITY,
                "Quantity must be a positive whole number.",
                f"{path}.quantity",
            )
        _require_amount(line.unit_price_minor, f"{path}.unit_price_minor", minimum=0)
        amounts.append(quantity * line.unit_price_minor)
    if sum(amounts) > MAX_AMOUNT_MINOR:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "The invoice total is too large.", "lines")
    return amounts


def _validate_insurance(insurance: NewInsurance | None, total: int) -> int:
    if insurance is None:
        return 0
    _required_text(insurance.payer_name, "insurance.payer_name", 200)
    _require_amount(insurance.covered_minor, "insurance.covered_minor", minimum=1)
    if insurance.covered_minor > total:
        raise DomainError(
            ErrorCode.COVERED_AMOUNT_TOO_HIGH,
            "The covered amount exceeds the invoice total.",
            "insurance.covered_minor",
        )
    return insurance.covered_minor


def _require_amount(value: int, field: str, *, minimum: int) -> None:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not minimum <= value <= MAX_AMOUNT_MINOR
    ):
        raise DomainError(ErrorCode.INVALID_AMOUNT, "Not a valid amount.", field)


def _required_text(value: str, field: str, max_length: int) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > max_length:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"{field} must be 1-{max_length} characters.", field
        )
    return cleaned
