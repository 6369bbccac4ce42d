"""Financial report queries. Staff only."""

from __future__ import annotations

import strawberry
from strawberry import relay

from auth.scopes import Scope
from schema.common import fields
from schema.common.errors import raise_not_implemented
from schema.common.permissions import requires
from schema.reports.types import Receivables


@strawberry.type
class ReportQuery:
    @fields.field(
        description="Receivables of one location, or of all when locationId is null. Staff only.",
        permission_classes=[requires(Scope.REPORTS_READ)],
    )
    async def receivables(self, location_id: relay.GlobalID | None = None) -> Receivables:
        raise_not_implemented("Receivables reports")
