"""Financial report queries. Staff only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry
from strawberry import relay

from auth.scopes import Scope
from billing.errors import DomainError, ErrorCode
from billing.reports.receivables import receivables
from schema.common import fields
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.ids import row_id
from schema.common.permissions import requires
from schema.reports.types import Receivables


@strawberry.type
class ReportQuery:
    @fields.field(
        description=(
            "Receivables of one location, or of all when locationId is null, in USD; void "
            "invoices are left out. Aging counts days past due as of today in UTC. Staff only."
        ),
        permission_classes=[requires(Scope.REPORTS_READ)],
    )
    async def receivables(
        self,
        location_id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(description="One location (a Location ID); null for all."),
        ] = None,
    ) -> Receivables:
        try:
            location = None if location_id is None else row_id(location_id, "Location", "")
            report = await receivables(location, today=datetime.now(UTC).date())
        except DomainError as error:
            code = (
                RequestErrorCode.NOT_FOUND
                if error.code is ErrorCode.NOT_FOUND
                else RequestErrorCode.BAD_USER_INPUT
            )
            raise ExpectedError(code, error.message) from None
        return Receivables.from_report(report)
