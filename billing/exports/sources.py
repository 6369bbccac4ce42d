"""The rows of each export, read from the database in keyset batches (``BATCH_SIZE`` rows
per query, in id order), so an export of any length holds one batch at a time.

Each source yields the full row of its kind; ``export_rows`` keeps the columns the link
allows. Money is written in major units (``125.40``), dates in ISO 8601.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q, Subquery

from billing.exports.cells import Cell
from billing.exports.columns import COLUMNS
from billing.money import to_decimal
from billing.patients.rules import FIRST_NAME, LAST_NAME
from billing.phi_cipher import PhiCipher
from billing.reports.collections import collections_report
from billing.reports.local_time import Interval
from billing.reports.receivables import AgingBucket
from billing.reports.revenue import revenue_by_service
from models.enums import InvoiceStatus
from models.exports import ExportKind
from models.invoices import Invoice
from models.locations import Location
from models.organizations import Organization
from models.patients import Patient
from models.payments import Payment, PaymentAllocation

BATCH_SIZE = 1000
Row = dict[str, Cell]

_INVOICE_COLUMNS = (
    "id",
    "number",
    "location_id",
    "patient_id",
    "organization_id",
    "purchase_order_number",
    "provider_name",
    "service_date",
    "issued_at",
    "due_at",
    "status",
    "currency",
    "total_minor",
    "balance_minor",
    "insurance_pending_minor",
    "insurance_payer_name",
    "disputed",
)
_PAYMENT_COLUMNS = (
    "id",
    "created_at",
    "patient_id",
    "organization_id",
    "channel",
    "status",
    "currency",
    "amount_minor",
    "credit_applied_minor",
    "refunded_minor",
    "disputed",
    "review_reason",
    "offline_reference",
)


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What an export link holds: the kind, its dates and location, the columns allowed."""

    kind: ExportKind
    from_date: date | None
    to_date: date | None
    location_id: int | None
    columns: tuple[str, ...]


async def export_rows(
    request: ExportRequest, cipher: PhiCipher, *, now: datetime, batch_size: int = BATCH_SIZE
) -> AsyncIterator[list[Cell]]:
    """The rows of the export, as lists in the order of ``request.columns``."""
    names = [name for name in (column.name for column in COLUMNS[request.kind])]
    shown = [name for name in names if name in request.columns]
    source = _SOURCES[request.kind]
    async for row in source(request, cipher, now, batch_size):
        yield [row.get(name) for name in shown]


async def _invoices(
    request: ExportRequest, cipher: PhiCipher, now: datetime, batch_size: int
) -> AsyncIterator[Row]:
    condition = _invoice_scope(request)
    if request.from_date is not None:
        condition &= Q(issued_at__gte=request.from_date)
    if request.to_date is not None:
        condition &= Q(issued_at__lte=request.to_date)
    locations = await _location_names()
    async for batch in _batches(Invoice, condition, _INVOICE_COLUMNS, batch_size):
        patients = await _patients(request, cipher, (row["patient_id"] for row in batch))
        organizations = await _organization_names(batch)
        for row in batch:
            currency = row["currency"]
            yield {
                "invoice_number": row["number"],
                "location": locations.get(row["location_id"], ""),
                **_customer(row, patients, organizations),
                "purchase_order_number": row["purchase_order_number"],
                "provider": row["provider_name"],
                "service_date": row["service_date"],
                "issued_at": row["issued_at"],
                "due_at": row["due_at"],
                "status": str(row["status"]),
                "currency": currency,
                "total": to_decimal(row["total_minor"], currency),
                "balance": to_decimal(row["balance_minor"], currency),
                "insurance_pending": to_decimal(row["insurance_pending_minor"], currency),
                "insurance_payer": row["insurance_payer_name"],
                "disputed": row["disputed"],
            }


async def _payments(
    request: ExportRequest, cipher: PhiCipher, now: datetime, batch_size: int
) -> AsyncIterator[Row]:
    condition = Q()
    if request.from_date is not None:
        condition &= Q(created_at__gte=datetime.combine(request.from_date, time.min, UTC))
    if request.to_date is not None:
        end = datetime.combine(request.to_date + timedelta(days=1), time.min, UTC)
        condition &= Q(created_at__lt=end)
    if request.location_id is not None:
        paying = PaymentAllocation.filter(invoice__location_id=request.location_id).values(
            "payment_id"
        )
        condition &= Q(id__in=Subquery(paying))
    async for batch in _batches(Payment, condition, _PAYMENT_COLUMNS, batch_size):
        patients = await _patients(request, cipher, (row["patient_id"] for row in batch))
        organizations = await _organization_names(batch)
        for row in batch:
            currency = row["currency"]
            yield {
                "payment_id": row["id"],
                "created_at": row["created_at"],
                **_customer(row, patients, organizations),
                "channel": str(row["channel"]),
                "status": str(row["status"]),
                "currency": currency,
                "amount": to_decimal(row["amount_minor"], currency),
                "credit_applied": to_decimal(row["credit_applied_minor"], currency),
                "refunded": to_decimal(row["refunded_minor"], currency),
                "disputed": row["disputed"],
                "needs_review": row["review_reason"] is not None,
                "reference": row["offline_reference"],
            }


