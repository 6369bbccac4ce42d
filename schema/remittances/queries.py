"""Queries of remittances: the list, and the worklist of claims left unmatched."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import Info

from auth.scopes import Scope
from billing.remittances.reads import remittance_page
from schema.common import fields
from schema.common.pagination import AfterArgument, FirstArgument, page_of, page_request
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.remittances.types import Remittance, RemittanceConnection, _record_remittance

UnmatchedOnlyArgument = Annotated[
    bool | None,
    strawberry.argument(
        description="True: only remittances with claims waiting for staff (the worklist)."
    ),
]


@strawberry.type
class RemittanceQuery:
    @fields.field(
        description="Uploaded remittances (835 files), newest first. Staff only.",
        permission_classes=[requires(Scope.BILLING_ALL_READ)],
    )
    async def remittances(
        self,
        info: Info[GraphQLContext, Any],
        first: FirstArgument = None,
        after: AfterArgument = None,
        unmatched_only: UnmatchedOnlyArgument = None,
    ) -> RemittanceConnection:
        page = page_request(first, after)
        only = bool(unmatched_only)
        rows = await remittance_page(
            unmatched_only=only, offset=page.offset, limit=page.fetch_limit
        )
        for row in rows[: page.limit]:
            _record_remittance(info.context, row)
        edges, page_info = page_of([Remittance.from_model(row) for row in rows], page)
        return RemittanceConnection(edges=edges, page_info=page_info, unmatched_only=only)
