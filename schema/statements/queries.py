"""Queries of statements: the staff queue of paper statements to mail."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import Info

from auth.scopes import Scope
from billing.statements.paper import paper_statement_queue, patients_by_id
from schema.common import fields
from schema.common.pagination import AfterArgument, FirstArgument, page_request
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.statements.types import (
    RESOURCE_TYPE,
    PaperStatementRequestConnection,
    PaperStatementStatus,
    decode_paper_statement_cursor,
)

StatusArgument = Annotated[
    PaperStatementStatus | None,
    strawberry.argument(description="Only requests in this state; null for all."),
]


@strawberry.type
class StatementQuery:
    @fields.field(
        description="Requests for paper statements, oldest first. Staff only.",
        permission_classes=[requires(Scope.PATIENTS_READ)],
    )
    async def paper_statement_queue(
        self,
        info: Info[GraphQLContext, Any],
        first: FirstArgument = None,
        after: AfterArgument = None,
        status: StatusArgument = None,
    ) -> PaperStatementRequestConnection:
        limit = page_request(first, None).limit
        after_id = None if after is None else decode_paper_statement_cursor(after)
        records = await paper_statement_queue(status, after_id=after_id, limit=limit + 1)
        shown = records[:limit]
        patients = await patients_by_id(record.patient_id for record in shown)
        for record in shown:
            info.context.record_read(RESOURCE_TYPE, record.id, record.patient_id)
        return PaperStatementRequestConnection.from_records(
            records, patients, limit=limit, after_given=after is not None
        )
