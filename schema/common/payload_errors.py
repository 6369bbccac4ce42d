"""The one place an expected failure of a mutation becomes its payload's ``errors``.

Every mutation declares the action it performs (``fields.mutation(audit=...)``). A
``DomainError`` raised anywhere in it, while decoding the input or in the use case, is
answered as ``errors { code field message }`` of the mutation's own payload type, and the
refused attempt is put on the access log under that action.
"""

from __future__ import annotations

from typing import Any

from strawberry import Info
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension

from billing.audit.buffer import AuditedAction
from billing.errors import DomainError
from schema.common.errors import UserError
from schema.context import GraphQLContext


class DomainErrorsInPayload(FieldExtension):
    def __init__(self, action: AuditedAction) -> None:
        self.action = action

    async def resolve_async(
        self,
        next_: AsyncExtensionResolver,
        source: Any,
        info: Info[GraphQLContext, Any],
        **kwargs: Any,
    ) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except DomainError as error:
            context = info.context
            context.audit.record_refusal(self.action, error, patient_id=context.viewer.patient_id)
            payload_type: Any = info.return_type
            return payload_type(errors=[UserError.from_domain_error(error)])
