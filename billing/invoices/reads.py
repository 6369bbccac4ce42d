"""Reading invoices for the API: filtered, sorted pages with keyset positions, invoices by
id, and what hangs off an invoice (lines, location facts, patient responsibility), each for
a whole batch of invoices in one query.

Rows come back as small frozen records built from ``.values()``, not as ORM models: a page
of invoices is read often and model construction is a measurable part of its cost.

Who may see what is decided by an ``Audience``, applied in SQL: an invoice outside it is
never read, so it cannot differ from one that does not exist. Functions keyed by invoice
ids (lines, responsibility) take no audience: they serve invoices already read through one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q, Subquery
from tortoise.functions import Sum

from billing.ledger.figures import summarize
from models.enums import InvoiceStatus, LedgerEntryKind
from models.invoices import Invoice, InvoiceLine
from models.ledger import LedgerEntry
from models.patients import Patient


@dataclass(frozen=True, slots=True)
class Audience:
    """Whose bills a reader may see: every patient's and organization's (staff), one
    patient's own, or one organization's own."""

    all_patients: bool
    patient_id: int | None
    organization_id: int | None = None

    @classmethod
    def everyone(cls) -> Audience:
        return cls(all_patients=True, patient_id=None)

    @classmethod
    def patient(cls, patient_id: int) -> Audience:
        return cls(all_patients=False, patient_id=patient_id)

    @classmethod
    def organization(cls, organization_id: int) -> Audience:
        return cls(all_patients=False, patient_id=None, organization_id=organization_id)

    def restrict(
        self, condition: Q, patient_field: str = "patient_id", *, organizations: bool = True
    ) -> Q:
        """``condition``, further limited to this audience's patient or organization when
        it has one. ``organizations=False`` for rows no organization can own (plans, saved
        cards): an organization's audience sees none of them."""
        if self.all_patients:
            return condition
        if self.organization_id is not None and not organizations:
            return condition & Q(id__in=[])
        if self.organization_id is not None:
            owner_field = patient_field.removesuffix("patient_id") + "organization_id"
            same_owner: dict[str, Any] = {owner_field: self.organization_id}
            return condition & Q(**same_owner)
        if self.patient_id is None:
            # Nobody's bills: an unset patient must never match the invoices naming none.
            return condition & Q(id__in=[])
        same_patient: dict[str, Any] = {patient_field: self.patient_id}
        return condition & Q(**same_patient)


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    """An invoice's own columns, with its cached ledger figures. Exactly one of
    ``patient_id`` and ``organization_id`` is set."""

    id: int
    patient_id: int | None
    organization_id: int | None
    purchase_order_number: str | None
    location_id: int
    number: str
    status: InvoiceStatus
    provider_name: str
    service_date: date
    issued_at: date
    due_at: date
    currency: str
    total_minor: int
    balance_minor: int
    insurance_pending_minor: int
    disputed: bool


@dataclass(frozen=True, slots=True)
class InvoiceLineRecord:
    id: int
    invoice_id: int
    code: str
    description: str
    quantity: int
    unit_price_minor: int
    amount_minor: int
    reorderable: bool
    sku: str | None
    currency: str
    patient_id: int | None


class InvoiceSortField(StrEnum):
    """What a list of invoices can be sorted by; each value is the cached column used."""

    ISSUED_AT = "issued_at"
    DUE_AT = "due_at"
    TOTAL = "total_minor"
    BALANCE = "balance_minor"
    PROVIDER = "provider_name"


SortValue = date | int | str


@dataclass(frozen=True, slots=True)
class InvoiceSort:
    field: InvoiceSortField = InvoiceSortField.ISSUED_AT
    descending: bool = True


@dataclass(frozen=True, slots=True)
class InvoicePosition:
    """Where a page ended: the last row's sort value and id (the id breaks ties)."""

    value: SortValue
    id: int


@dataclass(frozen=True, slots=True)
class InvoiceFilters:
    """Conditions that must all hold; ``None`` means no condition. ``today`` decides what
    is overdue (due before today with something left to pay); ``overdue`` needs it."""

    statuses: tuple[InvoiceStatus, ...] | None = None
    provider_contains: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    overdue: bool | None = None
    today: date | None = None
    # Staff lists: several patients live in several time zones, so "today" is each zone's.
    today_by_timezone: tuple[tuple[str, date], ...] | None = None
    location_id: int | None = None
    patient_id: int | None = None
    organization_id: int | None = None
    # True: only organizations' invoices; False: only patients'.
    billed_to_organization: bool | None = None
    disputed: bool | None = None
    # Insurance still pending on an invoice expected from insurance on or before this instant.
    insurance_pending_since: datetime | None = None
    # The least balance, in minor units, per currency.
    min_balance_minor: tuple[tuple[str, int], ...] | None = None


