"""Financial report queries. Staff only."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.errors import DomainError, ErrorCode
from billing.reports.collections import collections_report
from billing.reports.receivables import receivables
from billing.reports.revenue import revenue_by_service
from schema.common import fields
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.ids import row_id
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.reports.types import (
    INTERVALS,
    CollectionsPeriod,
    Receivables,
    ReportInterval,
    ServiceRevenue,
)

FromDate = Annotated[
    datetime.date, strawberry.argument(name="from", description="The first date (included).")
]
ToDate = Annotated[datetime.date, strawberry.argument(description="The last date (included).")]
IntervalArgument = Annotated[
    ReportInterval, strawberry.argument(description="The length of a period.")
]
LocationArgument = Annotated[
    relay.GlobalID | None, strawberry.argument(description="One location; null for all.")
]


@strawberry.type
class ReportQuery:
    @fields.field(
        description=(
            "Receivables of one location, or of all when locationId is null, one entry per "
            "currency (the service's currencies always, any other that was billed too); "
            "void invoices are left out. Aging counts days past due as of today where each "
            "invoice's location is. Staff only."
        ),
        permission_classes=[requires(Scope.REPORTS_READ)],
    )
    async def receivables(
        self, info: Info[GraphQLContext, Any], location_id: LocationArgument = None
    ) -> list[Receivables]:
        currencies = info.context.settings.currencies
        reports = await _answer(
            lambda location: receivables(location, datetime.datetime.now(datetime.UTC), currencies),
            location_id,
        )
        return [Receivables.from_report(report) for report in reports]

    @fields.field(
        description=(
            "What was billed (charges), collected (patient payments applied to invoices, "
            "less overpayments moved to credit), refunded (refunds and lost disputes) and "
            "adjusted (discounts, write-offs, corrections), per day, week (from Monday) or "
            "month, from the period holding `from` to the one holding `to`. Each movement "
            "counts on its date where its invoice's location is. One row per period and "
            "currency, periods without movement left out; void invoices are left out. "
            "Staff only."
        ),
        permission_classes=[requires(Scope.REPORTS_READ)],
    )
    async def collections_report(
        self,
        from_: FromDate,
        to: ToDate,
        interval: IntervalArgument,
        location_id: LocationArgument = None,
    ) -> list[CollectionsPeriod]:
        rows = await _answer(
            lambda location: collections_report(from_, to, INTERVALS[interval], location),
            location_id,
        )
        return [CollectionsPeriod.from_row(row) for row in rows]

    @fields.field(
        description=(
            "Per procedure or product code and currency, of invoices issued from `from` to "
            "`to` (not void): quantity, billed, and what patients paid (each invoice's net "
            "payments shared among its lines by amount). Staff only; codes and "
            "descriptions read as null for callers who may not see clinical details."
        ),
        permission_classes=[requires(Scope.REPORTS_READ)],
    )
    async def revenue_by_service(
        self,
        from_: FromDate,
        to: ToDate,
        location_id: LocationArgument = None,
    ) -> list[ServiceRevenue]:
        rows = await _answer(lambda location: revenue_by_service(from_, to, location), location_id)
        return [ServiceRevenue.from_row(row) for row in rows]


async def _answer(
    report: Any,
    location_id: relay.GlobalID | None,
) -> Any:
    """Run ``report(location)``, its expected failures as request errors."""
    try:
        location = None if location_id is None else row_id(location_id, "Location", "")
        awaited: Awaitable[Any] = report(location)
        return await awaited
    except DomainError as error:
        code = (
            RequestErrorCode.NOT_FOUND
            if error.code is ErrorCode.NOT_FOUND
            else RequestErrorCode.BAD_USER_INPUT
        )
        raise ExpectedError(code, error.message) from None
