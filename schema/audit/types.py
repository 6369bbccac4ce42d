"""GraphQL types of the audit trail."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

import strawberry
from strawberry import Info, relay
from strawberry.relay.utils import from_base64, to_base64

from auth.scopes import Scope
from models.audit import AuditEvent as AuditEventRow
from models.enums import AuditOutcome as AuditOutcome
from schema.accounts.types import Role, User
from schema.audit.loaders import users_by_id
from schema.common import fields
from schema.common.enums import described_enum
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.node import nobody, visible_nodes_by_id
from schema.context import GraphQLContext

described_enum(
    AuditOutcome,
    "How an audited action ended.",
    {
        "SUCCESS": "It was done.",
        "FAILURE": "It was tried and refused by a rule (the reference holds the error code).",
        "DENIED": "The caller was not allowed to try.",
    },
)

_CURSOR_PREFIX = "audit-event"


@strawberry.type(description="Who did what to which record, and when. Append-only.")
class AuditEvent(relay.Node):
    id: relay.NodeID[int]
    occurred_at: datetime.datetime = strawberry.field(description="When it happened.")
    actor_role: Role | None = strawberry.field(
        description="The role the actor acted in; null for the system."
    )
    action: str = strawberry.field(description='What was done, such as "invoice.read".')
    resource_type: str = strawberry.field(description="The kind of record acted on.")
    resource_id: str = strawberry.field(
        description="The record acted on; several comma-separated ids for a batch of reads."
    )
    patient_id: relay.GlobalID | None = strawberry.field(
        description="The ID of the patient whose data it was, if any."
    )
    outcome: AuditOutcome = strawberry.field(description="How it ended.")
    ip_address: str = strawberry.field(description="Where the request came from.")
    request_id: str = strawberry.field(description="The request's id, as in the logs.")
    actor_id: strawberry.Private[int | None]

    @fields.field(description="Who did it; null for the system or an anonymous caller.")
    async def actor(self, info: Info[GraphQLContext, Any]) -> User | None:
        if self.actor_id is None:
            return None
        row = await users_by_id(info.context).load(self.actor_id)
        return None if row is None else User.from_model(row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: Info[GraphQLContext, Any],
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[AuditEvent | None]:
        """Any event, for auditors (reading it is audited, as with auditTrail); null for
        everyone else."""

        async def load(ids: list[int]) -> list[AuditEventRow | None]:
            rows = {row.id: row for row in await AuditEventRow.filter(id__in=ids)} if ids else {}
            return [rows.get(event_id) for event_id in ids]

        allowed = info.context.viewer.can(Scope.AUDIT_READ)
        return await visible_nodes_by_id(
            info,
            node_ids,
            required=required,
            load=load if allowed else nobody,
            build=cls.from_model,
            record=_record_audit_read,
        )

    @classmethod
    def from_model(cls, row: AuditEventRow) -> AuditEvent:
        return cls(
            id=row.id,
            occurred_at=row.occurred_at,
            actor_role=_role(row.actor_role),
            action=row.action,
            resource_type=row.resource_type,
            resource_id=row.resource_id,
            patient_id=(
                relay.GlobalID("Patient", str(row.patient_id))
                if row.patient_id is not None
                else None
            ),
            outcome=AuditOutcome(row.outcome),
            ip_address=row.ip_address,
            request_id=row.request_id,
            actor_id=row.actor_id,
        )


@strawberry.type(name="AuditEventConnection", description="A page of audit events.")
class AuditEventConnection(relay.Connection[AuditEvent]):
    @classmethod
    def from_rows(
        cls, rows: Sequence[AuditEventRow], *, limit: int, after_given: bool
    ) -> AuditEventConnection:
        """The page of ``rows`` fetched newest first with ``limit + 1`` rows, so that one
        row more than ``limit`` means another page follows."""
        edges = [
            relay.Edge(cursor=encode_audit_cursor(row.id), node=AuditEvent.from_model(row))
            for row in rows[:limit]
        ]
        page_info = relay.PageInfo(
            has_next_page=len(rows) > limit,
            has_previous_page=after_given,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return cls(edges=edges, page_info=page_info)


def _record_audit_read(context: GraphQLContext, row: AuditEventRow) -> None:
    context.audit.record(
        "audit.read",
        AuditOutcome.SUCCESS,
        resource_type="AuditEvent",
        resource_id=str(row.id),
        patient_id=row.patient_id,
    )


def encode_audit_cursor(event_id: int) -> str:
    return to_base64(_CURSOR_PREFIX, event_id)


def decode_audit_cursor(cursor: str) -> int:
    """The id of the event a cursor points at; ``BAD_USER_INPUT`` for anything else."""
    try:
        prefix, raw_id = from_base64(cursor)
        event_id = int(raw_id)
    except ValueError:
        prefix, event_id = "", 0
    if prefix != _CURSOR_PREFIX or event_id <= 0:
        raise ExpectedError(RequestErrorCode.BAD_USER_INPUT, "`after` is not a valid cursor.")
    return event_id


def _role(value: str) -> Role | None:
    # The access log outlives role names: a role no longer known reads as none.
    try:
        return Role(value)
    except ValueError:
        return None