@dataclass(frozen=True, slots=True)
class InvoiceListing:
    """Which invoices a list shows: the audience's, matching the filters."""

    audience: Audience
    filters: InvoiceFilters


@dataclass(frozen=True, slots=True)
class InvoicePage:
    records: list[InvoiceRecord]
    has_next_page: bool


_DEFAULT_TIMEZONE = "America/New_York"
_INVOICE_COLUMNS = tuple(InvoiceRecord.__slots__)
# Of the line's own columns; its currency and patient are its invoice's.
_LINE_COLUMNS = tuple(
    name for name in InvoiceLineRecord.__slots__ if name not in ("currency", "patient_id")
)
_LINE_INVOICE_COLUMNS = {"currency": "invoice__currency", "patient_id": "invoice__patient_id"}


def sort_value(record: InvoiceRecord, field: InvoiceSortField) -> SortValue:
    """The value ``record`` is sorted on; with its id, the keyset position after it."""
    value: SortValue = getattr(record, field.value)
    return value


async def invoice_page(
    listing: InvoiceListing,
    sort: InvoiceSort,
    after: InvoicePosition | None,
    limit: int,
) -> InvoicePage:
    """Up to ``limit`` invoices that follow ``after`` in ``sort`` order (ties broken by id,
    in the same direction). Keyset, not offsets: rows added or removed before the
    position never shift the next page."""
    condition = _filter_condition(listing)
    if after is not None:
        condition &= _after_condition(sort, after)
    column = sort.field.value
    prefix = "-" if sort.descending else ""
    rows = (
        await Invoice.filter(condition)
        .order_by(f"{prefix}{column}", f"{prefix}id")
        .limit(limit + 1)
        .values(*_INVOICE_COLUMNS)
    )
    records = [_invoice_record(row) for row in rows[:limit]]
    return InvoicePage(records=records, has_next_page=len(rows) > limit)


async def count_invoices(listing: InvoiceListing) -> int:
    """How many invoices the listing holds, on every page."""
    return await Invoice.filter(_filter_condition(listing)).count()


async def invoices_by_id(audience: Audience, ids: Iterable[int]) -> dict[int, InvoiceRecord]:
    """The invoices among ``ids`` that the audience may see, by id; others are left out."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await Invoice.filter(audience.restrict(Q(id__in=wanted))).values(*_INVOICE_COLUMNS)
    return {record.id: record for record in map(_invoice_record, rows)}


async def lines_by_invoice(invoice_ids: Sequence[int]) -> dict[int, list[InvoiceLineRecord]]:
    """Each invoice's lines, in invoice order; an invoice without lines is left out."""
    rows = (
        await InvoiceLine.filter(invoice_id__in=sorted(set(invoice_ids)))
        .order_by("invoice_id", "position")
        .values(*_LINE_COLUMNS, **_LINE_INVOICE_COLUMNS)
    )
    grouped: dict[int, list[InvoiceLineRecord]] = defaultdict(list)
    for row in rows:
        line = _line_record(row)
        grouped[line.invoice_id].append(line)
    return grouped


async def visible_lines_by_id(
    audience: Audience, line_ids: Iterable[int]
) -> dict[int, InvoiceLineRecord]:
    """Lines by id whose invoice the audience may see; others are left out."""
    condition = audience.restrict(Q(id__in=sorted(set(line_ids))), "invoice__patient_id")
    rows = await InvoiceLine.filter(condition).values(*_LINE_COLUMNS, **_LINE_INVOICE_COLUMNS)
    return {line.id: line for line in map(_line_record, rows)}


async def patient_responsibility_by_invoice(invoice_ids: Sequence[int]) -> dict[int, int]:
    """What each patient owes on each invoice, insurance aside, in minor units, from the
    ledger (``billing.ledger.figures.summarize`` of the rows, summed per kind in SQL)."""
    rows = (
        await LedgerEntry.filter(invoice_id__in=sorted(set(invoice_ids)))
        .annotate(amount_sum=Sum("amount_minor"))
        .group_by("invoice_id", "kind")
        .values_list("invoice_id", "kind", "amount_sum")
    )
    sums: dict[int, list[_KindSum]] = defaultdict(list)
    for invoice_id, kind, amount in rows:
        sums[int(invoice_id)].append(_KindSum(LedgerEntryKind(kind), int(amount or 0)))
    return {
        invoice_id: summarize(sums.get(invoice_id, [])).patient_responsibility
        for invoice_id in invoice_ids
    }


@dataclass(frozen=True, slots=True)
class _KindSum:
    """All of an invoice's ledger rows of one kind, as one fact for ``summarize``."""

    kind: LedgerEntryKind
    amount_minor: int


async def patient_today(patient_id: int) -> date:
    """Today's date where the patient lives, which decides what is overdue for them."""
    return (await todays_by_patient([patient_id]))[patient_id]


