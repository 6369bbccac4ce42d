"""Money of a payment going back to the payer (a refund, a lost dispute), on the ledger.

A reversal first takes back what of the payment still sits in the patient's credit
balance (an overpayment it left there), then reopens the invoices it paid, the last
invoice first, never more than the payment's net on each. Each ledger row carries a
dedupe key, so a reversal posted twice is booked once.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.functions import Sum

from billing.ledger.credits import patient_credit_balance
from billing.ledger.postings import Posting, post_entries
from models.enums import CreditEntryKind, LedgerEntryKind
from models.invoices import Invoice
from models.ledger import LedgerEntry
from models.patients import CreditEntry
from models.payments import Payment, PaymentAllocation


@dataclass(frozen=True, slots=True)
class Reversal:
    """What to reverse: ``key`` names it in dedupe keys (``refund:12``, ``dispute:3``)."""

    key: str
    amount_minor: int
    reason: str
    refund_id: int | None = None


@dataclass(frozen=True, slots=True)
class ReversalResult:
    invoice_ids: list[int]
    from_credit_minor: int
    unplaced_minor: int


async def post_reversal(payment: Payment, reversal: Reversal) -> ReversalResult:
    """Book ``reversal`` against what ``payment`` paid. Call inside a transaction.

    ``unplaced_minor`` is what found neither credit nor invoice to come from (the credit
    was spent meanwhile): Stripe has returned it all the same, so the caller flags it.
    """
    left = reversal.amount_minor
    from_credit = min(left, await _credit_left_from(payment))
    if from_credit > 0:
        await CreditEntry.create(
            patient_id=payment.patient_id,
            kind=CreditEntryKind.REFUNDED,
            amount_minor=-from_credit,
            currency=payment.currency,
            payment_id=payment.id,
            memo=reversal.reason[:200],
        )
        left -= from_credit
    reopened: list[int] = []
    allocations = await PaymentAllocation.filter(payment_id=payment.id).order_by("-invoice_id")
    for invoice_id in (allocation.invoice_id for allocation in allocations):
        if left <= 0:
            break
        amount = min(left, await _net_paid(payment.id, invoice_id))
        if amount <= 0:
            continue
        invoice = await Invoice.get(id=invoice_id)
        await post_entries(
            invoice,
            [
                Posting(
                    LedgerEntryKind.REFUND,
                    amount,
                    payment_id=payment.id,
                    refund_id=reversal.refund_id,
                    reason=reversal.reason,
                    dedupe_key=f"{reversal.key}:invoice:{invoice_id}",
                )
            ],
        )
        reopened.append(invoice_id)
        left -= amount
    return ReversalResult(reopened, from_credit, left)


async def _credit_left_from(payment: Payment) -> int:
    """What of the payment's overpayment credit the patient still holds."""
    rows = (
        await CreditEntry.filter(
            payment_id=payment.id,
            kind__in=(CreditEntryKind.OVERPAYMENT, CreditEntryKind.REFUNDED),
        )
        .annotate(total=Sum("amount_minor"))
        .values("total")
    )
    from_payment = int(rows[0]["total"] or 0) if rows else 0
    if payment.patient_id is None:
        return 0  # An organization's payment: organizations hold no credit balance.
    held = await patient_credit_balance(payment.patient_id, payment.currency)
    return max(0, min(from_payment, held))


async def _net_paid(payment_id: int, invoice_id: int) -> int:
    """What the payment paid the invoice, less what already went back (to the payer, or
    to credit as overpayment)."""
    rows = await LedgerEntry.filter(
        payment_id=payment_id,
        invoice_id=invoice_id,
        kind__in=(LedgerEntryKind.PAYMENT, LedgerEntryKind.REFUND),
    ).values_list("kind", "amount_minor")
    return sum(
        int(amount) if kind == LedgerEntryKind.PAYMENT else -int(amount) for kind, amount in rows
    )
