"""Reading payments and saved cards for the API, a batch of ids per query.

Like ``billing.invoices.reads``: light frozen records, and an ``Audience`` applied in SQL
wherever rows are looked up by their own ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q, Subquery

from billing.invoices.reads import Audience
from models.enums import PaymentChannel, PaymentStatus, RefundStatus
from models.payments import Payment, PaymentAllocation, PaymentMethod, Refund


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    id: int
    patient_id: int | None
    status: PaymentStatus
    amount_minor: int
    currency: str
    failure_message: str | None
    created_at: datetime
    credit_applied_minor: int
    refunded_minor: int
    disputed: bool
    review_reason: str | None
    channel: PaymentChannel


@dataclass(frozen=True, slots=True)
class PaymentFilters:
    """Conditions of a list of payments that must all hold; ``None``: no condition."""

    statuses: tuple[PaymentStatus, ...] | None = None
    channels: tuple[PaymentChannel, ...] | None = None
    needs_review: bool | None = None
    disputed: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    patient_id: int | None = None
    location_id: int | None = None


@dataclass(frozen=True, slots=True)
class PaymentListing:
    audience: Audience
    filters: PaymentFilters


@dataclass(frozen=True, slots=True)
class PaymentPosition:
    """Where a page of payments ended: the last one's ``created_at`` and id."""

    created_at: datetime
    id: int


@dataclass(frozen=True, slots=True)
class PaymentPage:
    records: list[PaymentRecord]
    has_next_page: bool


async def payment_page(
    listing: PaymentListing, after: PaymentPosition | None, limit: int
) -> PaymentPage:
    """Up to ``limit`` payments of the listing after ``after``, newest first (ties by id),
    in one query."""
    condition = _payment_condition(listing)
    if after is not None:
        condition &= Q(created_at__lt=after.created_at) | Q(
            created_at=after.created_at, id__lt=after.id
        )
    rows = (
        await Payment.filter(condition)
        .order_by("-created_at", "-id")
        .limit(limit + 1)
        .values(*_PAYMENT_COLUMNS)
    )
    records = [_payment_record(row) for row in rows[:limit]]
    return PaymentPage(records=records, has_next_page=len(rows) > limit)


async def count_payments(listing: PaymentListing) -> int:
    return await Payment.filter(_payment_condition(listing)).count()


def _payment_condition(listing: PaymentListing) -> Q:
    filters = listing.filters
    condition = listing.audience.restrict(Q())
    if filters.statuses:
        condition &= Q(status__in=list(filters.statuses))
    if filters.channels:
        condition &= Q(channel__in=list(filters.channels))
    if filters.needs_review is not None:
        condition &= Q(review_reason__isnull=not filters.needs_review)
    if filters.disputed is not None:
        condition &= Q(disputed=filters.disputed)
    if filters.created_from is not None:
        condition &= Q(created_at__gte=filters.created_from)
    if filters.created_to is not None:
        condition &= Q(created_at__lt=filters.created_to)
    if filters.patient_id is not None:
        condition &= Q(patient_id=filters.patient_id)
    if filters.location_id is not None:
        # A payment belongs to the locations of the invoices it pays.
        at_location = PaymentAllocation.filter(invoice__location_id=filters.location_id).values(
            "payment_id"
        )
        condition &= Q(id__in=Subquery(at_location))
    return condition


@dataclass(frozen=True, slots=True)
class PaymentAllocationRecord:
    payment_id: int
    invoice_id: int
    amount_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class PaymentMethodRecord:
    id: int
    patient_id: int
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool


@dataclass(frozen=True, slots=True)
class RefundRecord:
    id: int
    payment_id: int
    patient_id: int | None
    status: RefundStatus
    amount_minor: int
    currency: str
    created_at: datetime


