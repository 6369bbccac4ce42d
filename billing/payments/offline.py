"""Offline payments: checks, cash and bank transfers that staff record against one invoice.

They go on the same ledger as card payments. A payment above the invoice's balance is
accepted: ``billing.ledger.postings.post_entries`` moves the excess to the patient's credit
balance, and the payment's allocation records only what reached the invoice.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from billing.errors import DomainError, ErrorCode
from billing.ledger.figures import summarize
from billing.ledger.postings import Posting, post_entries
from billing.money import require_positive_amount
from billing.payments.listeners import payment_posted
from billing.payments.settlement import posting_key
from models.enums import AllocationStatus, LedgerEntryKind, PaymentChannel, PaymentStatus
from models.invoices import Invoice
from models.ledger import LedgerEntry
from models.payments import Payment, PaymentAllocation

OFFLINE_CHANNELS = frozenset(
    {PaymentChannel.CHECK, PaymentChannel.CASH, PaymentChannel.BANK_TRANSFER}
)
# A check number or a bank reference is how the money is found again; cash has neither.
REFERENCE_REQUIRED = frozenset({PaymentChannel.CHECK, PaymentChannel.BANK_TRANSFER})
MAX_REFERENCE_LENGTH = 200


async def record_offline_payment(
    invoice_id: int,
    amount_minor: int,
    channel: PaymentChannel,
    reference: str | None,
    *,
    actor_id: int | None,
) -> Payment:
    """Record money received outside the app for one invoice, as a succeeded payment.

    In one transaction (a savepoint when the caller opened one): locks the invoice, creates
    the ``Payment`` (recorded by ``actor_id``, for the invoice's patient), a ``POSTED``
    allocation of the part that reached the invoice, and the ``PAYMENT`` ledger row. Any
    excess over the balance becomes the patient's credit balance; an allocation of zero
    means the invoice owed nothing and all of it went to credit.

    Raises ``DomainError``: ``INVALID_AMOUNT`` (``amount_minor``) unless the amount is
    positive, ``INVALID_INPUT`` for a channel that is not offline (``method``) or a bad
    reference (``reference``: at most 200 characters once trimmed, required for checks and
    bank transfers), ``NOT_FOUND`` (``invoice_id``), ``INVOICE_NOT_PAYABLE`` for a void
    invoice.
    """
    if channel not in OFFLINE_CHANNELS:
        raise DomainError(ErrorCode.INVALID_INPUT, "Not an offline payment method.", "method")
    require_positive_amount(amount_minor, "amount_minor")
    cleaned = _reference(reference, channel)
    async with in_transaction():
        invoice = await Invoice.select_for_update().get_or_none(id=invoice_id)
        if invoice is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such invoice.", "invoice_id")
        before = summarize(await LedgerEntry.filter(invoice_id=invoice.id))
        if before.voided:
            raise DomainError(ErrorCode.INVOICE_NOT_PAYABLE, "The invoice is void.", "invoice_id")
        payment = await Payment.create(
            patient_id=invoice.patient_id,
            channel=channel,
            status=PaymentStatus.SUCCEEDED,
            amount_minor=amount_minor,
            currency=invoice.currency,
            offline_reference=cleaned,
            recorded_by_id=actor_id,
        )
        after = await post_entries(
            invoice,
            [
                Posting(
                    LedgerEntryKind.PAYMENT,
                    amount_minor,
                    payment_id=payment.id,
                    actor_id=actor_id,
                    reason=f"{channel.value} payment",
                    dedupe_key=posting_key(payment.id, invoice.id),
                )
            ],
        )
        # The balance never goes below zero, so what it fell by is what reached the invoice.
        await PaymentAllocation.create(
            payment_id=payment.id,
            invoice_id=invoice.id,
            amount_minor=before.balance - after.balance,
            status=AllocationStatus.POSTED,
        )
        await payment_posted(payment, [invoice.id])
    return payment


def _reference(reference: str | None, channel: PaymentChannel) -> str | None:
    cleaned = (reference or "").strip()
    if len(cleaned) > MAX_REFERENCE_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"The reference has at most {MAX_REFERENCE_LENGTH} characters.",
            "reference",
        )
    if not cleaned and channel in REFERENCE_REQUIRED:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "A check number or bank reference is required.", "reference"
        )
    return cleaned or None
