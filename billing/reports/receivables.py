"""Financial reports, computed by the database: aggregate queries over the cached invoice
columns and the ledger, never a Python loop over every invoice.

Scope of every figure: invoices that are not ``VOID``, in one currency (``REPORT_CURRENCY``
unless asked otherwise), of one location or of all. Amounts in other currencies are left
out rather than added up with a wrong exchange rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Sum

from billing.errors import DomainError, ErrorCode
from models.enums import InvoiceStatus, LedgerEntryKind
from models.invoices import Invoice
from models.ledger import LedgerEntry
from models.locations import Location

REPORT_CURRENCY = "USD"


class AgingBucket(StrEnum):
    """How far past its due date an invoice with a balance is. Not yet due is current."""

    CURRENT = "CURRENT"
    DAYS_1_30 = "DAYS_1_30"
    DAYS_31_60 = "DAYS_31_60"
    DAYS_61_90 = "DAYS_61_90"
    OVER_90_DAYS = "OVER_90_DAYS"


@dataclass(frozen=True, slots=True)
class AgingTotal:
    bucket: AgingBucket
    amount_minor: int
    invoice_count: int


@dataclass(frozen=True, slots=True)
class ReceivablesReport:
    """What was billed and collected and what is still owed, in minor units of
    ``currency``. ``aging`` has every bucket, in order, empty ones included."""

    currency: str
    billed_minor: int
    collected_minor: int
    outstanding_minor: int
    insurance_pending_minor: int
    aging: tuple[AgingTotal, ...]


def aging_conditions(today: date) -> dict[AgingBucket, Q]:
    """Each bucket's condition on ``due_at``, as date bounds so the database compares
    plain dates (date arithmetic differs between SQLite and PostgreSQL)."""

    def days_ago(days: int) -> date:
        return today - timedelta(days=days)

    return {
        AgingBucket.CURRENT: Q(due_at__gte=today),
        AgingBucket.DAYS_1_30: Q(due_at__lt=today, due_at__gte=days_ago(30)),
        AgingBucket.DAYS_31_60: Q(due_at__lt=days_ago(30), due_at__gte=days_ago(60)),
        AgingBucket.DAYS_61_90: Q(due_at__lt=days_ago(60), due_at__gte=days_ago(90)),
        AgingBucket.OVER_90_DAYS: Q(due_at__lt=days_ago(90)),
    }


async def receivables(
    location_id: int | None, today: date, currency: str = REPORT_CURRENCY
) -> ReceivablesReport:
    """The receivables of one location (all when ``location_id`` is ``None``) as of
    ``today``, in two aggregate queries.

    - billed: the sum of invoice totals (charges and adjustments);
    - collected: patient payments less refunds booked on those invoices (money moved to a
      credit balance counts once it pays an invoice);
    - outstanding: the sum of the patients' balances;
    - insurance pending: what insurers have yet to decide on;
    - aging: balances and invoice counts by days past due.

    An unknown location is ``NOT_FOUND``.
    """
    if location_id is not None and not await Location.exists(id=location_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such location.", "location_id")
    scope = Q(currency=currency) & ~Q(status=InvoiceStatus.VOID)
    if location_id is not None:
        scope &= Q(location_id=location_id)
    figures: dict[str, Any] = {
        "billed": Sum("total_minor"),
        "outstanding": Sum("balance_minor"),
        "insurance_pending": Sum("insurance_pending_minor"),
    }
    buckets = aging_conditions(today)
    for bucket, due in buckets.items():
        owing = Q(balance_minor__gt=0) & due
        figures[f"{bucket.value}_amount"] = Sum("balance_minor", _filter=owing)
        figures[f"{bucket.value}_count"] = Count("id", _filter=owing)
    [totals] = await Invoice.filter(scope).annotate(**figures).values(*figures)
    collected = await _collected(scope)
    return ReceivablesReport(
        currency=currency,
        billed_minor=_whole(totals["billed"]),
        collected_minor=collected,
        outstanding_minor=_whole(totals["outstanding"]),
        insurance_pending_minor=_whole(totals["insurance_pending"]),
        aging=tuple(
            AgingTotal(
                bucket,
                _whole(totals[f"{bucket.value}_amount"]),
                _whole(totals[f"{bucket.value}_count"]),
            )
            for bucket in buckets
        ),
    )


async def _collected(invoices: Q) -> int:
    # A subquery, not a join: a join makes Tortoise group by every ledger column.
    ids = Invoice.filter(invoices).values("id")
    [sums] = (
        await LedgerEntry.filter(invoice_id__in=Subquery(ids))
        .annotate(
            payments=Sum("amount_minor", _filter=Q(kind=LedgerEntryKind.PAYMENT)),
            refunds=Sum("amount_minor", _filter=Q(kind=LedgerEntryKind.REFUND)),
        )
        .values("payments", "refunds")
    )
    return _whole(sums["payments"]) - _whole(sums["refunds"])


def _whole(value: Any) -> int:
    # SUM over no rows is NULL; PostgreSQL sums BIGINT as NUMERIC (a Decimal here).
    return 0 if value is None else int(value)
