"""Queries about payment plans."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import Info, relay

from auth.scopes import Scope
from billing.errors import DomainError
from billing.plans.quotes import MonthlyAmountTooLow, quote_plan
from billing.plans.reads import patient_plans, plans_page
from schema.common import fields
from schema.common.errors import ExpectedError, RequestErrorCode, UserError
from schema.common.money import Money
from schema.common.pagination import AfterArgument, FirstArgument, page_of, page_request
from schema.common.permissions import requires
from schema.context import GraphQLContext
from schema.plans.inputs import invoice_row_ids, own_patient_id, plan_rules
from schema.plans.types import (
    RESOURCE_TYPE,
    PaymentPlan,
    PaymentPlanConnection,
    PaymentPlanQuote,
    PaymentPlanStatus,
    QuotedInstallment,
)

StartOnArgument = Annotated[
    datetime.date | None,
    strawberry.argument(description="When the first installment would be due; null for today."),
]
StatusArgument = Annotated[
    list[PaymentPlanStatus] | None,
    strawberry.argument(description="Any of these statuses; null or empty for any."),
]


@strawberry.type
class PlanQuery:
    @fields.field(
        description=(
            "The installments a plan for these invoices would have: each monthlyAmount, "
            "then the remainder; a remainder below the smallest card charge (0.50 USD) is "
            "added to the installment before it. A monthlyAmount below the minimum is the "
            "error MONTHLY_AMOUNT_TOO_LOW, never raised silently, and total and "
            "minimumMonthly still say what the minimum is."
        ),
        permission_classes=[requires(Scope.BILLING_OWN_READ)],
    )
    async def quote_payment_plan(
        self,
        info: Info[GraphQLContext, Any],
        invoice_ids: Annotated[
            list[relay.GlobalID],
            strawberry.argument(
                description="The patient's invoices (1 to 50 Invoice IDs) the plan would cover."
            ),
        ],
        monthly_amount: Annotated[
            Decimal,
            strawberry.argument(
                description="Each installment but the last, in the invoices' currency."
            ),
        ],
        start_on: StartOnArgument = None,
    ) -> PaymentPlanQuote:
        context = info.context
        try:
            patient_id = own_patient_id(context)
            ids = invoice_row_ids(invoice_ids)
            quote = await quote_plan(
                patient_id, ids, monthly_amount, start_on, plan_rules(context.settings)
            )
        except MonthlyAmountTooLow as error:
            # The minimum comes with the refusal, so the app can offer it.
            return PaymentPlanQuote(
                errors=[UserError.from_domain_error(error)],
                total=Money.from_minor(error.total_minor, error.currency),
                minimum_monthly=Money.from_minor(error.minimum_minor, error.currency),
            )
        except DomainError as error:
            return PaymentPlanQuote(errors=[UserError.from_domain_error(error)])
        for invoice_id in ids:
            context.record_read("Invoice", invoice_id, patient_id)
        return PaymentPlanQuote(
            total=Money.from_minor(quote.total_minor, quote.currency),
            minimum_monthly=Money.from_minor(quote.minimum_monthly_minor, quote.currency),
            installments=[
                QuotedInstallment(
                    due_on=row.due_on, amount=Money.from_minor(row.amount_minor, quote.currency)
                )
                for row in quote.installments
            ],
        )

    @fields.field(
        description="The signed-in patient's payment plans, newest first.",
        permission_classes=[requires(Scope.BILLING_OWN_READ)],
    )
    async def my_payment_plans(self, info: Info[GraphQLContext, Any]) -> list[PaymentPlan]:
        patient_id = info.context.viewer.patient_id
        if patient_id is None:
            raise ExpectedError(RequestErrorCode.FORBIDDEN, "Only patients have payment plans.")
        rows = await patient_plans(patient_id)
        for row in rows:
            info.context.record_read(RESOURCE_TYPE, row.id, row.patient_id)
        return [PaymentPlan.from_model(row) for row in rows]

    @fields.field(
        description=(
            "Every patient's payment plans, newest first, for staff: for example the "
            "DEFAULTED ones to follow up."
        ),
        permission_classes=[requires(Scope.BILLING_ALL_READ)],
    )
    async def payment_plans(
        self,
        info: Info[GraphQLContext, Any],
        status: StatusArgument = None,
        first: FirstArgument = None,
        after: AfterArgument = None,
    ) -> PaymentPlanConnection:
        page = page_request(first, after)
        rows = await plans_page(status or [], page.offset, page.fetch_limit)
        for row in rows[: page.limit]:
            info.context.record_read(RESOURCE_TYPE, row.id, row.patient_id)
        edges, page_info = page_of([PaymentPlan.from_model(row) for row in rows], page)
        return PaymentPlanConnection(edges=edges, page_info=page_info)
