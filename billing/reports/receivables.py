"""Receivables, computed by the database: aggregate queries over the cached invoice
columns and the ledger, never a Python loop over every invoice.

Scope of every figure: invoices that are not ``VOID``, of one location or of all, one
report per currency (amounts are never added across currencies). Aging counts days past
due as of today where each invoice's location is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

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


def aging_by_location(todays: dict[int, date]) -> dict[AgingBucket, Q]:
    """Each bucket's condition when every location has its own today."""
    buckets: dict[AgingBucket, Q] = {bucket: Q(id__lt=0) for bucket in AgingBucket}
    for location_id, today in todays.items():
        for bucket, due in aging_conditions(today).items():
            buckets[bucket] |= Q(location_id=location_id) & due
    return buckets


async def location_todays(location_id: int | None, now: datetime) -> dict[int, date]:
    """Today's date at each location (or the one asked for), by id, in one query."""
    query = Location.all() if location_id is None else Location.filter(id=location_id)
    rows = await query.values_list("id", "timezone")
    return {int(row_id): now.astimezone(ZoneInfo(str(zone))).date() for row_id, zone in rows}


async def receivables(
    location_id: int | None, now: datetime, currencies: Sequence[str] = (REPORT_CURRENCY,)
) -> list[ReceivablesReport]:
    """The receivables of one location (all when ``location_id`` is ``None``) as of
    ``now``, one report per currency, in three aggregate queries: ``currencies`` always
    (zero when nothing is billed in one), and every other currency billed.

    - billed: the sum of invoice totals (charges and adjustments);
    - collected: patient payments less refunds booked on those invoices (money moved to a
      credit balance counts once it pays an invoice);
    - outstanding: the sum of the patients' balances;
    - insurance pending: what insurers have yet to decide on;
    - aging: balances and invoice counts by days past due, as of today where each
      invoice's location is.

    An unknown location is ``NOT_FOUND``.
    """
    todays = await location_todays(location_id, now)
    if location_id is not None and not todays:
        raise DomainError(ErrorCode.NOT_FOUND, "No such location.", "location_id")
    scope = ~Q(status=InvoiceStatus.VOID)
    if location_id is not None:
        scope &= Q(location_id=location_id)
    figures: dict[str, Any] = {
        "billed": Sum("total_minor"),
        "outstanding": Sum("balance_minor"),
        "insurance_pending": Sum("insurance_pending_minor"),
    }
    buckets = aging_by_location(todays)
    for bucket, due in buckets.items():
        owing = Q(balance_minor__gt=0) & due
        figures[f"{bucket.value}_amount"] = Sum("balance_minor", _filter=owing)
        figures[f"{bucket.value}_count"] = Count("id", _filter=owing)
    rows = (
        await Invoice.filter(scope)
        .annotate(**figures)
        .group_by("currency")
        .values("currency", *figures)
    )
    by_currency = {str(row["currency"]): row for row in rows}
    collected = await _collected(scope)
    shown = sorted(set(currencies) | set(by_currency))
    return [
        _report(currency, by_currency.get(currency, {}), collected.get(currency, 0), buckets)
        for currency in shown
    ]


def _report(
    currency: str, totals: dict[str, Any], collected: int, buckets: dict[AgingBucket, Q]
) -> ReceivablesReport:
    return ReceivablesReport(
        currency=currency,
        billed_minor=_whole(totals.get("billed")),
        collected_minor=collected,
        outstanding_minor=_whole(totals.get("outstanding")),
        insurance_pending_minor=_whole(totals.get("insurance_pending")),
        aging=tuple(
            AgingTotal(
                bucket,
                _whole(totals.get(f"{bucket.value}_amount")),
                _whole(totals.get(f"{bucket.value}_count")),
            )
            for bucket in buckets
        ),
    )


async def _collected(invoices: Q) -> dict[str, int]:
    # A subquery, not a join: a join makes Tortoise group by every ledger column.
    ids = Invoice.filter(invoices).values("id")
    rows = (
        await LedgerEntry.filter(invoice_id__in=Subquery(ids))
        .annotate(
            payments=Sum("amount_minor", _filter=Q(kind=LedgerEntryKind.PAYMENT)),
            refunds=Sum("amount_minor", _filter=Q(kind=LedgerEntryKind.REFUND)),
        )
        .group_by("currency")
        .values("currency", "payments", "refunds")
    )
    return {str(row["currency"]): _whole(row["payments"]) - _whole(row["refunds"]) for row in rows}


def _whole(value: Any) -> int:
    # SUM over no rows is NULL; PostgreSQL sums BIGINT as NUMERIC (a Decimal here).
    return 0 if value is None else int(value)
