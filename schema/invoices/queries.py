"""Queries about invoices, with their filter and order inputs."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.invoices.reads import (
    Audience,
    InvoiceFilters,
    InvoiceListing,
    InvoicePosition,
    InvoiceRecord,
    InvoiceSort,
    InvoiceSortField,
    SortValue,
    invoice_page,
    patient_today,
    sort_value,
)
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.keyset import (
    decode_keyset_cursor,
    encode_keyset_cursor,
    invalid_cursor_error,
    page_size,
)
from schema.common.pagination import AfterArgument, FirstArgument, OrderDirection
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.invoices.types import Invoice, InvoiceConnection, InvoiceStatus


@strawberry.input(description="Which invoices to list; every given condition must hold.")
class InvoiceFilter:
    status: list[InvoiceStatus] | None = strawberry.field(
        default=None, description="Any of these statuses; null or empty for any status."
    )
    provider_name: str | None = strawberry.field(
        default=None, description="Providers whose name contains this text, ignoring case."
    )
    issued_from: datetime.date | None = strawberry.field(
        default=None, description="Issued on or after this date."
    )
    issued_to: datetime.date | None = strawberry.field(
        default=None, description="Issued on or before this date."
    )
    overdue: bool | None = strawberry.field(
        default=None,
        description=(
            "True: only overdue invoices (due before today, where the patient lives, with a "
            "balance left, not void), as Invoice.overdue says; false: only those not overdue."
        ),
    )


class InvoiceOrderField(Enum):
    ISSUED_AT = "ISSUED_AT"
    DUE_AT = "DUE_AT"
    TOTAL = "TOTAL"
    BALANCE = "BALANCE"
    PROVIDER = "PROVIDER"


described_enum(
    InvoiceOrderField,
    "What invoices can be sorted by.",
    {
        "ISSUED_AT": "When the invoice was issued.",
        "DUE_AT": "When payment is due.",
        "TOTAL": "The invoice total.",
        "BALANCE": "What is still owed.",
        "PROVIDER": "The provider's name, alphabetically.",
    },
)


@strawberry.input(description="How invoices are sorted; invoices that tie keep a fixed order.")
class InvoiceOrder:
    field: InvoiceOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description="Which way; newest or largest first by default."
    )


_SORT_FIELDS = {
    InvoiceOrderField.ISSUED_AT: InvoiceSortField.ISSUED_AT,
    InvoiceOrderField.DUE_AT: InvoiceSortField.DUE_AT,
    InvoiceOrderField.TOTAL: InvoiceSortField.TOTAL,
    InvoiceOrderField.BALANCE: InvoiceSortField.BALANCE,
    InvoiceOrderField.PROVIDER: InvoiceSortField.PROVIDER,
}
_DATE_FIELDS = frozenset({InvoiceSortField.ISSUED_AT, InvoiceSortField.DUE_AT})
_INT_FIELDS = frozenset({InvoiceSortField.TOTAL, InvoiceSortField.BALANCE})


@strawberry.type
class InvoiceQuery:
    @fields.field(
        description="The signed-in patient's invoices, newest first by default.",
        permission_classes=[requires(Scope.BILLING_OWN_READ)],
    )
    async def my_invoices(
        self,
        info: Info[GraphQLContext, None],
        first: FirstArgument = None,
        after: AfterArgument = None,
        filter: Annotated[
            InvoiceFilter | None, strawberry.argument(description="Which invoices; null for all.")
        ] = None,
        order_by: Annotated[
            InvoiceOrder | None,
            strawberry.argument(description="The order; null for newest issued first."),
        ] = None,
    ) -> InvoiceConnection:
        limit = page_size(first)
        sort = _sort(order_by)
        position = None if after is None else _position(after, sort)
        patient_id = info.context.viewer.patient_id
        if patient_id is None:
            raise ExpectedError(RequestErrorCode.FORBIDDEN, "Only patients have invoices.")
        listing = InvoiceListing(Audience.patient(patient_id), await _filters(filter, patient_id))
        page = await invoice_page(listing, sort, position, limit)
        for record in page.records:
            info.context.record_read("Invoice", record.id, record.patient_id)
        edges = [
            relay.Edge(cursor=_cursor(record, sort), node=Invoice.from_model(record))
            for record in page.records
        ]
        return InvoiceConnection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            listing=listing,
        )


def _sort(order_by: InvoiceOrder | None) -> InvoiceSort:
    if order_by is None:
        return InvoiceSort()
    return InvoiceSort(
        field=_SORT_FIELDS[order_by.field],
        descending=order_by.direction is OrderDirection.DESC,
    )


def _order_tag(sort: InvoiceSort) -> str:
    return f"invoices:{sort.field.name}:{'DESC' if sort.descending else 'ASC'}"


def _cursor(record: InvoiceRecord, sort: InvoiceSort) -> str:
    value = sort_value(record, sort.field)
    encoded = value.isoformat() if isinstance(value, datetime.date) else value
    return encode_keyset_cursor(_order_tag(sort), encoded, record.id)


def _position(after: str, sort: InvoiceSort) -> InvoicePosition:
    cursor = decode_keyset_cursor(after, _order_tag(sort))
    raw = cursor.value
    value: SortValue
    if sort.field in _DATE_FIELDS:
        if not isinstance(raw, str):
            raise invalid_cursor_error()
        try:
            value = datetime.date.fromisoformat(raw)
        except ValueError:
            raise invalid_cursor_error() from None
    elif sort.field in _INT_FIELDS:
        if not isinstance(raw, int):
            raise invalid_cursor_error()
        value = raw
    else:
        if not isinstance(raw, str):
            raise invalid_cursor_error()
        value = raw
    return InvoicePosition(value=value, id=cursor.id)


async def _filters(given: InvoiceFilter | None, patient_id: int) -> InvoiceFilters:
    if given is None:
        return InvoiceFilters()
    # "Today" matters only to the overdue condition; it is the patient's local date.
    today = None if given.overdue is None else await patient_today(patient_id)
    provider = (given.provider_name or "").strip()
    return InvoiceFilters(
        today=today,
        statuses=tuple(given.status) if given.status else None,
        provider_contains=provider or None,
        issued_from=given.issued_from,
        issued_to=given.issued_to,
        overdue=given.overdue,
    )