_PAYMENT_COLUMNS = tuple(PaymentRecord.__slots__)
_REFUND_COLUMNS = tuple(name for name in RefundRecord.__slots__ if name != "patient_id")
_METHOD_COLUMNS = tuple(PaymentMethodRecord.__slots__)


async def payments_by_id(audience: Audience, ids: Iterable[int]) -> dict[int, PaymentRecord]:
    """The payments among ``ids`` that the audience may see, by id; others are left out."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await Payment.filter(audience.restrict(Q(id__in=wanted))).values(*_PAYMENT_COLUMNS)
    return {payment.id: payment for payment in map(_payment_record, rows)}


async def payments_by_invoice(invoice_ids: Sequence[int]) -> dict[int, list[PaymentRecord]]:
    """Each invoice's payments, newest first: every payment with an allocation on it,
    failed and canceled ones too (their status says so)."""
    rows = (
        await PaymentAllocation.filter(invoice_id__in=sorted(set(invoice_ids)))
        .order_by("invoice_id", "-payment__created_at", "-payment_id")
        .values(
            "invoice_id",
            **{column: f"payment__{column}" for column in _PAYMENT_COLUMNS},
        )
    )
    grouped: dict[int, list[PaymentRecord]] = defaultdict(list)
    for row in rows:
        invoice_id = row.pop("invoice_id")
        grouped[invoice_id].append(_payment_record(row))
    return grouped


async def allocations_by_payment(
    payment_ids: Sequence[int],
) -> dict[int, list[PaymentAllocationRecord]]:
    """How each payment is spread over invoices, in invoice order."""
    rows = (
        await PaymentAllocation.filter(payment_id__in=sorted(set(payment_ids)))
        .order_by("payment_id", "invoice_id")
        .values("payment_id", "invoice_id", "amount_minor", currency="payment__currency")
    )
    grouped: dict[int, list[PaymentAllocationRecord]] = defaultdict(list)
    for row in rows:
        grouped[row["payment_id"]].append(PaymentAllocationRecord(**row))
    return grouped


async def payment_methods_by_id(
    audience: Audience, ids: Iterable[int]
) -> dict[int, PaymentMethodRecord]:
    """The saved cards among ``ids`` that the audience may see and that are still
    attached, by id; others are left out."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    condition = audience.restrict(Q(id__in=wanted, detached_at__isnull=True), organizations=False)
    rows = await PaymentMethod.filter(condition).values(*_METHOD_COLUMNS)
    return {method.id: method for method in (PaymentMethodRecord(**row) for row in rows)}


async def refunds_by_id(audience: Audience, ids: Iterable[int]) -> dict[int, RefundRecord]:
    """The refunds among ``ids`` of payments the audience may see, by id; others are left
    out."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    condition = audience.restrict(Q(id__in=wanted), "payment__patient_id")
    rows = await Refund.filter(condition).values(*_REFUND_COLUMNS, patient_id="payment__patient_id")
    return {refund.id: refund for refund in map(_refund_record, rows)}


async def refunds_by_payment(payment_ids: Sequence[int]) -> dict[int, list[RefundRecord]]:
    """Each payment's refunds, newest first, whatever became of them (their status says)."""
    rows = (
        await Refund.filter(payment_id__in=sorted(set(payment_ids)))
        .order_by("payment_id", "-created_at", "-id")
        .values(*_REFUND_COLUMNS, patient_id="payment__patient_id")
    )
    grouped: dict[int, list[RefundRecord]] = defaultdict(list)
    for refund in map(_refund_record, rows):
        grouped[refund.payment_id].append(refund)
    return grouped


def _refund_record(row: dict[str, Any]) -> RefundRecord:
    return RefundRecord(**{**row, "status": RefundStatus(row["status"])})


def _payment_record(row: dict[str, Any]) -> PaymentRecord:
    return PaymentRecord(
        **{
            **row,
            "status": PaymentStatus(row["status"]),
            "channel": PaymentChannel(row["channel"]),
        }
    )
