"""Pages of payments as connections, newest first, with keyset cursors; shared by the
staff list and a patient record's payments."""

from __future__ import annotations

import datetime
from typing import Any

from strawberry import Info, relay

from billing.payments.reads import PaymentListing, PaymentPosition, PaymentRecord, payment_page
from schema.common.keyset import (
    decode_keyset_cursor,
    encode_keyset_cursor,
    invalid_cursor_error,
    page_size,
)
from schema.context import GraphQLContext
from schema.payments.types import Payment, PaymentConnection

_ORDER = "payments:CREATED_AT:DESC"


async def payment_connection(
    info: Info[GraphQLContext, Any],
    listing: PaymentListing,
    *,
    first: int | None,
    after: str | None,
) -> PaymentConnection:
    """One page of ``listing``, every payment on the access log; one statement (and one
    for ``totalCount`` when it is asked for)."""
    limit = page_size(first)
    position = None if after is None else _position(after)
    page = await payment_page(listing, position, limit)
    for record in page.records:
        info.context.record_read("Payment", record.id, record.patient_id)
    edges = [
        relay.Edge(cursor=_cursor(record), node=Payment.from_model(record))
        for record in page.records
    ]
    return PaymentConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        listing=listing,
    )


def _cursor(record: PaymentRecord) -> str:
    return encode_keyset_cursor(_ORDER, record.created_at.isoformat(), record.id)


def _position(after: str) -> PaymentPosition:
    cursor = decode_keyset_cursor(after, _ORDER)
    if not isinstance(cursor.value, str):
        raise invalid_cursor_error()
    try:
        created_at = datetime.datetime.fromisoformat(cursor.value)
    except ValueError:
        raise invalid_cursor_error() from None
    if created_at.tzinfo is None:
        raise invalid_cursor_error()
    return PaymentPosition(created_at=created_at, id=cursor.id)
