"""Writes each operation's access-log records when it ends. If they cannot be written, the
caller gets an error instead of the data: nothing is read without being on record."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from billing.audit.chain import AuditWriteError
from schema.common.masking import INTERNAL_ERROR_CODE
from schema.context import GraphQLContext

_log = logging.getLogger("billing.audit")


class AccessLog(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if not isinstance(context, GraphQLContext):
            return
        try:
            await context.audit.flush()
        except AuditWriteError:
            _log.error("access log write failed; operation withheld")
            # Strawberry returns the result object it already holds, so change that one.
            result = self.execution_context.result
            if result is None:
                return
            result.data = None
            result.errors = [
                GraphQLError(
                    "The request could not be completed. Try again.",
                    extensions={"code": INTERNAL_ERROR_CODE},
                )
            ]
