"""Audit trail queries. Auditors only."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.audit.reads import AuditEventFilter, audit_events_page
from models.enums import AuditOutcome
from schema.audit.types import AuditEventConnection, decode_audit_cursor
from schema.common import fields
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.pagination import AfterArgument, FirstArgument, page_request
from schema.common.permissions import requires
from schema.context import GraphQLContext

# A positive 64-bit row id, in ASCII digits.
_ROW_ID = re.compile(r"[1-9][0-9]{0,17}")


@strawberry.input(description="Which audit events to list; every given condition must hold.")
class AuditFilter:
    actor_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Done by this user (a User ID)."
    )
    patient_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Touching this patient's data (a Patient ID)."
    )
    action: str | None = strawberry.field(
        default=None, description='This action exactly, such as "invoice.read".'
    )
    from_: datetime.datetime | None = strawberry.field(
        name="from", default=None, description="At or after this time; UTC when no offset."
    )
    to: datetime.datetime | None = strawberry.field(
        default=None, description="Before this time; UTC when no offset."
    )

    def conditions(self) -> AuditEventFilter:
        """The filter in the domain's terms; ``BAD_USER_INPUT`` for an ID of another type."""
        return AuditEventFilter(
            actor_id=_node_id(self.actor_id, "User", "actorId"),
            patient_id=_node_id(self.patient_id, "Patient", "patientId"),
            action=self.action,
            occurred_from=_utc(self.from_),
            occurred_before=_utc(self.to),
        )


@strawberry.type
class AuditQuery:
    @fields.field(
        description="Audit events, newest first. Auditors only; reading them is audited too.",
        permission_classes=[requires(Scope.AUDIT_READ)],
    )
    async def audit_trail(
        self,
        info: Info[GraphQLContext, Any],
        first: FirstArgument = None,
        after: AfterArgument = None,
        filter: Annotated[
            AuditFilter | None, strawberry.argument(description="Which events; null for all.")
        ] = None,
    ) -> AuditEventConnection:
        limit = page_request(first, None).limit
        before_id = None if after is None else decode_audit_cursor(after)
        conditions = filter.conditions() if filter is not None else AuditEventFilter()
        rows = await audit_events_page(conditions, before_id=before_id, limit=limit + 1)
        shown = rows[:limit]
        info.context.audit.record(
            "audit.read",
            AuditOutcome.SUCCESS,
            resource_type="AuditEvent",
            resource_id=",".join(str(row.id) for row in shown),
            patient_id=conditions.patient_id,
        )
        return AuditEventConnection.from_rows(rows, limit=limit, after_given=after is not None)


def _node_id(global_id: relay.GlobalID | None, type_name: str, field: str) -> int | None:
    if global_id is None:
        return None
    if global_id.type_name == type_name and _ROW_ID.fullmatch(global_id.node_id):
        return int(global_id.node_id)
    raise ExpectedError(
        RequestErrorCode.BAD_USER_INPUT, f"`filter.{field}` is not a {type_name} ID."
    )


def _utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=datetime.UTC)
