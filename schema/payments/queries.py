"""Queries about payments and saved cards."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import Info

from auth.scopes import Scope
from billing.payments.saved_cards import saved_cards
from schema.common import fields
from schema.common.errors import ExpectedError, RequestErrorCode
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.payments.types import PaymentMethod


@strawberry.type
class PaymentQuery:
    @fields.field(
        description="The signed-in patient's saved cards, default first.",
        permission_classes=[requires(Scope.BILLING_OWN_READ)],
    )
    async def my_payment_methods(self, info: Info[GraphQLContext, Any]) -> list[PaymentMethod]:
        patient_id = info.context.viewer.patient_id
        if patient_id is None:
            raise ExpectedError(RequestErrorCode.FORBIDDEN, "Only patients have saved cards.")
        rows = await saved_cards(patient_id)
        for row in rows:
            info.context.record_read("PaymentMethod", row.id, row.patient_id)
        return [PaymentMethod.from_model(row) for row in rows]
