"""Posting ledger rows: the rules every posting must keep, and how rows are written.

Figures and status follow from the rows (``billing.ledger.figures``). ``post_entries`` keeps
these invariants on every invoice: ``insurance_pending >= 0``, ``paid >= 0``,
``patient_responsibility >= 0`` and ``balance >= 0``. A posting that would leave a negative
balance (an overpayment, or a write-off after payment) is diverted: a ``REFUND`` row without a
``refund_id`` moves the excess off the invoice and a ``CreditEntry`` of kind ``OVERPAYMENT``
adds it to the patient's credit balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.timezone import now
from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.ledger.figures import InvoiceFigures, LedgerFact, summarize
from models.enums import (
    AllocationStatus,
    CreditEntryKind,
    InvoiceStatus,
    LedgerEntryKind,
    PaymentChannel,
    PaymentStatus,
)
from models.invoices import Invoice
from models.ledger import LedgerEntry
from models.patients import CreditEntry
from models.payments import PaymentAllocation

OVERPAYMENT_REASON = "Overpayment moved to the patient's credit balance"
_WRITE_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Posting:
    """A ledger row to be inserted; the invoice and currency come from ``post_entries``."""

    kind: LedgerEntryKind
    amount_minor: int
    payment_id: int | None = None
    refund_id: int | None = None
    actor_id: int | None = None
    reason: str = ""
    dedupe_key: str | None = None


@dataclass(frozen=True, slots=True)
class PostingPlan:
    """What ``post_entries`` will write: the rows, and any excess moved to credit."""

    postings: tuple[Posting, ...]
    figures: InvoiceFigures
    credit_minor: int = 0
    credit_payment_id: int | None = None


def plan_postings(
    existing: Sequence[LedgerFact], new: Sequence[Posting], *, divert_overpayment: bool = True
) -> PostingPlan:
    """Check ``new`` against an invoice's ``existing`` rows and decide what to write.

    Raises ``DomainError`` when a rule forbids the postings; never touches the database.
    """
    for index, posting in enumerate(new):
        _check_amount(posting, f"entries.{index}.amount_minor")
    if summarize(existing).voided and new:
        raise DomainError(ErrorCode.INVOICE_NOT_PAYABLE, "The invoice is void.")
    figures = summarize([*existing, *new])
    if figures.insurance_pending < 0:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT, "Insurance amounts exceed what is pending.", "amount_minor"
        )
    if figures.paid < 0:
        raise DomainError(
            ErrorCode.REFUND_EXCEEDS_PAYMENT, "Refunds exceed payments.", "amount_minor"
        )
    if figures.patient_responsibility < 0:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT,
            "The patient's responsibility would become negative.",
            "amount_minor",
        )
    if figures.balance >= 0:
        return PostingPlan(tuple(new), figures)
    if not divert_overpayment:
        raise DomainError(
            ErrorCode.AMOUNT_EXCEEDS_BALANCE, "The amount exceeds the balance.", "amount_minor"
        )
    # patient_responsibility >= 0, so the excess is at most what the patient paid.
    excess = -figures.balance
    trigger = new[-1]
    payment_id = next(
        (p.payment_id for p in reversed(new) if p.kind is LedgerEntryKind.PAYMENT), None
    )
    to_credit = Posting(
        LedgerEntryKind.REFUND,
        excess,
        payment_id=payment_id,
        actor_id=trigger.actor_id,
        reason=OVERPAYMENT_REASON,
        dedupe_key=f"{trigger.dedupe_key}:to-credit" if trigger.dedupe_key else None,
    )
    postings = (*new, to_credit)
    return PostingPlan(postings, summarize([*existing, *postings]), excess, payment_id)


async def post_entries(
    invoice: Invoice, postings: Sequence[Posting], *, divert_overpayment: bool = True
) -> InvoiceFigures:
    """Insert ``postings`` on ``invoice`` and refresh its cached summary columns.

    Runs in one transaction (a savepoint when the caller already opened one) and locks the
    invoice row, so postings to one invoice never interleave. A posting whose
    ``dedupe_key`` is already booked is skipped, which makes a repeated call harmless.
    Updates ``invoice``'s summary attributes in place and returns the new figures.
    """
    async with in_transaction():
        locked = await Invoice.select_for_update().get(id=invoice.id)
        existing = await LedgerEntry.filter(invoice_id=locked.id).all()
        fresh = await _not_yet_booked(locked.id, postings)
        # An organization has no credit balance: an overpayment of its invoice is refused.
        diverts = divert_overpayment and locked.patient_id is not None
        plan = plan_postings(existing, fresh, divert_overpayment=diverts)
        await LedgerEntry.bulk_create(_entries(locked, plan))
        credit = _credit(locked, plan)
        if credit is not None:
            await credit.save()
        figures = await recompute_invoice(locked.id)
    _copy_summary(figures, invoice)
    return figures


async def write_plans(planned: Sequence[tuple[Invoice, PostingPlan]]) -> None:
    """Write the plans of many invoices at once, as ``post_entries`` writes one: the rows,
    any excess moved to credit, and the summary columns (``plan.figures``, which must be
    of all the invoice's rows). For bulk postings (an 835 file): the caller opened the
    transaction, locked the invoices (in id order) and planned each invoice's postings
    after the ones before, with ``plan_postings`` on the rows it read."""
    entries = [entry for invoice, plan in planned for entry in _entries(invoice, plan)]
    credits = [c for c in (_credit(invoice, plan) for invoice, plan in planned) if c is not None]
    for start in range(0, len(entries), _WRITE_CHUNK):
        await LedgerEntry.bulk_create(entries[start : start + _WRITE_CHUNK])
    if credits:
        await CreditEntry.bulk_create(credits)
    latest = {invoice.id: plan.figures for invoice, plan in planned}
    by_summary: dict[tuple[object, ...], list[int]] = {}
    for invoice_id, figures in latest.items():
        key = (figures.status, figures.total, figures.balance, figures.insurance_pending)
        by_summary.setdefault(key, []).append(invoice_id)
    for (status, total, balance, pending), ids in by_summary.items():
        for start in range(0, len(ids), _WRITE_CHUNK):
            await Invoice.filter(id__in=ids[start : start + _WRITE_CHUNK]).update(
                status=status,
                total_minor=total,
                balance_minor=balance,
                insurance_pending_minor=pending,
                updated_at=now(),
            )


def _entries(invoice: Invoice, plan: PostingPlan) -> list[LedgerEntry]:
    return [
        LedgerEntry(
            invoice_id=invoice.id,
            kind=p.kind,
            amount_minor=p.amount_minor,
            currency=invoice.currency,
            payment_id=p.payment_id,
            refund_id=p.refund_id,
            actor_id=p.actor_id,
            reason=p.reason,
            dedupe_key=p.dedupe_key,
        )
        for p in plan.postings
    ]


def _credit(invoice: Invoice, plan: PostingPlan) -> CreditEntry | None:
    if not plan.credit_minor:
        return None
    return CreditEntry(
        patient_id=invoice.patient_id,
        kind=CreditEntryKind.OVERPAYMENT,
        amount_minor=plan.credit_minor,
        currency=invoice.currency,
        payment_id=plan.credit_payment_id,
        invoice_id=invoice.id,
        memo=OVERPAYMENT_REASON,
    )


async def recompute_invoice(invoice_id: int) -> InvoiceFigures:
    """Rewrite an invoice's cached ``status`` and ``*_minor`` columns from all its rows.

    An invoice with a balance that a bank debit still in processing holds shows as
    PROCESSING until the debit settles (the ledger then makes it PAID) or fails."""
    entries = await LedgerEntry.filter(invoice_id=invoice_id).all()
    figures = summarize(entries)
    status = figures.status
    if status in _OWED and await _bank_debit_processing(invoice_id):
        status = InvoiceStatus.PROCESSING
    await Invoice.filter(id=invoice_id).update(
        status=status,
        total_minor=figures.total,
        balance_minor=figures.balance,
        insurance_pending_minor=figures.insurance_pending,
        updated_at=now(),
    )
    return figures


def _check_amount(posting: Posting, field_path: str) -> None:
    amount = posting.amount_minor
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise DomainError(ErrorCode.INVALID_AMOUNT, "Amounts are whole minor units.", field_path)
    if posting.kind is LedgerEntryKind.VOID:
        valid = amount == 0
    elif posting.kind is LedgerEntryKind.ADJUSTMENT:
        valid = amount != 0
    else:
        valid = amount > 0
    if not valid:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT, f"Invalid amount for a {posting.kind} entry.", field_path
        )


async def _not_yet_booked(invoice_id: int, postings: Sequence[Posting]) -> list[Posting]:
    keys = [p.dedupe_key for p in postings if p.dedupe_key is not None]
    booked: dict[str, int] = {}
    if keys:
        rows = await LedgerEntry.filter(dedupe_key__in=keys).values_list("dedupe_key", "invoice_id")
        booked = {str(key): int(owner) for key, owner in rows}
    fresh: list[Posting] = []
    for posting in postings:
        key = posting.dedupe_key
        if key is None:
            fresh.append(posting)
            continue
        owner = booked.get(key)
        if owner is not None and owner != invoice_id:
            raise DomainError(ErrorCode.CONFLICT, "The posting key belongs to another invoice.")
        if owner is None:
            booked[key] = invoice_id
            fresh.append(posting)
    return fresh


_OWED = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)


async def _bank_debit_processing(invoice_id: int) -> bool:
    return await PaymentAllocation.filter(
        invoice_id=invoice_id,
        status=AllocationStatus.RESERVED,
        payment__channel=PaymentChannel.BANK_DEBIT,
        payment__status=PaymentStatus.PROCESSING,
    ).exists()


def _copy_summary(figures: InvoiceFigures, invoice: Invoice) -> None:
    invoice.status = figures.status
    invoice.total_minor = figures.total
    invoice.balance_minor = figures.balance
    invoice.insurance_pending_minor = figures.insurance_pending
