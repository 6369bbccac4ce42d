"""Queries about the caller."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import Info

from auth.scopes import Scope
from models.users import User as UserRow
from schema.accounts.types import User
from schema.common import fields
from schema.common.permissions import requires
from schema.context import GraphQLContext


@strawberry.type
class AccountQuery:
    @fields.field(
        description="The signed-in user. Without a session: an UNAUTHENTICATED error.",
        permission_classes=[requires(Scope.ACCOUNT_SELF)],
    )
    async def me(self, info: Info[GraphQLContext, Any]) -> User | None:
        row = await UserRow.get_or_none(id=info.context.viewer.user_id, is_active=True)
        return None if row is None else User.from_model(row)