async def _aging(
    request: ExportRequest, cipher: PhiCipher, now: datetime, batch_size: int
) -> AsyncIterator[Row]:
    condition = _invoice_scope(request) & Q(balance_minor__gt=0)
    locations = await _location_names()
    todays = {
        int(row_id): now.astimezone(ZoneInfo(str(zone))).date()
        for row_id, zone in await Location.all().values_list("id", "timezone")
    }
    async for batch in _batches(Invoice, condition, _INVOICE_COLUMNS, batch_size):
        patients = await _patients(request, cipher, (row["patient_id"] for row in batch))
        organizations = await _organization_names(batch)
        for row in batch:
            currency = row["currency"]
            late = (todays.get(row["location_id"], now.date()) - row["due_at"]).days
            yield {
                "invoice_number": row["number"],
                "location": locations.get(row["location_id"], ""),
                **_customer(row, patients, organizations),
                "purchase_order_number": row["purchase_order_number"],
                "due_at": row["due_at"],
                "days_past_due": max(late, 0),
                "aging_bucket": _bucket(late).value,
                "currency": currency,
                "balance": to_decimal(row["balance_minor"], currency),
                "insurance_pending": to_decimal(row["insurance_pending_minor"], currency),
            }


async def _collections(
    request: ExportRequest, cipher: PhiCipher, now: datetime, batch_size: int
) -> AsyncIterator[Row]:
    # At most one row per day and currency of the (bounded) report span.
    start, end = _report_span(request, now)
    for row in await collections_report(start, end, Interval.DAY, request.location_id):
        currency = row.currency
        yield {
            "day": row.start,
            "currency": currency,
            "billed": to_decimal(row.billed_minor, currency),
            "collected": to_decimal(row.collected_minor, currency),
            "refunded": to_decimal(row.refunded_minor, currency),
            "adjusted": to_decimal(row.adjusted_minor, currency),
        }


async def _revenue(
    request: ExportRequest, cipher: PhiCipher, now: datetime, batch_size: int
) -> AsyncIterator[Row]:
    # One row per code and currency: as many as the catalog of codes, not the invoices.
    start, end = _report_span(request, now)
    for row in await revenue_by_service(start, end, request.location_id):
        currency = row.currency
        yield {
            "code": row.code,
            "description": row.description,
            "currency": currency,
            "quantity": row.quantity,
            "billed": to_decimal(row.billed_minor, currency),
            "collected": to_decimal(row.collected_minor, currency),
        }


_SOURCES = {
    ExportKind.INVOICES: _invoices,
    ExportKind.PAYMENTS: _payments,
    ExportKind.RECEIVABLES_AGING: _aging,
    ExportKind.COLLECTIONS: _collections,
    ExportKind.REVENUE_BY_SERVICE: _revenue,
}


async def _batches(
    model: Any, condition: Q, columns: Sequence[str], batch_size: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """``model``'s rows matching ``condition``, ``batch_size`` per query, in id order."""
    last_id = 0
    while True:
        batch: list[dict[str, Any]] = (
            await model.filter(condition & Q(id__gt=last_id))
            .order_by("id")
            .limit(batch_size)
            .values(*columns)
        )
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        last_id = int(batch[-1]["id"])


def _invoice_scope(request: ExportRequest) -> Q:
    condition = ~Q(status=InvoiceStatus.VOID)
    if request.location_id is not None:
        condition &= Q(location_id=request.location_id)
    return condition


async def _location_names() -> dict[int, str]:
    return {
        int(row_id): str(name) for row_id, name in await Location.all().values_list("id", "name")
    }


def _customer(row: Row, patients: dict[int, Row], organizations: dict[int, str]) -> Row:
    """Who a row bills (or who paid): a patient's columns, or an organization's name."""
    organization_id, patient_id = row["organization_id"], row["patient_id"]
    if isinstance(organization_id, int):
        return {"billed_to": "ORGANIZATION", "organization": organizations.get(organization_id)}
    return {
        "billed_to": "PATIENT",
        **(patients.get(patient_id, {}) if isinstance(patient_id, int) else {}),
    }


async def _organization_names(batch: Iterable[Row]) -> dict[int, str]:
    wanted = sorted(
        {row["organization_id"] for row in batch if isinstance(row["organization_id"], int)}
    )
    if not wanted:
        return {}
    rows = await Organization.filter(id__in=wanted).values_list("id", "name")
    return {int(row_id): str(name) for row_id, name in rows}


async def _patients(
    request: ExportRequest, cipher: PhiCipher, patient_ids: Iterable[int | None]
) -> dict[int, Row]:
    """The patient columns of a batch's patients, in one query; names decrypted only when
    the link may show them."""
    with_names = "patient_name" in request.columns
    columns = ["id", "account_number"]
    if with_names:
        columns += ["first_name_ct", "last_name_ct"]
    wanted = sorted({patient_id for patient_id in patient_ids if patient_id is not None})
    rows = await Patient.filter(id__in=wanted).values(*columns)
    found: dict[int, Row] = {}
    for row in rows:
        cells: Row = {"patient_account_number": row["account_number"]}
        if with_names:
            first = cipher.decrypt(row["first_name_ct"], FIRST_NAME)
            last = cipher.decrypt(row["last_name_ct"], LAST_NAME)
            cells["patient_name"] = f"{first} {last}"
        found[int(row["id"])] = cells
    return found


def _bucket(days_past_due: int) -> AgingBucket:
    if days_past_due <= 0:
        return AgingBucket.CURRENT
    if days_past_due <= 30:
        return AgingBucket.DAYS_1_30
    if days_past_due <= 60:
        return AgingBucket.DAYS_31_60
    if days_past_due <= 90:
        return AgingBucket.DAYS_61_90
    return AgingBucket.OVER_90_DAYS


def _report_span(request: ExportRequest, now: datetime) -> tuple[date, date]:
    end = request.to_date or now.date()
    start = request.from_date or end - timedelta(days=30)
    return start, end
