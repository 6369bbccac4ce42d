"""Queries about invoices, with their filter and order inputs."""

from __future__ import annotations

import datetime
from enum import Enum

import strawberry

from schema.common import fields
from schema.common.errors import raise_not_implemented
from schema.common.pagination import AfterArgument, FirstArgument, OrderDirection, page_request
from schema.invoices.types import InvoiceConnection, InvoiceStatus


@strawberry.input(description="Which invoices to list; every given condition must hold.")
class InvoiceFilter:
    status: list[InvoiceStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
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
        default=None, description="True: only overdue invoices; false: only those not overdue."
    )


@strawberry.enum(description="What invoices can be sorted by.")
class InvoiceOrderField(Enum):
    ISSUED_AT = "ISSUED_AT"
    DUE_AT = "DUE_AT"
    TOTAL = "TOTAL"
    BALANCE = "BALANCE"
    PROVIDER = "PROVIDER"


@strawberry.input(description="How invoices are sorted.")
class InvoiceOrder:
    field: InvoiceOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description="Which way; newest or largest first by default."
    )


@strawberry.type
class InvoiceQuery:
    @fields.field(description="The signed-in patient's invoices, newest first by default.")
    async def my_invoices(
        self,
        first: FirstArgument = None,
        after: AfterArgument = None,
        filter: InvoiceFilter | None = None,
        order_by: InvoiceOrder | None = None,
    ) -> InvoiceConnection:
        page_request(first, after)
        raise_not_implemented("Listing invoices")