async def todays_by_patient(patient_ids: Sequence[int]) -> dict[int, date]:
    """Today's date where each patient lives, in one query; the default time zone for a
    patient not found."""
    wanted = sorted(set(patient_ids))
    rows = await Patient.filter(id__in=wanted).values_list("id", "timezone")
    zones = {int(patient_id): str(zone) for patient_id, zone in rows}
    today_in: dict[str, date] = {}
    for zone in {zones.get(patient_id, _DEFAULT_TIMEZONE) for patient_id in wanted}:
        today_in[zone] = datetime.now(ZoneInfo(zone)).date()
    return {patient_id: today_in[zones.get(patient_id, _DEFAULT_TIMEZONE)] for patient_id in wanted}


def is_overdue(due_at: date, balance_minor: int, status: InvoiceStatus, today: date) -> bool:
    """The one rule of what is overdue: due before ``today`` (the patient's local date)
    with a balance left, and not void. ``overdue_condition`` is the same rule for SQL."""
    return due_at < today and balance_minor > 0 and status is not InvoiceStatus.VOID


def overdue_condition(today: date) -> Q:
    """``is_overdue`` as a filter on the cached invoice columns."""
    return Q(due_at__lt=today, balance_minor__gt=0) & ~Q(status=InvoiceStatus.VOID)


def _filter_condition(listing: InvoiceListing) -> Q:
    filters = listing.filters
    condition = listing.audience.restrict(Q())
    if filters.statuses:
        condition &= Q(status__in=list(filters.statuses))
    if filters.provider_contains:
        condition &= Q(provider_name__icontains=filters.provider_contains)
    if filters.issued_from is not None:
        condition &= Q(issued_at__gte=filters.issued_from)
    if filters.issued_to is not None:
        condition &= Q(issued_at__lte=filters.issued_to)
    if filters.overdue is not None:
        overdue = _overdue(filters)
        condition &= overdue if filters.overdue else ~overdue
    if filters.location_id is not None:
        condition &= Q(location_id=filters.location_id)
    if filters.patient_id is not None:
        condition &= Q(patient_id=filters.patient_id)
    if filters.organization_id is not None:
        condition &= Q(organization_id=filters.organization_id)
    if filters.billed_to_organization is not None:
        condition &= Q(organization_id__isnull=not filters.billed_to_organization)
    if filters.disputed is not None:
        condition &= Q(disputed=filters.disputed)
    if filters.insurance_pending_since is not None:
        expected = LedgerEntry.filter(
            kind=LedgerEntryKind.INSURANCE_EXPECTED, created_at__lte=filters.insurance_pending_since
        ).values("invoice_id")
        condition &= Q(insurance_pending_minor__gt=0, id__in=Subquery(expected))
    if filters.min_balance_minor is not None:
        least = Q(id__lt=0)  # no currency given: nothing matches
        for currency, minor in filters.min_balance_minor:
            least |= Q(currency=currency, balance_minor__gte=minor)
        condition &= least
    return condition


def _overdue(filters: InvoiceFilters) -> Q:
    if filters.today_by_timezone is not None:
        # The patient's own date decides, as ``is_overdue`` does for one invoice.
        due = Q(id__lt=0)
        for zone, today in filters.today_by_timezone:
            due |= Q(patient__timezone=zone, due_at__lt=today)
        # An organization's invoice: today in the default time zone, as Invoice.overdue says.
        business_today = datetime.now(ZoneInfo(_DEFAULT_TIMEZONE)).date()
        due |= Q(patient_id__isnull=True, due_at__lt=business_today)
        return due & Q(balance_minor__gt=0) & ~Q(status=InvoiceStatus.VOID)
    if filters.today is None:
        raise ValueError("the overdue condition needs today's date")
    return overdue_condition(filters.today)


async def todays_by_timezone() -> tuple[tuple[str, date], ...]:
    """Today's date in each time zone where a patient lives, in one query."""
    zones = await Patient.all().distinct().values_list("timezone", flat=True)
    return tuple((str(zone), datetime.now(ZoneInfo(str(zone))).date()) for zone in sorted(zones))


def _after_condition(sort: InvoiceSort, after: InvoicePosition) -> Q:
    column = sort.field.value
    beyond = "lt" if sort.descending else "gt"
    past_value: dict[str, Any] = {f"{column}__{beyond}": after.value}
    same_value_past_id: dict[str, Any] = {column: after.value, f"id__{beyond}": after.id}
    return Q(**past_value) | Q(**same_value_past_id)


def _invoice_record(row: dict[str, Any]) -> InvoiceRecord:
    return InvoiceRecord(**{**row, "status": InvoiceStatus(row["status"])})


def _line_record(row: dict[str, Any]) -> InvoiceLineRecord:
    return InvoiceLineRecord(**row)
