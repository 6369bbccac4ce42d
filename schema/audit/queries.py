"""Audit trail queries. Auditors and admins only."""

from __future__ import annotations

import datetime

import strawberry
from strawberry import relay

from schema.audit.types import AuditEventConnection
from schema.common import fields
from schema.common.errors import raise_not_implemented
from schema.common.pagination import AfterArgument, FirstArgument, page_request


@strawberry.input(description="Which audit events to list; every given condition must hold.")
class AuditFilter:
    actor_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Done by this user."
    )
    patient_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Touching this patient's data."
    )
    action: str | None = strawberry.field(default=None, description="This action exactly.")
    from_: datetime.datetime | None = strawberry.field(
        name="from", default=None, description="At or after this time."
    )
    to: datetime.datetime | None = strawberry.field(default=None, description="Before this time.")


@strawberry.type
class AuditQuery:
    @fields.field(description="Audit events, newest first. Auditors and admins only.")
    async def audit_trail(
        self,
        first: FirstArgument = None,
        after: AfterArgument = None,
        filter: AuditFilter | None = None,
    ) -> AuditEventConnection:
        page_request(first, after)
        raise_not_implemented("The audit trail")
