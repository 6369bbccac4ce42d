"""An invoice's figures, and so its status, as a pure function of its ledger rows.

Sign rules. Every ``amount_minor`` is a positive integer except:

- ``ADJUSTMENT`` is signed and never zero: positive adds to what is owed (a late fee),
  negative is a discount or write-off;
- ``VOID`` is a marker with amount ``0``.

Figures (see ``summarize``)::

    total                  = CHARGE + ADJUSTMENT
    insurance_paid         = INSURANCE_PAID - INSURANCE_REVERSED  (net of payer reversals)
    insurance_pending      = INSURANCE_EXPECTED - insurance_paid - INSURANCE_DENIED
    patient_responsibility = total - INSURANCE_EXPECTED + INSURANCE_DENIED
    paid                   = PAYMENT - REFUND            (net money from the patient)
    balance                = patient_responsibility - paid

So the balance is the patient's *debits* minus their *credits*, where the debits are
``CHARGE + ADJUSTMENT + INSURANCE_DENIED + REFUND`` and the credits are
``INSURANCE_EXPECTED + PAYMENT``; ``INSURANCE_PAID`` only settles what was expected.

The status: ``VOID`` once voided, ``PENDING_INSURANCE`` while insurance is pending, ``PAID``
when something was charged and nothing is owed, ``PARTIALLY_PAID`` when paid in part,
``OPEN`` otherwise (``_status``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from models.enums import InvoiceStatus, LedgerEntryKind


class LedgerFact(Protocol):
    """Anything with a kind and an amount: a stored ``LedgerEntry`` or a ``Posting``."""

    @property
    def kind(self) -> LedgerEntryKind: ...

    @property
    def amount_minor(self) -> int: ...


@dataclass(frozen=True, slots=True)
class InvoiceFigures:
    """An invoice's figures in minor units, all derived from its ledger rows."""

    charges: int
    adjustments: int
    total: int
    insurance_expected: int
    insurance_paid: int
    insurance_denied: int
    insurance_pending: int
    patient_responsibility: int
    payments: int
    refunds: int
    paid: int
    balance: int
    voided: bool
    status: InvoiceStatus


def summarize(entries: Iterable[LedgerFact]) -> InvoiceFigures:
    """Derive an invoice's figures from its ledger rows; the order of rows never matters."""
    sums = dict.fromkeys(LedgerEntryKind, 0)
    voided = False
    for entry in entries:
        sums[entry.kind] += entry.amount_minor
        voided = voided or entry.kind is LedgerEntryKind.VOID
    charges = sums[LedgerEntryKind.CHARGE]
    total = charges + sums[LedgerEntryKind.ADJUSTMENT]
    expected = sums[LedgerEntryKind.INSURANCE_EXPECTED]
    # A reversal (835 CLP02 = 22) takes a payment back, so the insurer owes it again.
    insurance_paid = sums[LedgerEntryKind.INSURANCE_PAID] - sums[LedgerEntryKind.INSURANCE_REVERSED]
    denied = sums[LedgerEntryKind.INSURANCE_DENIED]
    pending = expected - insurance_paid - denied
    responsibility = total - expected + denied
    paid = sums[LedgerEntryKind.PAYMENT] - sums[LedgerEntryKind.REFUND]
    balance = responsibility - paid
    return InvoiceFigures(
        charges=charges,
        adjustments=sums[LedgerEntryKind.ADJUSTMENT],
        total=total,
        insurance_expected=expected,
        insurance_paid=insurance_paid,
        insurance_denied=denied,
        insurance_pending=pending,
        patient_responsibility=responsibility,
        payments=sums[LedgerEntryKind.PAYMENT],
        refunds=sums[LedgerEntryKind.REFUND],
        paid=paid,
        balance=balance,
        voided=voided,
        status=_status(voided, pending, balance, charges, total, paid),
    )


def _status(
    voided: bool, pending: int, balance: int, charges: int, total: int, paid: int
) -> InvoiceStatus:
    # "Something was charged": a charge line, or a positive adjustment such as a fee.
    if voided:
        return InvoiceStatus.VOID
    if pending > 0:
        return InvoiceStatus.PENDING_INSURANCE
    if balance == 0 and (charges > 0 or total > 0):
        return InvoiceStatus.PAID
    if paid > 0 and balance > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN
