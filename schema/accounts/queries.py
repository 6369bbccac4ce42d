"""Queries about the caller."""

from __future__ import annotations

import strawberry

from schema.accounts.types import User
from schema.common import fields
from schema.common.errors import raise_not_implemented


@strawberry.type
class AccountQuery:
    @fields.field(description="The signed-in user; null when the caller is not signed in.")
    async def me(self) -> User | None:
        raise_not_implemented("The signed-in user")
