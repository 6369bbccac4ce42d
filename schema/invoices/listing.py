"""Pages of invoices as connections: keyset cursors over any sort, shared by the patient's
own list, the staff list and a patient record's invoices."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import Info, relay

from billing.invoices.reads import (
    InvoiceListing,
    InvoicePosition,
    InvoiceRecord,
    InvoiceSort,
    InvoiceSortField,
    SortValue,
    invoice_page,
    sort_value,
)
from schema.common.enums import described_enum
from schema.common.keyset import (
    decode_keyset_cursor,
    encode_keyset_cursor,
    invalid_cursor_error,
    page_size,
)
from schema.common.pagination import OrderDirection
from schema.context import GraphQLContext
from schema.invoices.types import Invoice, InvoiceConnection


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


def check_page_arguments(
    first: int | None, after: str | None, order_by: InvoiceOrder | None
) -> None:
    """``BAD_USER_INPUT`` for a bad ``first`` or a cursor that is not one of ours for this
    order, before anything else is looked at."""
    page_size(first)
    if after is not None:
        _position(after, _sort(order_by))


async def invoice_connection(
    info: Info[GraphQLContext, Any],
    listing: InvoiceListing,
    *,
    first: int | None,
    after: str | None,
    order_by: InvoiceOrder | None,
) -> InvoiceConnection:
    """One page of ``listing`` after the cursor ``after``, every invoice on the access log.
    One statement for the page (and one for ``totalCount`` when it is asked for)."""
    limit = page_size(first)
    sort = _sort(order_by)
    position = None if after is None else _position(after, sort)
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
