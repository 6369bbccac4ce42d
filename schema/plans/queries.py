"""Queries about payment plans."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry import relay

from auth.scopes import Scope
from schema.common import fields
from schema.common.errors import not_implemented_payload, raise_not_implemented
from schema.common.permissions import requires
from schema.plans.types import PaymentPlan, PaymentPlanQuote


@strawberry.type
class PlanQuery:
    @fields.field(
        description=(
            "The installments a plan for these invoices would have. A monthlyAmount below "
            "the minimum is an error, never raised silently."
        ),
        permission_classes=[requires(Scope.BILLING_OWN_READ)],
    )
    async def quote_payment_plan(
        self, invoice_ids: list[relay.GlobalID], monthly_amount: Decimal
    ) -> PaymentPlanQuote:
        return not_implemented_payload(PaymentPlanQuote, "Payment plan quotes")

    @fields.field(
        description="The signed-in patient's payment plans, newest first.",
        permission_classes=[requires(Scope.BILLING_OWN_READ)],
    )
    async def my_payment_plans(self) -> list[PaymentPlan]:
        raise_not_implemented("Payment plans")
