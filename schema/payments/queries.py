"""Queries about payments and saved cards."""

from __future__ import annotations

import strawberry

from auth.scopes import Scope
from schema.common import fields
from schema.common.errors import raise_not_implemented
from schema.common.permissions import requires
from schema.payments.types import PaymentMethod


@strawberry.type
class PaymentQuery:
    @fields.field(
        description="The signed-in patient's saved cards, default first.",
        permission_classes=[requires(Scope.BILLING_OWN_READ)],
    )
    async def my_payment_methods(self) -> list[PaymentMethod]:
        raise_not_implemented("Saved cards")
