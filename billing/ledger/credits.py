"""A patient's credit balance: money of theirs we hold that is on no invoice.

Each ``CreditEntry`` row stores a signed amount, so the balance is a plain sum:
``OVERPAYMENT`` rows are positive, ``APPLIED`` and ``REFUNDED`` rows negative, and an
``ADJUSTMENT`` may go either way.
"""

from __future__ import annotations

from tortoise.functions import Sum

from billing.money import normalize_currency
from models.patients import CreditEntry


async def patient_credit_balance(patient_id: int, currency: str) -> int:
    """The patient's credit balance in ``currency``, in minor units."""
    code = normalize_currency(currency)
    rows = (
        await CreditEntry.filter(patient_id=patient_id, currency=code)
        .annotate(total=Sum("amount_minor"))
        .values("total")
    )
    return int(rows[0]["total"] or 0) if rows else 0
