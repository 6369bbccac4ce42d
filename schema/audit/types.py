"""GraphQL types of the audit trail."""

from __future__ import annotations

import datetime

import strawberry
from strawberry import relay

from models.audit import AuditEvent as AuditEventRow
from models.enums import AuditOutcome as AuditOutcome
from schema.accounts.types import Role, User
from schema.common import fields
from schema.common.errors import raise_not_implemented
from schema.common.node import NodeLookupNotImplemented

strawberry.enum(AuditOutcome, description="How an audited action ended.")


@strawberry.type(description="Who did what to which record, and when. Append-only.")
class AuditEvent(NodeLookupNotImplemented, relay.Node):
    id: relay.NodeID[int]
    occurred_at: datetime.datetime = strawberry.field(description="When it happened.")
    actor_role: Role | None = strawberry.field(
        description="The role the actor acted in; null for the system."
    )
    action: str = strawberry.field(description='What was done, such as "invoice.view".')
    resource_type: str = strawberry.field(description="The kind of record acted on.")
    resource_id: str = strawberry.field(description="The record acted on.")
    patient_id: relay.GlobalID | None = strawberry.field(
        description="The patient whose data it was, if any."
    )
    outcome: AuditOutcome = strawberry.field(description="How it ended.")
    ip_address: str = strawberry.field(description="Where the request came from.")
    request_id: str = strawberry.field(description="The request's id, as in the logs.")
    actor_id: strawberry.Private[int | None]

    @fields.field(description="Who did it; null for the system.")
    def actor(self) -> User | None:
        raise_not_implemented("An audit event's actor")

    @classmethod
    def from_model(cls, row: AuditEventRow) -> AuditEvent:
        return cls(
            id=row.id,
            occurred_at=row.occurred_at,
            actor_role=Role(row.actor_role) if row.actor_role else None,
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
    pass
