"""From what a client sends about plans to what ``billing`` takes: invoice IDs to row ids,
and the plan terms from the settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry import relay

from billing.plans.quotes import PlanRules
from schema.common.ids import row_id
from schema.context import GraphQLContext

if TYPE_CHECKING:
    from config.settings import Settings

INVOICE_TYPE = "Invoice"


def plan_rules(settings: Settings) -> PlanRules:
    plans = settings.plans
    return PlanRules(
        minimum_monthly=plans.minimum_monthly,
        max_months=plans.max_months,
        retry_days=plans.retry_days,
    )


def invoice_row_ids(invoice_ids: Sequence[relay.GlobalID]) -> list[int]:
    return [
        row_id(global_id, INVOICE_TYPE, f"invoice_ids.{index}")
        for index, global_id in enumerate(invoice_ids)
    ]


def own_patient_id(context: GraphQLContext) -> int:
    """The signed-in patient; ``FORBIDDEN`` for a user who is not one."""
    return context.own_patient_id("Only patients have payment plans.")
